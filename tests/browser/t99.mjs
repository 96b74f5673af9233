// tests/browser/t99.mjs - the browser half of tests/e2e/t99_dev_browser.sh:
// drives Debian's headless chromium through puppeteer-core against
// `golive dev --browser` serving tests/e2e/testdata/dev/browserapp.
// Environment: URL (golive's public address), APP (the app's directory, edited
// here), CHROMIUM. Prints "ok - ..." per check and "figure: ..." lines; exits
// non-zero on the first failure.
import fs from 'node:fs';
import net from 'node:net';
import crypto from 'node:crypto';
import puppeteer from 'puppeteer-core';

const URL = process.env.URL, APP = process.env.APP;
const main = `${APP}/main.go`, css = `${APP}/static/style.css`;
let failed = false;
const ok = (what) => console.log(`ok - ${what}`);
function fail(what) { console.log(`not ok - ${what}`); failed = true; throw new Error(what); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, ms = 60000) {
	const end = Date.now() + ms;
	for (;;) {
		try { const v = await fn(); if (v) return v; } catch (_) { /* navigating */ }
		if (Date.now() > end) fail(`${what}: not within ${ms} ms`);
		await sleep(20);
	}
}
// edit(from, to, from2, to2, ...): one atomic save of main.go
function edit(...pairs) {
	let s = fs.readFileSync(main, 'utf8');
	for (let i = 0; i < pairs.length; i += 2) {
		if (!s.includes(pairs[i])) fail(`main.go has no ${pairs[i]}`);
		s = s.replace(pairs[i], pairs[i + 1]);
	}
	fs.writeFileSync(main + '.tmp', s);
	fs.renameSync(main + '.tmp', main);
}
// raw HTTP/1.1 exchange over one connection: the bytes of the answer
function raw(req) {
	return new Promise((resolve, reject) => {
		const u = new globalThis.URL(URL);
		const s = net.connect(+u.port, u.hostname);
		const chunks = [];
		s.on('data', (d) => chunks.push(d));
		s.on('end', () => resolve(Buffer.concat(chunks)));
		s.on('error', reject);
		s.write(req);
	});
}

const browser = await puppeteer.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
});
const consoleErrors = [];
async function tab() {
	const p = await browser.newPage();
	p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${m.text()} ${JSON.stringify(m.location())}`); });
	p.on('pageerror', (e) => consoleErrors.push(String(e)));
	return p;
}
try {
	const a = await tab(), b = await tab();
	await a.goto(URL + '/', {waitUntil: 'load'});
	await b.goto(URL + '/', {waitUntil: 'load'});
	for (const p of [a, b]) {
		if ((await p.$eval('#msg', (e) => e.textContent)) !== 'v1') fail('v1 served');
		await until('the reload script runs (CSP rewritten)', () => p.evaluate(() => window.__golive && window.__golive.events.readyState === 1), 10000);
	}
	ok('two tabs show v1 with the reload script connected, under the app\'s CSP');
	// a page whose strict policy is in a <meta> (nonce-based, 'strict-dynamic',
	// default-src 'none'): golive rewrites it as it does the header, so the
	// reload script runs (with the page's nonce) and connects
	const m = await tab();
	await m.goto(URL + '/metacsp', {waitUntil: 'load'});
	await until('the reload script under a strict <meta> CSP', () => m.evaluate(() => window.__golive && window.__golive.events.readyState === 1), 10000);
	const mpol = await m.$eval('meta[http-equiv="Content-Security-Policy"]', (e) => e.content);
	const mnonce = await m.$eval('script[src^="/__golive/reload.js"]', (e) => e.nonce);
	if (!mpol.includes(`'nonce-${mnonce}'`)) fail(`the tag's nonce ${mnonce} is not the page's: ${mpol}`);
	ok(`strict <meta> CSP: the reload script runs with the page's nonce (${mpol})`);

	// one save: both tabs reload once, right after the new version is ready
	edit('const version = "v1"', 'const version = "v2"');
	for (const p of [a, b])
		await until('v2 in the tab', () => p.evaluate(() => document.querySelector('#msg')?.textContent === 'v2'), 90000);
	await sleep(1500);
	for (const p of [a, b]) {
		const loads = await p.evaluate(() => sessionStorage.loads);
		if (loads !== '2') fail(`one save, one reload per tab (loads=${loads})`);
	}
	ok('one save: each tab reloaded exactly once, showing v2');
	await until('v2 in the <meta> CSP tab', () => m.evaluate(() => document.querySelector('#mv')?.textContent === 'v2'), 10000);
	if ((await m.evaluate(() => sessionStorage.mloads)) !== '2') fail(`the <meta> CSP tab reloaded ${await m.evaluate(() => sessionStorage.mloads)} times`);
	const viol = await m.evaluate(() => window.violations);
	if (viol.length) fail(`CSP violations under the <meta> policy: ${viol.join(' | ')}`);
	await m.close();
	ok('the <meta> CSP page reloaded once on the save, with no CSP violation');
	const started = +(await a.evaluate(() => fetch('/started').then((r) => r.text())));
	const nav = await a.evaluate(() => performance.timeOrigin);
	console.log(`figure: the tab's new navigation began ${Math.round(nav - started)} ms after the new program's Go init (ready = exec: the request waits in the socket's queue)`);
	if (nav - started > 100) fail(`the page reloaded ${Math.round(nav - started)} ms after the program started (want <= 100)`);
	ok(`reloaded within 100 ms of readiness (${Math.round(nav - started)} ms)`);

	// a syntax error: the overlay, with file:line and an editor link
	const lines = fs.readFileSync(main, 'utf8').split('\n');
	const at = lines.findIndex((l) => l.startsWith('func main() {')) + 2; // 1-based line of the bad one
	edit('func main() {\n', 'func main() {\n\tx := )\n');
	await until('the overlay', () => a.evaluate(() => !!document.querySelector('#golive-overlay')), 90000);
	const loc = await a.$eval('#golive-overlay a.golive-loc', (e) => [e.textContent, e.getAttribute('href')]);
	if (!loc[0].match(new RegExp(`main\\.go:${at}:\\d+$`))) fail(`overlay location ${loc[0]}, want main.go:${at}`);
	if (!loc[1].startsWith('vscode://file/') || !loc[1].includes(`main.go:${at}:`)) fail(`editor link ${loc[1]}`);
	await until('the overlay in the second tab', () => b.evaluate(() => !!document.querySelector('#golive-overlay')), 10000);
	ok(`syntax error: overlay in both tabs at ${loc[0]} (${loc[1]})`);
	const c = await tab(); // a tab opened while the build is broken sees it too
	await c.goto(URL + '/', {waitUntil: 'load'});
	await until('the overlay in a new tab', () => c.evaluate(() => !!document.querySelector('#golive-overlay')), 10000);
	await c.close();
	ok('a tab opened during the failure shows the overlay too');

	edit('func main() {\n\tx := )\n', 'func main() {\n', 'const version = "v2"', 'const version = "v3"');
	await until('v3 after the fix', () => a.evaluate(() => document.querySelector('#msg')?.textContent === 'v3' && !document.querySelector('#golive-overlay')), 90000);
	ok('the fix reloads: v3, no overlay');

	// CSS: swapped in place, the page's JS state kept, no rebuild
	await a.evaluate(() => { window.__state = 42; });
	const color = () => a.$eval('#msg', (e) => getComputedStyle(e).color);
	// (the page's #msg can be there before its stylesheet: a loaded machine lost that race)
	await until('the initial stylesheet', async () => (await color()) === 'rgb(0, 0, 255)', 10000);
	fs.writeFileSync(css, 'h1 { color: rgb(255, 0, 0); }\n');
	await until('the new stylesheet', async () => (await color()) === 'rgb(255, 0, 0)', 20000);
	if ((await a.evaluate(() => window.__state)) !== 42) fail('JS state lost: the page reloaded');
	if ((await a.evaluate(() => sessionStorage.loads)) !== '3') fail(`loads ${await a.evaluate(() => sessionStorage.loads)} after the CSS swap`);
	ok('CSS edit: stylesheet swapped without a reload (JS state kept)');

	// analyzer findings of builds that succeed (httpctx, on by default): the
	// overlay after the reload, with file:line:col and an editor link. First
	// a body-only edit (the fast path: analysed once the program serves),
	// then one that adds an import (a full build: the wrapper's findings in
	// the build's output); a clean build clears the overlay.
	const handler = 'func page(w http.ResponseWriter, r *http.Request) {\n';
	const lineOf = (text) => fs.readFileSync(main, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
	const colOf = (text, sub) => fs.readFileSync(main, 'utf8').split('\n').find((l) => l.includes(text)).indexOf(sub) + 1;
	async function findings(what, loads, text, sub, message) {
		const want = `main.go:${lineOf(text)}:${colOf(text, sub)}`;
		await until(`the findings overlay (${what})`, () => a.evaluate((n) => sessionStorage.loads === n && document.querySelector('#golive-overlay')?.dataset.kind === 'findings', loads), 90000);
		const f = await a.$eval('#golive-overlay', (e) => [e.querySelector('a.golive-loc').textContent, e.querySelector('a.golive-loc').getAttribute('href'), e.textContent]);
		if (f[0] !== want) fail(`finding at ${f[0]}, want ${want}`);
		if (!f[1].startsWith('vscode://file/') || !f[1].endsWith(want)) fail(`finding's editor link ${f[1]}`);
		if (!f[2].includes(message)) fail(`finding's message: ${f[2]}`);
		if ((await a.$eval('#msg', (e) => e.textContent)) !== 'v3') fail('the page under the findings overlay');
		await until('the findings overlay in the second tab', () => b.evaluate(() => document.querySelector('#golive-overlay')?.dataset.kind === 'findings'), 10000);
		ok(`analyzer finding of a good build (${what}): overlay in both tabs at ${f[0]} (${f[1]})`);
	}
	edit(handler, handler + '\tif r == nil { http.Get("x") }\n');
	await findings('fast path', '4', 'http.Get("x")', 'http.Get', '[httpctx] http.Get drops the request\'s context');
	edit('"compress/gzip"\n', '"compress/gzip"\n\t"context"\n', '\tif r == nil { http.Get("x") }\n', '\t_ = context.Background()\n');
	await findings('full build', '5', 'context.Background()', 'context', '[httpctx] use r.Context() instead of context.Background()');
	edit('\t"context"\n', '', '\t_ = context.Background()\n', '');
	await until('the clean build clears the overlay', () => a.evaluate(() => sessionStorage.loads === '6' && document.readyState === 'complete' && window.__golive?.events?.readyState === 1), 90000);
	await sleep(500);
	if (await a.evaluate(() => !!document.querySelector('#golive-overlay'))) fail('the overlay stayed after a clean build');
	ok('a clean build reloads without the overlay');

	// a finding in another package stays in the overlay while builds compile
	// main alone (fast builds of main: golive dev analyses every package)
	const store = `${APP}/store/store.go`;
	const storeText = fs.readFileSync(store, 'utf8');
	const storeEdit = (a, b) => { fs.writeFileSync(store + '.tmp', storeText.replace(a, b)); fs.renameSync(store + '.tmp', store); };
	const storeFinding = async (what, loads) => {
		await until(`the store finding (${what})`, () => a.evaluate((n) => sessionStorage.loads === n && document.querySelector('#golive-overlay')?.dataset.kind === 'findings' && document.querySelector('#golive-overlay').textContent.includes('store/store.go:'), loads), 90000);
		const t = await a.$eval('#golive-overlay', (e) => e.textContent);
		if (!t.includes('store/store.go:11:3: [httpctx] http.Get drops the request')) fail(`store finding: ${t}`);
	};
	storeEdit('\tw.Header()', '\tif r == nil {\n\t\thttp.Get("x")\n\t}\n\tw.Header()');
	await storeFinding('store compiled', '7');
	edit(handler, handler + '\t_ = r.URL\n');
	await storeFinding('only main compiled', '8');
	ok('a finding in a package the build did not compile stays in the overlay');
	storeEdit('', '');
	await until('the store finding cleared', () => a.evaluate(() => sessionStorage.loads === '9' && document.readyState === 'complete' && window.__golive?.events?.readyState === 1), 90000);
	await sleep(500);
	if (await a.evaluate(() => !!document.querySelector('#golive-overlay'))) fail('the overlay stayed after the store finding went');
	ok('removing it clears the overlay');

	// chunked and gzip pages render, with the script
	const d = await tab();
	await d.goto(URL + '/chunked', {waitUntil: 'load'});
	if ((await d.$$eval('p.part', (e) => e.length)) !== 5) fail('chunked page');
	await until('script on the chunked page', () => d.evaluate(() => !!window.__golive), 10000);
	await d.goto(URL + '/gzip', {waitUntil: 'load'});
	if ((await d.$eval('#gz', (e) => e.textContent)) !== 'gzipped') fail('gzip page');
	await until('script on the gzip page', () => d.evaluate(() => !!window.__golive), 10000);
	await d.goto(URL + '/deflate', {waitUntil: 'load'});
	if ((await d.$eval('#zl', (e) => e.textContent)) !== 'deflated') fail('deflate page');
	await until('script on the deflate page', () => d.evaluate(() => !!window.__golive), 10000);
	ok('chunked, gzipped and deflated pages render, with the reload script');

	// the JSON API through the proxy, byte for byte
	const viaFetch = await d.evaluate(() => fetch('/api').then((r) => r.text()));
	if (viaFetch !== '{"version":"v3","html":"<body></body>","n":[1,2,3]}') fail(`fetch /api: ${viaFetch}`);
	const ans = (await raw('GET /api HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n')).toString();
	if (!ans.endsWith('\r\n\r\n{"version":"v3","html":"<body></body>","n":[1,2,3]}')) fail(`raw /api: ${ans}`);
	ok('JSON API byte-identical through the proxy (fetch, and a raw request accepting text/html)');

	// the app's WebSocket through the proxy
	const echo = await d.evaluate(() => new Promise((res, rej) => {
		const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws');
		ws.onopen = () => ws.send('hi');
		ws.onmessage = (e) => { res(e.data); ws.close(); };
		ws.onerror = () => rej(new Error('ws error'));
	}));
	if (echo !== 'echo:hi') fail(`websocket: ${echo}`);
	ok('the app\'s WebSocket works through the proxy');

	// pipelining: three requests in one write, three answers in order
	const pipe = (await raw('GET /api HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\nGET /started HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toString();
	const heads = pipe.match(/HTTP\/1\.1 200 OK/g) || [];
	if (heads.length !== 3 || !pipe.includes('{"version":"v3"')) fail(`pipelined: ${pipe}`);
	ok('pipelined requests (GET, HEAD, GET) answered in order');

	await sleep(300);
	const csp = consoleErrors.filter((e) => /content.security.policy/i.test(e));
	if (csp.length) fail(`CSP errors in the console: ${csp.join(' | ')}`);
	const errs = consoleErrors.filter((e) => !e.includes('/__golive/events'));
	if (errs.length) fail(`console errors: ${errs.join(' | ')}`);
	ok(`no console errors (${consoleErrors.length} about the events stream closing on reload)`);
} catch (e) {
	if (!failed) console.log(`not ok - ${e.stack || e}`);
	failed = true;
} finally {
	await browser.close();
}
process.exit(failed ? 1 : 0);

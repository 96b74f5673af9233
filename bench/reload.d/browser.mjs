// bench/reload.d/browser.mjs - the "golive dev --browser" row of bench/reload:
// one headless Chromium tab (Debian's chromium, puppeteer-core from
// tests/browser) on URL. For each stdin line "MAIN.GO VERSION" it saves
// MAIN.GO with that version constant (a write to a temporary file, then a
// rename, as the poller's -save rename) and prints one JSON line: the
// milliseconds from just before the save to the DOMContentLoaded of the
// reloaded page that shows VERSION (both on this machine's wall clock).
import fs from 'node:fs';
import readline from 'node:readline';
import {createRequire} from 'node:module';

const require = createRequire(process.env.PUPPETEER_FROM);
const puppeteer = require('puppeteer-core');
const browser = await puppeteer.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
});
const page = await browser.newPage();
let waiter = null;
await page.exposeFunction('__benchSeen', (v, t) => {
	if (waiter && v === waiter.version) waiter.resolve(t);
});
await page.evaluateOnNewDocument(() => {
	document.addEventListener('DOMContentLoaded', () => {
		const e = document.getElementById('v');
		window.__benchSeen(e ? e.textContent : '', Date.now());
	});
});
await page.goto(process.env.URL, {waitUntil: 'load'});
for (let i = 0; i < 200 && !(await page.evaluate(() => !!(window.__golive && window.__golive.events && window.__golive.events.readyState === 1))); i++)
	await new Promise((r) => setTimeout(r, 50));
console.log(JSON.stringify({ready: true}));

const rl = readline.createInterface({input: process.stdin});
for await (const line of rl) {
	const [file, version] = line.trim().split(' ');
	const seen = new Promise((resolve) => { waiter = {version, resolve}; });
	const src = fs.readFileSync(file, 'utf8').replace(/^const version = ".*"$/m, `const version = "${version}"`);
	const t0 = Date.now();
	fs.writeFileSync(file + '.tmp', src);
	fs.renameSync(file + '.tmp', file);
	const t = await Promise.race([seen, new Promise((r) => setTimeout(() => r(null), 30000))]);
	waiter = null;
	console.log(JSON.stringify(t === null ? {timeout: true} :
		{timeout: false, latency_ms: t - t0, failed: 0, stale: 0}));
}
await browser.close();

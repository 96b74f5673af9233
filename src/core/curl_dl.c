/*
 * curl_dl.c - see curl_dl.h: libcurl through dlopen(), once per process.
 */
#include "core/curl_dl.h"
#include "core/util.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

static struct curl_dl libcurl;
static char *load_error; /* why loading failed (one line), or NULL once loaded */
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* s as one line of at most 300 bytes: control characters become blanks. */
static char *one_line(const char *s)
{
	size_t n = strlen(s);
	char *out = xstrndup(s, n > 300 ? 300 : n);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

static void load(void)
{
	/* Each entry: a symbol and the function pointer it fills. */
	const struct {
		const char *name;
		void *fn;
	} syms[] = {
	    {"curl_easy_init", &libcurl.easy_init},
	    {"curl_easy_reset", &libcurl.easy_reset},
	    {"curl_easy_setopt", &libcurl.easy_setopt},
	    {"curl_easy_perform", &libcurl.easy_perform},
	    {"curl_easy_getinfo", &libcurl.easy_getinfo},
	    {"curl_easy_cleanup", &libcurl.easy_cleanup},
	    {"curl_easy_strerror", &libcurl.easy_strerror},
	    {"curl_slist_append", &libcurl.slist_append},
	    {"curl_slist_free_all", &libcurl.slist_free_all},
	};
	CURLcode (*global_init)(long flags);

	/* Never closed: libcurl and the TLS library it loaded stay for the process. */
	void *h = dlopen(CURL_DL_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		load_error = one_line(e ? e : "unknown error");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		void *sym = dlsym(h, syms[i].name);
		if (!sym) {
			load_error = xasprintf("no symbol %s", syms[i].name);
			return;
		}
		/* POSIX: a dlsym() result converts to a function pointer; memcpy says so in ISO C.
		 */
		memcpy(syms[i].fn, &sym, sizeof(sym));
	}
	void *gi = dlsym(h, "curl_global_init");
	if (!gi) {
		load_error = xstrdup("no symbol curl_global_init");
		return;
	}
	memcpy(&global_init, &gi, sizeof(gi));
	if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		load_error = xstrdup("curl_global_init failed");
}

const struct curl_dl *curl_dl_load(const char **why)
{
	pthread_once(&load_once, load);
	*why = load_error;
	return load_error ? NULL : &libcurl;
}

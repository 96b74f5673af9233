/*
 * curl_dl.h - libcurl, loaded with dlopen() at its first use.
 *
 * libcurl is not linked: the wrapper starts hundreds of times a build and
 * must not pay the dynamic loader for it, so CURL_DL_LIBRARY is dlopen()ed
 * the first time curl_dl_load() is called (once per process, thread-safe,
 * never closed) and only the functions below are resolved. curl.h is
 * included for its types and constants alone. Users: the OTLP/HTTP trace
 * exporter (trace_otlp_http.c) and the HTTP cache backend (cache_http.c).
 *
 * The easy_setopt and easy_getinfo pointers are variadic and go around
 * curl.h's type-checking macros: pass exactly a long, a curl_off_t, a
 * pointer or a function pointer, as the option wants.
 */
#ifndef GOLIVE_CURL_DL_H
#define GOLIVE_CURL_DL_H

#include <curl/curl.h>

#define CURL_DL_LIBRARY "libcurl.so.4"

struct curl_dl {
	CURL *(*easy_init)(void);
	void (*easy_reset)(CURL *curl);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

/*
 * Loads libcurl (the first call) and returns its functions, with
 * curl_global_init(CURL_GLOBAL_DEFAULT) done. NULL when it cannot be
 * loaded, with *why set to one line saying why (static: do not free; the
 * same answer for every later call).
 */
const struct curl_dl *curl_dl_load(const char **why);

#endif

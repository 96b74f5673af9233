/*
 * config_trace.c - golive.yaml's trace: section (config_section.h): the log
 * format and the trace and report files.
 */
#define _GNU_SOURCE
#include "core/config_section.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_log_format(const char *s, char **why)
{
	if (strcmp(s, "text") == 0 || strcmp(s, "json") == 0)
		return 0;
	*why = xasprintf("expected text or json, got \"%s\"", s);
	return -1;
}

static const struct key_spec trace_keys[] = {
    {"log_format", KEY_STRING, FIELD(trace.log_format), 0, 0, check_log_format},
    {"trace_out", KEY_STRING, FIELD(trace.trace_out), 0, 0, config_check_nonempty},
    {"chrome_trace", KEY_STRING, FIELD(trace.chrome_trace), 0, 0, config_check_nonempty},
    {"report", KEY_STRING, FIELD(trace.report), 0, 0, config_check_nonempty},
};

const struct section_spec config_section_trace = {
    "trace", trace_keys, ARRAY_SIZE(trace_keys), NULL, NULL, NULL, NULL};

/*
 * libFuzzer target: golive check's walk readers (cmd/check_modwalk) on
 * arbitrary bytes. modwalk_parse_header returns 0 with a package name of
 * ASCII identifier bytes, or -1 with a reason; modwalk_parse_gomod returns
 * 1 with a module path, or 0 with a reason. Neither crashes nor reads
 * beyond the bytes given (the input is copied into an exact-size buffer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/check_modwalk.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = xmalloc(size ? size : 1);
	memcpy(buf, data, size);
	char *why = NULL;
	struct modwalk_file fi;
	int r = modwalk_parse_header("f.go", buf, size, size & 1, &fi, &why);
	if (r != 0 && r != -1)
		abort();
	if ((r < 0) != (why != NULL))
		abort();
	if (r == 0) {
		if (!fi.pkg[0])
			abort();
		for (const char *p = fi.pkg; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_'))
				abort();
	}
	free(why);
	why = NULL;

	struct goversion tv;
	if (goversion_parse("go1.26.0", &tv) < 0)
		abort();
	struct modwalk_gomod m;
	r = modwalk_parse_gomod("go.mod", buf, size, &tv, &m, &why);
	if ((r != 0 && r != 1) || (r == 0) != (why != NULL) || (r == 1 && !m.module))
		abort();
	free(why);
	modwalk_gomod_release(&m);
	free(buf);
	return 0;
}

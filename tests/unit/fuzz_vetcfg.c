/* libFuzzer target: vetcfg_parse() on arbitrary bytes (go vet's vet.cfg). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wrapper/vettool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vetcfg c;
	char *cause = NULL;
	int rc = vetcfg_parse(&c, (const char *)data, size, &cause);
	if (rc == 0) {
		/* A parsed config is complete: every string set, every file named. */
		if (!c.import_path || !*c.import_path || !c.id || !c.dir)
			abort();
		for (size_t i = 0; i < c.go_files.argc; i++)
			if (!c.go_files.argv[i] || !*c.go_files.argv[i])
				abort();
		if (cause)
			abort();
	} else if (!cause || !*cause || strchr(cause, '\n')) {
		abort(); /* an error is always one line */
	}
	vetcfg_release(&c);
	free(cause);
	return 0;
}

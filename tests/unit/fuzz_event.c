/* libFuzzer target: event_decode() on arbitrary bytes (events.jsonl lines). */
#include <stdint.h>
#include <stdlib.h>

#include "wrapper/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event ev;
	char *cause = NULL;
	if (event_decode(&ev, (const char *)data, size, &cause) == 0) {
		size_t len;
		char *line = event_encode(&ev, &len);
		free(line);
		event_release(&ev);
	}
	free(cause);
	return 0;
}

/* vettool.c - see vettool.h. STUB: replaced by the vettool implementation. */
#include "vettool.h"
#include "util.h"

#include <string.h>

int vettool_detect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int vettool_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return error("vettool mode is not implemented yet");
}

/* cmd_check.c - `golive check`. STUB: replaced by the check implementation. */
#include "commands.h"
#include "util.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error("golive check is not implemented yet");
	return EXIT_USAGE;
}

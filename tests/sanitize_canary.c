/*
 * tests/sanitize_canary.c: a library that tests/sanitize.sh has a server
 * LOAD, built with the sanitizers, to see their reports reach the log
 * directory: its constructor, run when the library is opened, reads past a
 * malloc'ed block (CANARY_ASAN) or loads an invalid bool (CANARY_UBSAN).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

volatile int canary_sink;

static void __attribute__((constructor))
canary(void)
{
#if defined(CANARY_ASAN)
	size_t		size = 8 + canary_sink; /* unknown to UBSan's object-size check */
	char	   *block = malloc(size);

	canary_sink = block[size];
	free(block);
#elif defined(CANARY_UBSAN)
	unsigned char byte = 190;
	bool		flag;

	memcpy(&flag, &byte, 1);
	canary_sink = flag ? 1 : 2;
#else
#error "define CANARY_ASAN or CANARY_UBSAN"
#endif
}

/*
 * output.h
 *		Growing text buffers and the hand-rolled formatting that fills them;
 *		no printf per field on the hot path.
 */
#ifndef RITUAL_GENERATOR_OUTPUT_H
#define RITUAL_GENERATOR_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct OutBuffer
{
	char	   *data;
	size_t		len;
	size_t		capacity;
} OutBuffer;

/* Make room for extra more bytes; exits on out of memory. */
extern void out_grow(OutBuffer *out, size_t extra);
extern void out_free(OutBuffer *out);

static inline void
out_reserve(OutBuffer *out, size_t extra)
{
	if (out->len + extra > out->capacity)
		out_grow(out, extra);
}

/* Append without checking room: callers reserve a row's worth first. */
static inline void
out_bytes(OutBuffer *out, const char *bytes, size_t len)
{
	memcpy(out->data + out->len, bytes, len);
	out->len += len;
}

static inline void
out_char(OutBuffer *out, char c)
{
	out->data[out->len++] = c;
}

static inline void
out_uint(OutBuffer *out, uint64_t value)
{
	char		digits[20];
	int			n = 0;

	do
	{
		digits[n++] = (char) ('0' + value % 10);
		value /= 10;
	} while (value != 0);
	while (n > 0)
		out->data[out->len++] = digits[--n];
}

/* Write all of a buffer to fd; false with errno set on failure. */
extern bool write_all(int fd, const char *data, size_t len);

#endif							/* RITUAL_GENERATOR_OUTPUT_H */

/*
 * output.c
 *		Growing text buffers, and writing them whole to a file descriptor.
 */
#define _POSIX_C_SOURCE 200809L

#include "output.h"

#include "generator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void
out_grow(OutBuffer *out, size_t extra)
{
	size_t		capacity = out->capacity ? out->capacity : 1 << 20;
	char	   *data;

	while (capacity < out->len + extra)
		capacity *= 2;
	data = realloc(out->data, capacity);
	if (data == NULL)
	{
		fprintf(stderr, GENERATOR_NAME ": out of memory\n");
		exit(1);
	}
	out->data = data;
	out->capacity = capacity;
}

void
out_free(OutBuffer *out)
{
	free(out->data);
	out->data = NULL;
	out->len = out->capacity = 0;
}

bool
write_all(int fd, const char *data, size_t len)
{
	while (len > 0)
	{
		ssize_t		written = write(fd, data, len);

		if (written < 0)
		{
			if (errno == EINTR)
				continue;
			return false;
		}
		data += written;
		len -= (size_t) written;
	}
	return true;
}

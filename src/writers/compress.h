/*-------------------------------------------------------------------------
 *
 * compress.h
 *		  Whole-buffer compression for the writers (compress.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_WRITERS_COMPRESS_H
#define RITUAL_WRITERS_COMPRESS_H

#include "lib/stringinfo.h"

#include "ritual.h"

extern void ritual_compress(RitualCompression kind, const char *data,
							size_t len, StringInfo out);

#endif							/* RITUAL_WRITERS_COMPRESS_H */

/*-------------------------------------------------------------------------
 *
 * text_hash.h
 *		  Hash tables keyed by text values held by pointer (text_hash.c):
 *		  the entry's first field is the text *, which the caller keeps
 *		  alive as long as the entry.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_TEXT_HASH_H
#define RITUAL_TEXT_HASH_H

#include "utils/hsearch.h"

extern HTAB *text_set_create(const char *name, long size, Size entrysize,
							 MemoryContext context);
extern int	text_pointer_match(const void *key1, const void *key2, Size keysize);
extern bool text_datums_equal(Datum a, Datum b);

#endif							/* RITUAL_TEXT_HASH_H */

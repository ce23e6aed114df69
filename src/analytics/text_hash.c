/*-------------------------------------------------------------------------
 *
 * text_hash.c
 *		  Hash tables keyed by text values held by pointer: dynahash keys
 *		  have a fixed size, and event types and file names do not.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"

#include "analytics/text_hash.h"

static uint32
text_pointer_hash(const void *key, pg_attribute_unused() Size keysize)
{
	text	   *t = *(text *const *) key;

	return hash_bytes((const unsigned char *) VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* 0 when the texts that key1 and key2 point to are equal, byte for byte */
int
text_pointer_match(const void *key1, const void *key2, pg_attribute_unused() Size keysize)
{
	text	   *a = *(text *const *) key1;
	text	   *b = *(text *const *) key2;
	Size		len = VARSIZE_ANY_EXHDR(a);

	if (len != VARSIZE_ANY_EXHDR(b))
		return 1;
	return memcmp(VARDATA_ANY(a), VARDATA_ANY(b), len);
}

/* Whether two text Datums have the same bytes, as text_pointer_match compares them. */
bool
text_datums_equal(Datum a, Datum b)
{
	text	   *x = DatumGetTextPP(a);
	text	   *y = DatumGetTextPP(b);

	return text_pointer_match(&x, &y, sizeof(text *)) == 0;
}

HTAB *
text_set_create(const char *name, long size, Size entrysize, MemoryContext context)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(text *);
	ctl.entrysize = entrysize;
	ctl.hash = text_pointer_hash;
	ctl.match = text_pointer_match;
	ctl.hcxt = context;
	return hash_create(name, size, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

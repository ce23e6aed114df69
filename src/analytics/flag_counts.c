/*-------------------------------------------------------------------------
 *
 * flag_counts.c
 *		  The flagged events counted as a pass meets them, per flags, file,
 *		  day and event type, into the scratch table
 *		  pg_temp._ritual_flag_counts that data_quality is summed from: a
 *		  full build's, and what a refresh's adds and takes away.
 *
 * Reading the flagged rows of enriched_events back instead costs a heap
 * fetch per row through their partial index: 60 ms of a 1M-event build,
 * and 1.5 s of a 10M one, whose table no longer fits in shared buffers.
 * Memory stays bounded however many distinct keys a hostile export has:
 * past FLAG_COUNTS_MAX keys the counts are written out and started again,
 * and the table holds partial sums that the data-quality query adds up.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "analytics/flag_counts.h"
#include "analytics/text_hash.h"

/* keys counted in memory before the counts are written out */
#define FLAG_COUNTS_MAX 10000

typedef struct FlagKey
{
	int32		flags;
	bool		has_day;
	DateADT		day;
	text	   *file;			/* NULL for none */
	text	   *type;			/* NULL for none */
} FlagKey;

typedef struct FlagCount
{
	FlagKey		key;
	int64		rows;
} FlagCount;

struct FlagCounts
{
	MemoryContext context;		/* the table and its keys' texts */
	HTAB	   *counts;
};

static uint32
text_or_null_hash(const text *t)
{
	return t == NULL ? 0x9e3779b9 :
		hash_bytes((const unsigned char *) VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

static bool
texts_equal(const text *a, const text *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return text_pointer_match(&a, &b, sizeof(text *)) == 0;
}

static uint32
flag_key_hash(const void *key, pg_attribute_unused() Size keysize)
{
	const FlagKey *k = key;
	uint32		h = hash_bytes_uint32((uint32) k->flags);

	h = hash_combine(h, k->has_day ? hash_bytes_uint32((uint32) k->day) : 0);
	h = hash_combine(h, text_or_null_hash(k->file));
	return hash_combine(h, text_or_null_hash(k->type));
}

static int
flag_key_match(const void *key1, const void *key2, pg_attribute_unused() Size keysize)
{
	const FlagKey *a = key1;
	const FlagKey *b = key2;

	return !(a->flags == b->flags && a->has_day == b->has_day &&
			 (!a->has_day || a->day == b->day) &&
			 texts_equal(a->file, b->file) && texts_equal(a->type, b->type));
}

static void
flag_counts_reset(FlagCounts *counts)
{
	HASHCTL		ctl;

	MemoryContextReset(counts->context);
	ctl.keysize = sizeof(FlagKey);
	ctl.entrysize = sizeof(FlagCount);
	ctl.hash = flag_key_hash;
	ctl.match = flag_key_match;
	ctl.hcxt = counts->context;
	counts->counts = hash_create("ritual flagged events", 256, &ctl,
								 HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/*
 * Start counting; makes pg_temp._ritual_flag_counts (SPI is connected).
 */
FlagCounts *
flag_counts_create(MemoryContext context)
{
	FlagCounts *counts = MemoryContextAlloc(context, sizeof(FlagCounts));

	if (SPI_execute("CREATE TEMP TABLE _ritual_flag_counts (flags integer, source_file text, "
					"day date, event_type text, rows bigint) ON COMMIT DROP",
					false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not make the table of flagged events");
	counts->context = AllocSetContextCreate(context, "ritual flagged events",
											ALLOCSET_DEFAULT_SIZES);
	flag_counts_reset(counts);
	return counts;
}

static Datum
array_of(Datum *values, bool *nulls, int n, Oid type, int len, bool byval, char align)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, type, len, byval,
											  align));
}

/* Write the counts kept to the table, and start again. */
static void
flag_counts_flush(FlagCounts *counts)
{
	long		n = hash_get_num_entries(counts->counts);
	HASH_SEQ_STATUS scan;
	FlagCount  *entry;
	Datum	   *columns[5];
	bool	   *nulls[5];
	Oid			argtypes[5] = {INT4ARRAYOID, TEXTARRAYOID, DATEARRAYOID, TEXTARRAYOID,
		INT8ARRAYOID};
	Datum		args[5];
	int			i = 0;

	if (n == 0)
		return;
	for (int c = 0; c < 5; c++)
	{
		columns[c] = palloc(sizeof(Datum) * n);
		nulls[c] = palloc0(sizeof(bool) * n);
	}
	hash_seq_init(&scan, counts->counts);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		columns[0][i] = Int32GetDatum(entry->key.flags);
		columns[1][i] = PointerGetDatum(entry->key.file);
		nulls[1][i] = entry->key.file == NULL;
		columns[2][i] = DateADTGetDatum(entry->key.day);
		nulls[2][i] = !entry->key.has_day;
		columns[3][i] = PointerGetDatum(entry->key.type);
		nulls[3][i] = entry->key.type == NULL;
		columns[4][i] = Int64GetDatum(entry->rows);
		i++;
	}
	args[0] = array_of(columns[0], nulls[0], n, INT4OID, 4, true, TYPALIGN_INT);
	args[1] = array_of(columns[1], nulls[1], n, TEXTOID, -1, false, TYPALIGN_INT);
	args[2] = array_of(columns[2], nulls[2], n, DATEOID, 4, true, TYPALIGN_INT);
	args[3] = array_of(columns[3], nulls[3], n, TEXTOID, -1, false, TYPALIGN_INT);
	args[4] = array_of(columns[4], nulls[4], n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	if (SPI_execute_with_args("INSERT INTO pg_temp._ritual_flag_counts "
							  "SELECT * FROM unnest($1, $2, $3, $4, $5)",
							  5, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write the counts of flagged events");
	for (int c = 0; c < 5; c++)
	{
		pfree(DatumGetPointer(args[c]));
		pfree(columns[c]);
		pfree(nulls[c]);
	}
	flag_counts_reset(counts);
}

static text *
copy_text(MemoryContext context, const text *t)
{
	text	   *copy;

	if (t == NULL)
		return NULL;
	copy = MemoryContextAlloc(context, VARSIZE_ANY(t));
	memcpy(copy, t, VARSIZE_ANY(t));
	return copy;
}

/*
 * Count 'rows' flagged events (-1: one that is no longer so): their flags,
 * file, day (when they have one) and type (normalized; NULL when blank or
 * missing).
 */
void
flag_counts_add(FlagCounts *counts, int32 flags, const text *file, bool has_day,
				DateADT day, const text *type, int64 rows)
{
	FlagKey		key;
	FlagCount  *entry;
	bool		found;

	key.flags = flags;
	key.has_day = has_day;
	key.day = has_day ? day : 0;
	key.file = unconstify(text *, file);
	key.type = unconstify(text *, type);
	entry = hash_search(counts->counts, &key, HASH_ENTER, &found);
	if (!found)
	{
		entry->key.file = copy_text(counts->context, file);
		entry->key.type = copy_text(counts->context, type);
		entry->rows = 0;
	}
	entry->rows += rows;
	if (!found && hash_get_num_entries(counts->counts) >= FLAG_COUNTS_MAX)
		flag_counts_flush(counts);
}

/* Write what is left. */
void
flag_counts_finish(FlagCounts *counts)
{
	flag_counts_flush(counts);
}

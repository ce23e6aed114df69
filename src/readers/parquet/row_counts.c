/*-------------------------------------------------------------------------
 *
 * row_counts.c
 *		  The row counts of Parquet files as their footers said, remembered
 *		  by each backend for the planner.
 *
 * Planning never opens a file (a plain EXPLAIN reads nothing, and a lake
 * may have thousands), yet a Parquet file's size says little of its rows.
 * So every scan that reads a footer leaves its row count here, keyed by the
 * file's path, size and modification time, and later plans in the backend
 * use it; a file changed since is not found.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/hsearch.h"

#include "parquet.h"

/* at most this many files are remembered (about 40 bytes each) */
#define MAX_REMEMBERED	100000

typedef struct RowCountKey
{
	uint64		path_hash;		/* a collision costs an estimate, no more */
	int64		size;
	TimestampTz modified;
} RowCountKey;

typedef struct RowCountEntry
{
	RowCountKey key;
	int64		rows;
} RowCountEntry;

static HTAB *row_counts = NULL;

static RowCountKey
key_of(const char *path, int64 size, TimestampTz modified)
{
	RowCountKey key;

	memset(&key, 0, sizeof(key));
	key.path_hash = hash_bytes_extended((const unsigned char *) path,
										strlen(path), 0);
	key.size = size;
	key.modified = modified;
	return key;
}

/* Remember that the file at 'path', as it is now, has 'rows' rows. */
void
parquet_remember_rows(const char *path, int64 size, TimestampTz modified,
					  int64 rows)
{
	RowCountKey key = key_of(path, size, modified);
	RowCountEntry *entry;
	bool		found;

	if (row_counts == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(RowCountKey);
		ctl.entrysize = sizeof(RowCountEntry);
		row_counts = hash_create("ritual_fdw Parquet row counts", 1024, &ctl,
								 HASH_ELEM | HASH_BLOBS);
	}
	if (hash_get_num_entries(row_counts) >= MAX_REMEMBERED &&
		hash_search(row_counts, &key, HASH_FIND, NULL) == NULL)
		return;
	entry = hash_search(row_counts, &key, HASH_ENTER, &found);
	entry->rows = rows;
}

/* The rows of the file as last read, if it has not changed since. */
bool
parquet_known_rows(const char *path, int64 size, TimestampTz modified,
				   int64 *rows)
{
	RowCountKey key;
	RowCountEntry *entry;

	if (row_counts == NULL)
		return false;
	key = key_of(path, size, modified);
	entry = hash_search(row_counts, &key, HASH_FIND, NULL);
	if (entry == NULL)
		return false;
	*rows = entry->rows;
	return true;
}

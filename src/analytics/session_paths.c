/*-------------------------------------------------------------------------
 *
 * session_paths.c
 *		  A session's path is the sequence of its first three clean event
 *		  types (fewer in a shorter session, repeats kept).  Per path: the
 *		  sessions that have it and the distinct users with at least one,
 *		  kept in ritual.path_counts, which the view session_paths reads;
 *		  per user: their distinct paths, in ritual.user_paths, so that a
 *		  refresh that writes a user's sessions again knows whether a path
 *		  comes to the user or leaves them without reading every session.
 *
 * A full build counts every session; a refresh moves the counts by the
 * sessions it deletes and writes, and a path's users when it is the
 * user's first of the path or their last.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "analytics/session_paths.h"
#include "analytics/text_hash.h"

const ColumnSpec user_path_columns[2] = {
	{"user_id", INT8OID}, {"paths", TEXTARRAYOID}
};

typedef struct PathCount
{
	text	   *path;			/* key, in the table's context */
	int64		sessions;
	int64		users;
} PathCount;

struct PathCounts
{
	HTAB	   *paths;			/* PathCount by path */
	MemoryContext context;
};

PathCounts *
path_counts_create(MemoryContext context)
{
	PathCounts *counts = MemoryContextAlloc(context, sizeof(PathCounts));

	counts->paths = text_set_create("ritual session paths", 128, sizeof(PathCount), context);
	counts->context = context;
	return counts;
}

/* Move a path's counts by 'sessions' and 'users'. */
void
path_counts_add(PathCounts *counts, Datum path, int64 sessions, int64 users)
{
	text	   *key = DatumGetTextPP(path);
	bool		found;
	PathCount  *count = hash_search(counts->paths, &key, HASH_ENTER, &found);

	if (!found)
	{
		count->path = MemoryContextAlloc(counts->context, VARSIZE_ANY(key));
		memcpy(count->path, key, VARSIZE_ANY(key));
		count->sessions = count->users = 0;
	}
	count->sessions += sessions;
	count->users += users;
}

/*
 * The counts into ritual.path_counts: as its rows (a full build, the table
 * empty), or added to them, the paths left without a session deleted.
 */
void
path_counts_write(PathCounts *counts, bool by_difference)
{
	HASH_SEQ_STATUS status;
	PathCount  *count;
	long		n = hash_get_num_entries(counts->paths);
	Datum	   *paths = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *sessions = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *users = palloc(sizeof(Datum) * Max(n, 1));
	Oid			argtypes[3] = {TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID};
	Datum		args[3];
	int			i = 0;

	hash_seq_init(&status, counts->paths);
	while ((count = hash_seq_search(&status)) != NULL)
	{
		if (count->sessions == 0 && count->users == 0)
			continue;
		paths[i] = PointerGetDatum(count->path);
		sessions[i] = Int64GetDatum(count->sessions);
		users[i] = Int64GetDatum(count->users);
		i++;
	}
	if (i == 0)
		return;
	args[0] = PointerGetDatum(construct_array(paths, i, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(sessions, i, INT8OID, 8, FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	args[2] = PointerGetDatum(construct_array(users, i, INT8OID, 8, FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	if (SPI_execute_with_args(by_difference ?
							  "INSERT INTO ritual.path_counts AS c "
							  "SELECT * FROM unnest($1, $2, $3) "
							  "ON CONFLICT (path) DO UPDATE "
							  "SET sessions = c.sessions + excluded.sessions, "
							  "    users = c.users + excluded.users" :
							  "INSERT INTO ritual.path_counts SELECT * FROM unnest($1, $2, $3)",
							  3, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write ritual.path_counts");
	if (by_difference &&
		SPI_execute("DELETE FROM ritual.path_counts WHERE sessions = 0", false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not write ritual.path_counts");
}

/*
 * A full build meets each user's sessions together: a path's users are
 * counted as its last user changes.  The paths come from session_path(),
 * one Datum for each, so the tally is keyed by the Datum.
 */
typedef struct PathTallyEntry
{
	Datum		path;			/* key */
	int64		sessions;
	int64		users;
	int64		last_user;
} PathTallyEntry;

struct PathTally
{
	HTAB	   *paths;
};

PathTally *
path_tally_create(MemoryContext context)
{
	PathTally  *tally = MemoryContextAlloc(context, sizeof(PathTally));
	HASHCTL		ctl;

	ctl.keysize = sizeof(Datum);
	ctl.entrysize = sizeof(PathTallyEntry);
	ctl.hcxt = context;
	tally->paths = hash_create("ritual session path tally", 64, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return tally;
}

/* A session of the user with the path: true when it is the user's first such. */
bool
path_tally_add(PathTally *tally, Datum path, int64 user_id)
{
	bool		found;
	PathTallyEntry *entry = hash_search(tally->paths, &path, HASH_ENTER, &found);

	if (!found)
		entry->sessions = entry->users = 0;
	entry->sessions++;
	if (found && entry->last_user == user_id)
		return false;
	entry->users++;
	entry->last_user = user_id;
	return true;
}

void
path_tally_counts(PathTally *tally, PathCounts *counts)
{
	HASH_SEQ_STATUS status;
	PathTallyEntry *entry;

	hash_seq_init(&status, tally->paths);
	while ((entry = hash_seq_search(&status)) != NULL)
		path_counts_add(counts, entry->path, entry->sessions, entry->users);
}

static int
user_path_index(const UserPaths *set, Datum path)
{
	for (int i = 0; i < set->count; i++)
		if (text_datums_equal(PointerGetDatum(set->paths[i]), path))
			return i;
	return -1;
}

bool
user_paths_has(const UserPaths *set, Datum path)
{
	return user_path_index(set, path) >= 0;
}

/* Add a path the set does not have, copied into its context. */
void
user_paths_add(UserPaths *set, Datum path)
{
	text	   *key = DatumGetTextPP(path);

	if (set->count == set->size)
	{
		set->size = Max(8, 2 * set->size);
		set->paths = set->paths == NULL ?
			MemoryContextAlloc(set->context, sizeof(text *) * set->size) :
			repalloc(set->paths, sizeof(text *) * set->size);
	}
	set->paths[set->count] = MemoryContextAlloc(set->context, VARSIZE_ANY(key));
	memcpy(set->paths[set->count], key, VARSIZE_ANY(key));
	set->count++;
}

void
user_paths_remove(UserPaths *set, Datum path)
{
	int			i = user_path_index(set, path);

	if (i >= 0)
		set->paths[i] = set->paths[--set->count];
}

/* Paths in the order of their bytes, as COLLATE "C" sorts them. */
static int
compare_paths(const void *a, const void *b)
{
	const text *x = *(text *const *) a;
	const text *y = *(text *const *) b;
	int			order = memcmp(VARDATA_ANY(x), VARDATA_ANY(y),
							   Min(VARSIZE_ANY_EXHDR(x), VARSIZE_ANY_EXHDR(y)));

	if (order != 0)
		return order;
	return (VARSIZE_ANY_EXHDR(x) > VARSIZE_ANY_EXHDR(y)) - (VARSIZE_ANY_EXHDR(x) < VARSIZE_ANY_EXHDR(y));
}

/* The set as a text[], sorted (one row for one set), for its row of user_paths. */
Datum
user_paths_array(const UserPaths *set)
{
	Datum	   *items = palloc(sizeof(Datum) * Max(set->count, 1));

	if (set->count > 1)
		qsort(set->paths, set->count, sizeof(text *), compare_paths);
	for (int i = 0; i < set->count; i++)
		items[i] = PointerGetDatum(set->paths[i]);
	return PointerGetDatum(construct_array(items, set->count, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/* A stored row's paths into the (empty) set. */
void
user_paths_read(UserPaths *set, Datum array)
{
	Datum	   *items;
	int			count;

	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false, TYPALIGN_INT, &items,
					  NULL, &count);
	for (int i = 0; i < count; i++)
		user_paths_add(set, items[i]);
}

/*-------------------------------------------------------------------------
 *
 * segment_counts.c
 *		  The counts of the passes over the events that the breakdowns by
 *		  profile attribute are made of (src/sql/code/breakdowns.sql).  A
 *		  pass knows each user's segment key, one integer for their
 *		  combination of segments over the attributes (ritual.user_segments,
 *		  ritual.segment_keys): counting by key, not by attribute and
 *		  segment, costs one hash entry per day however many attributes
 *		  there are, and SQL splits the keys by attribute.
 *
 * Per key and day, steps: DAU's count of the day, and the changes of WAU
 * and MAU on it (a day's WAU and MAU sum the steps up to it).  A full
 * build's pass adds each user's active days (DAU, WAU and MAU up on the
 * day, down when the stretch of 7 or 30 days ends); a refresh's pass what
 * a walked user's changed days change.  Per key, cohort week and week
 * since signup, as retention_cohorts counts them: the users active in
 * the week and those whose last active week it is (a refresh's pass: their
 * changes).  A few thousand entries each, written by SQL at the end of the
 * pass to pg_temp._ritual_segment_day_counts and
 * _ritual_segment_week_counts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"

#include "analytics/segment_counts.h"

typedef struct SegmentDayKey
{
	int32		key;
	DateADT		day;
} SegmentDayKey;

typedef struct SegmentDay
{
	SegmentDayKey id;
	int64		dau;
	int64		wau;
	int64		mau;
} SegmentDay;

typedef struct SegmentWeekKey
{
	int32		key;
	DateADT		cohort_week;
	int32		week;
} SegmentWeekKey;

typedef struct SegmentWeek
{
	SegmentWeekKey id;
	int64		active_users;
	int64		last_active_users;
} SegmentWeek;

struct SegmentCounts
{
	HTAB	   *days;
	HTAB	   *weeks;
};

static HTAB *
counts_table(const char *name, Size key_size, Size entry_size, MemoryContext context)
{
	HASHCTL		ctl;

	ctl.keysize = key_size;
	ctl.entrysize = entry_size;
	ctl.hcxt = context;
	return hash_create(name, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

SegmentCounts *
segment_counts_create(MemoryContext context)
{
	SegmentCounts *counts = MemoryContextAlloc(context, sizeof(SegmentCounts));

	counts->days = counts_table("ritual counts per segment key and day", sizeof(SegmentDayKey),
								sizeof(SegmentDay), context);
	counts->weeks = counts_table("ritual counts per segment key and week", sizeof(SegmentWeekKey),
								 sizeof(SegmentWeek), context);
	return counts;
}

void
segment_day_add(SegmentCounts *counts, int32 key, DateADT day, int dau, int wau, int mau)
{
	SegmentDayKey id;
	SegmentDay *entry;
	bool		found;

	memset(&id, 0, sizeof(id));
	id.key = key;
	id.day = day;
	entry = hash_search(counts->days, &id, HASH_ENTER, &found);
	if (!found)
		entry->dau = entry->wau = entry->mau = 0;
	entry->dau += dau;
	entry->wau += wau;
	entry->mau += mau;
}

void
segment_week_add(SegmentCounts *counts, int32 key, DateADT cohort_week, int32 week,
				 int active_users, int last_active_users)
{
	SegmentWeekKey id;
	SegmentWeek *entry;
	bool		found;

	memset(&id, 0, sizeof(id));
	id.key = key;
	id.cohort_week = cohort_week;
	id.week = week;
	entry = hash_search(counts->weeks, &id, HASH_ENTER, &found);
	if (!found)
		entry->active_users = entry->last_active_users = 0;
	entry->active_users += active_users;
	entry->last_active_users += last_active_users;
}

static Datum
int_array(Datum *values, int n, Oid type)
{
	if (type == INT8OID)
		return PointerGetDatum(construct_array(values, n, INT8OID, 8, FLOAT8PASSBYVAL,
											   TYPALIGN_DOUBLE));
	return PointerGetDatum(construct_array(values, n, type, 4, true, TYPALIGN_INT));
}

/* Write the rows of 'columns' arrays of n values as a scratch table, by 'query'. */
static void
write_columns(const char *query, Datum **columns, const Oid *types, int count, int n)
{
	Oid			argtypes[5];
	Datum		args[5];

	Assert(count <= (int) lengthof(args));
	for (int c = 0; c < count; c++)
	{
		args[c] = int_array(columns[c], n, types[c]);
		argtypes[c] = get_array_type(types[c]);
	}
	if (SPI_execute_with_args(query, count, argtypes, args, NULL, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not write the counts by segment key");
}

void
segment_counts_write(SegmentCounts *counts)
{
	HASH_SEQ_STATUS status;
	long		n;
	int			i;
	Datum	   *columns[5];

	n = hash_get_num_entries(counts->days);
	for (int c = 0; c < 5; c++)
		columns[c] = palloc(sizeof(Datum) * Max(n, 1));
	i = 0;
	{
		SegmentDay *day;
		static const Oid types[5] = {INT4OID, DATEOID, INT8OID, INT8OID, INT8OID};

		hash_seq_init(&status, counts->days);
		while ((day = hash_seq_search(&status)) != NULL)
		{
			columns[0][i] = Int32GetDatum(day->id.key);
			columns[1][i] = DateADTGetDatum(day->id.day);
			columns[2][i] = Int64GetDatum(day->dau);
			columns[3][i] = Int64GetDatum(day->wau);
			columns[4][i] = Int64GetDatum(day->mau);
			i++;
		}
		write_columns("CREATE TEMP TABLE _ritual_segment_day_counts ON COMMIT DROP AS "
					  "SELECT * FROM unnest($1, $2, $3, $4, $5) "
					  "    AS c(segment_key, day, dau, wau, mau)",
					  columns, types, 5, (int) n);
	}

	n = hash_get_num_entries(counts->weeks);
	for (int c = 0; c < 5; c++)
		columns[c] = palloc(sizeof(Datum) * Max(n, 1));
	i = 0;
	{
		SegmentWeek *week;
		static const Oid types[5] = {INT4OID, DATEOID, INT4OID, INT8OID, INT8OID};

		hash_seq_init(&status, counts->weeks);
		while ((week = hash_seq_search(&status)) != NULL)
		{
			columns[0][i] = Int32GetDatum(week->id.key);
			columns[1][i] = DateADTGetDatum(week->id.cohort_week);
			columns[2][i] = Int32GetDatum(week->id.week);
			columns[3][i] = Int64GetDatum(week->active_users);
			columns[4][i] = Int64GetDatum(week->last_active_users);
			i++;
		}
		write_columns("CREATE TEMP TABLE _ritual_segment_week_counts ON COMMIT DROP AS "
					  "SELECT * FROM unnest($1, $2, $3, $4, $5) "
					  "    AS c(segment_key, cohort_week, week, active_users, last_active_users)",
					  columns, types, 5, (int) n);
	}
}

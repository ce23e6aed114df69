/*-------------------------------------------------------------------------
 *
 * user_activity.c
 *		  What a user's days with clean events add to the weekly lifecycle
 *		  (new, returning, resurrecting, dormant) and to the stickiness
 *		  distributions (users active on exactly k days of a week, of a
 *		  month), kept in ritual.activity_counts, which the reports
 *		  weekly_lifecycle, weekly_stickiness and monthly_stickiness are
 *		  made of (update_reports).
 *
 * Weeks start on Sunday, as retention's cohorts do.  A user's week counts
 * from the week before it (returning or not) and from whether any week
 * before that was active (resurrecting or new); a month only from its own
 * days.  So a change on day d leaves every week before d's and every month
 * before d's as it was, and the days from the Sunday a week before d's
 * week (or the first of d's month, if earlier) on, with whether the user
 * was active before those, say all that can change: the refresh's pass
 * counts those days as they were (-1) and as they are (+1), the full
 * build's pass every day of every user (+1).
 *
 * The counts are a small hash table by kind, period and k (a few thousand
 * entries at most), written by SQL at the end of a pass.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

#include "analytics/analytics.h"
#include "analytics/user_activity.h"

typedef enum ActivityKind
{
	KIND_NEW, KIND_RETURNING, KIND_RESURRECTING, KIND_DORMANT, KIND_WEEK_DAYS,
	KIND_MONTH_DAYS, KIND_COUNT
} ActivityKind;

/* as ritual.activity_counts spells them */
static const char *const kind_names[KIND_COUNT] = {
	"new", "returning", "resurrecting", "dormant", "week_days", "month_days"
};

typedef struct ActivityKey
{
	int32		period;			/* the Sunday of the week, the first of the month */
	int16		kind;
	int16		days;			/* active days, for the stickiness kinds; else 0 */
} ActivityKey;

typedef struct ActivityCount
{
	ActivityKey key;
	int64		users;
} ActivityCount;

HTAB *
activity_counts_create(MemoryContext context)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(ActivityKey);
	ctl.entrysize = sizeof(ActivityCount);
	ctl.hcxt = context;
	return hash_create("ritual activity counts", 256, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
activity_add(HTAB *counts, ActivityKind kind, DateADT period, int days, int users)
{
	ActivityKey key;
	ActivityCount *count;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.period = period;
	key.kind = kind;
	key.days = days;
	count = hash_search(counts, &key, HASH_ENTER, &found);
	if (!found)
		count->users = 0;
	count->users += users;
}

static DateADT
month_start(DateADT day)
{
	int			year,
				month,
				mday;

	j2date(day + POSTGRES_EPOCH_JDATE, &year, &month, &mday);
	return date2j(year, month, 1) - POSTGRES_EPOCH_JDATE;
}

/*
 * The first day whose activity a change on 'first' can reach: the user's
 * active days from it on are what activity_count_user needs.
 */
DateADT
activity_days_from(DateADT first)
{
	return Min(ritual_week_start(first) - 7, month_start(first));
}

/*
 * The periods from first's week and month on, of the days that are active
 * 'after' the refresh (else before it), each counted 'users' times.
 */
static void
count_days(HTAB *counts, const ActiveDay *days, int count, bool after, DateADT first,
		   bool active_earlier, int users)
{
	DateADT		first_week = ritual_week_start(first);
	DateADT		first_month = month_start(first);
	bool		has_week = false;
	DateADT		last_week = 0;
	int			i = 0;

	/* the weeks: lifecycle and days per week */
	while (i < count)
	{
		DateADT		week;
		int			active = 0;

		if (!(after ? days[i].after : days[i].before))
		{
			i++;
			continue;
		}
		week = ritual_week_start(days[i].day);
		for (; i < count && days[i].day < week + 7; i++)
			active += after ? days[i].after : days[i].before;
		if (has_week && last_week + 7 < week && last_week + 7 >= first_week)
			activity_add(counts, KIND_DORMANT, last_week + 7, 0, users);
		if (week >= first_week)
		{
			ActivityKind kind;

			if (has_week && last_week == week - 7)
				kind = KIND_RETURNING;
			else if (has_week || active_earlier)
				kind = KIND_RESURRECTING;
			else
				kind = KIND_NEW;
			activity_add(counts, kind, week, 0, users);
			activity_add(counts, KIND_WEEK_DAYS, week, active, users);
		}
		has_week = true;
		last_week = week;
	}
	if (has_week && last_week + 7 >= first_week)
		activity_add(counts, KIND_DORMANT, last_week + 7, 0, users);

	/* the months: days per month */
	i = 0;
	while (i < count)
	{
		DateADT		month;
		DateADT		next;
		int			active = 0;

		if (days[i].day < first_month || !(after ? days[i].after : days[i].before))
		{
			i++;
			continue;
		}
		month = month_start(days[i].day);
		next = month_start(month + 31);
		for (; i < count && days[i].day < next; i++)
			active += after ? days[i].after : days[i].before;
		activity_add(counts, KIND_MONTH_DAYS, month, active, users);
	}
}

/*
 * A user's active days, in order, from activity_days_from(first) on (every
 * one the user had before the refresh or has after it), and whether they
 * had one before those (which a refresh does not change): what the weeks
 * and months from first's on count of them moves by, into 'counts'.
 */
void
activity_count_user(HTAB *counts, const ActiveDay *days, int count, DateADT first,
					bool active_earlier)
{
	count_days(counts, days, count, false, first, active_earlier, -1);
	count_days(counts, days, count, true, first, active_earlier, 1);
}

/*
 * The counts into ritual.activity_counts: as its rows (a full build, the
 * table empty), or added to them, the rows left at zero deleted (a
 * refresh).
 */
void
activity_counts_write(HTAB *counts, bool by_difference)
{
	HASH_SEQ_STATUS status;
	ActivityCount *count;
	long		n = hash_get_num_entries(counts);
	Datum	   *kinds = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *periods = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *days = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *users = palloc(sizeof(Datum) * Max(n, 1));
	Datum		names[KIND_COUNT];
	Oid			argtypes[4] = {TEXTARRAYOID, DATEARRAYOID, INT4ARRAYOID, INT8ARRAYOID};
	Datum		args[4];
	int			i = 0;

	for (int k = 0; k < KIND_COUNT; k++)
		names[k] = CStringGetTextDatum(kind_names[k]);
	hash_seq_init(&status, counts);
	while ((count = hash_seq_search(&status)) != NULL)
	{
		if (count->users == 0)
			continue;
		kinds[i] = names[count->key.kind];
		periods[i] = DateADTGetDatum(count->key.period);
		days[i] = Int32GetDatum(count->key.days);
		users[i] = Int64GetDatum(count->users);
		i++;
	}
	if (i == 0)
		return;
	args[0] = PointerGetDatum(construct_array(kinds, i, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(periods, i, DATEOID, 4, true, TYPALIGN_INT));
	args[2] = PointerGetDatum(construct_array(days, i, INT4OID, 4, true, TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_array(users, i, INT8OID, 8, FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	if (SPI_execute_with_args(by_difference ?
							  "INSERT INTO ritual.activity_counts AS a "
							  "SELECT * FROM unnest($1, $2, $3, $4) "
							  "ON CONFLICT (kind, period, days) "
							  "DO UPDATE SET users = a.users + excluded.users" :
							  "INSERT INTO ritual.activity_counts "
							  "SELECT * FROM unnest($1, $2, $3, $4)",
							  4, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write ritual.activity_counts");
	if (by_difference &&
		SPI_execute("DELETE FROM ritual.activity_counts WHERE users = 0", false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not write ritual.activity_counts");
}

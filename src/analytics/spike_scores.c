/*-------------------------------------------------------------------------
 *
 * spike_scores.c
 *		  The robust spike detector's scores (docs/metrics.md, Spikes and
 *		  drop-offs), for every day of every daily series in one pass over
 *		  each series in day order.
 *
 * A day's expected value is the median of the values a week, two, three
 * and four weeks before (at least three of them there); its score l the
 * log of (value + 1) / (expected + 1).  A day is too young to judge
 * without a score or with fewer than 28 scores among the 56 days before
 * it; the others, from judge_from on, get z = (l - m) / sigma, where m is
 * the median of those scores and sigma the greatest of 1.4826 times their
 * median distance from m, 0.1 and 1 / sqrt(expected + 1).  Medians are
 * taken as percentile_cont(0.5) takes them, the mean of the two middle
 * values of an even count computed as it computes it, so that the values
 * are those SQL would give.  The scores of the 56 days before a day are a
 * window that slides with it; the weeks before are found by their day.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/memutils.h"

#include "ritual.h"
#include "analytics/analytics.h"
#include "analytics/bulk_insert.h"
#include "analytics/event_rows.h"

PG_FUNCTION_INFO_V1(ritual_judge_days);

/* the days of history a day is judged against, and how many scores it needs */
#define HISTORY_DAYS	56
#define HISTORY_SCORES	28

/* the days before whose values give the expected value */
static const int weeks_before[] = {7, 14, 21, 28};

static const ColumnSpec judged_columns[] = {
	{"series", TEXTOID}, {"day", DATEOID}, {"value", FLOAT8OID}, {"expected", FLOAT8OID},
	{"z", FLOAT8OID}, {"too_young", BOOLOID}
};

/* One day of a series. */
typedef struct SeriesDay
{
	DateADT		day;
	double		value;
	bool		has_expected;
	double		expected;
	bool		has_score;
	double		score;
} SeriesDay;

typedef struct Series
{
	Datum		name;			/* text, in the pass's context */
	SeriesDay  *days;
	int			count;
	int			size;
} Series;

static int
compare_doubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* percentile_cont(0.5) of the n values (n > 0), sorted here; the funnels' medians too */
double
ritual_median(double *values, int64 n)
{
	double		position = 0.5 * (n - 1);
	int64		low = (int64) floor(position);
	int64		high = (int64) ceil(position);

	qsort(values, n, sizeof(double), compare_doubles);
	if (low == high)
		return values[low];
	return values[low] + ((position - low) * (values[high] - values[low]));
}

/* The series' value on 'day', if it has the day. */
static bool
value_on(Series *series, int before, DateADT day, double *value)
{
	int			low = 0;
	int			high = before - 1;

	while (low <= high)
	{
		int			middle = low + (high - low) / 2;

		if (series->days[middle].day == day)
		{
			*value = series->days[middle].value;
			return true;
		}
		if (series->days[middle].day < day)
			low = middle + 1;
		else
			high = middle - 1;
	}
	return false;
}

/* Expected values and scores, then the judgement of each day. */
static void
judge_series(Series *series, DateADT judge_from, BulkTable *judged, double *window,
			 double *spread)
{
	int			first = 0;		/* the first day of the current day's history */
	int			scores = 0;		/* the scores from it to the current day */

	for (int i = 0; i < series->count; i++)
	{
		SeriesDay  *d = &series->days[i];
		double		found[lengthof(weeks_before)];
		int			n = 0;

		for (int w = 0; w < (int) lengthof(weeks_before); w++)
		{
			if (value_on(series, i, d->day - weeks_before[w], &found[n]))
				n++;
		}
		d->has_expected = n >= 3;
		d->expected = 0;
		if (d->has_expected)
		{
			double		sum = 0,
						greatest = found[0],
						least = found[0];

			for (int k = 0; k < n; k++)
			{
				sum += found[k];
				greatest = Max(greatest, found[k]);
				least = Min(least, found[k]);
			}
			d->expected = n == 4 ? (sum - greatest - least) / 2 : sum - greatest - least;
			d->score = log((d->value + 1) / (d->expected + 1));
		}
		d->has_score = d->has_expected;
	}

	for (int i = 0; i < series->count; i++)
	{
		SeriesDay  *d = &series->days[i];
		TupleTableSlot *slot;
		bool		too_young;
		bool		has_z = false;
		double		z = 0;

		/* the history: the days from day - 56 to the day before */
		for (; first < i && series->days[first].day < d->day - HISTORY_DAYS; first++)
			scores -= series->days[first].has_score;
		too_young = !d->has_score || scores < HISTORY_SCORES;
		if (!too_young && d->day >= judge_from)
		{
			int			n = 0;
			double		m;
			double		mad;

			for (int k = first; k < i; k++)
			{
				if (series->days[k].has_score)
					window[n++] = series->days[k].score;
			}
			m = ritual_median(window, n);
			for (int k = 0; k < n; k++)
				spread[k] = fabs(window[k] - m);
			mad = ritual_median(spread, n);
			z = (d->score - m) / Max(Max(1.4826 * mad, 0.1), 1 / sqrt(d->expected + 1));
			has_z = true;
		}
		scores += d->has_score;

		slot = bulk_next_slot(judged);
		bulk_set(judged, slot, 0, series->name, false);
		bulk_set(judged, slot, 1, DateADTGetDatum(d->day), false);
		bulk_set(judged, slot, 2, Float8GetDatum(d->value), false);
		bulk_set(judged, slot, 3, Float8GetDatum(d->expected), !d->has_expected);
		bulk_set(judged, slot, 4, Float8GetDatum(z), !has_z);
		bulk_set(judged, slot, 5, BoolGetDatum(too_young), false);
		bulk_store(judged, slot, 64, false);
	}
	bulk_flush(judged);
}

/* What the read of the series carries from row to row. */
typedef struct SeriesRead
{
	DateADT		judge_from;
	BulkTable	judged;
	Series		series;
	MemoryContext series_context;
	double		window[HISTORY_DAYS];
	double		spread[HISTORY_DAYS];
} SeriesRead;

/* One row of the sorted read (series, day, value): a series ends where the next begins. */
static void
series_row(void *state, HeapTuple tuple, TupleDesc desc)
{
	SeriesRead *read = state;
	Series	   *series = &read->series;
	bool		isnull;
	Datum		name = heap_getattr(tuple, 1, desc, &isnull);
	DateADT		day = DatumGetDateADT(heap_getattr(tuple, 2, desc, &isnull));
	double		value = DatumGetFloat8(heap_getattr(tuple, 3, desc, &isnull));
	MemoryContext old;
	SeriesDay  *d;

	if (series->count > 0 &&
		!DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID, series->name, name)))
	{
		judge_series(series, read->judge_from, &read->judged, read->window, read->spread);
		MemoryContextReset(read->series_context);
		memset(series, 0, sizeof(Series));
	}
	if (series->count > 0 && series->days[series->count - 1].day == day)
		elog(ERROR, "a daily series has two values for one day");
	old = MemoryContextSwitchTo(read->series_context);
	if (series->count == 0)
		series->name = datumCopy(name, false, -1);
	if (series->count == series->size)
	{
		series->size = Max(64, 2 * series->size);
		series->days = series->days == NULL ? palloc(sizeof(SeriesDay) * series->size) :
			repalloc(series->days, sizeof(SeriesDay) * series->size);
	}
	MemoryContextSwitchTo(old);
	d = &series->days[series->count++];
	d->day = day;
	d->value = value;
}

/* Nothing refers to a batch of the read once its rows are copied. */
static void
series_batch_done(pg_attribute_unused() void *state)
{
}

/*
 * judge_days(judge_from date)
 *		The scores of every day of pg_temp._ritual_series (series, day,
 *		value), into pg_temp._ritual_judged (series, day, value, expected,
 *		z, too_young), which detect_spikes made: z for the days from
 *		judge_from on with enough history, NULL for the others.  Internal
 *		to detect_spikes.
 */
Datum
ritual_judge_days(PG_FUNCTION_ARGS)
{
	SeriesRead	read = {0};
	MemoryContext row_context = AllocSetContextCreate(CurrentMemoryContext, "ritual series rows",
													  ALLOCSET_DEFAULT_SIZES);

	read.judge_from = PG_GETARG_DATEADT(0);
	read.series_context = AllocSetContextCreate(CurrentMemoryContext, "ritual daily series",
												ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	bulk_open(&read.judged, table_named("pg_temp", "_ritual_judged"), judged_columns,
			  lengthof(judged_columns));

	read_sorted_rows("SELECT series, day, value FROM pg_temp._ritual_series"
					 " WHERE series IS NOT NULL AND day IS NOT NULL AND value IS NOT NULL"
					 " ORDER BY series, day",
					 "the daily series", BULK_ROWS, series_row, series_batch_done, &read,
					 row_context);
	if (read.series.count > 0)
		judge_series(&read.series, read.judge_from, &read.judged, read.window, read.spread);
	bulk_close(&read.judged);
	SPI_finish();
	MemoryContextDelete(read.series_context);
	MemoryContextDelete(row_context);
	PG_RETURN_VOID();
}

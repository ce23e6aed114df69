/*
 * events.c
 *		Events rows: simulated events spelt as CSV, some damaged or injected,
 *		each flagged by the rules as it is written.
 *
 * A user's rows are written together, in time order, with the rows injected
 * around them: a row of an unknown type, a row of the user's "ghost" (an id
 * with no profile, users + the user's id, so that it belongs to this user's
 * rows only), a row dated before signup, a row in the future, and copies of
 * any of these rows.  As every key (user_id, type, date) of a row belongs to
 * one user's rows, duplicates are found with a set emptied between users.
 *
 * Valid values come in several spellings, as exports have them; a copy made
 * as a duplicate is often spelt differently from its original.  A row that
 * would repeat an earlier key by accident (a bare date at midnight, two
 * events in the same second) is moved by a second instead, so that every
 * duplicate is one that was meant.
 */
#include "events.h"

#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>

/* How a user_id is spelt; from USER_FIRST_BAD on it is missing_user_id. */
typedef enum UserForm
{
	USER_PLAIN,
	USER_QUOTED,
	USER_FIRST_BAD,
	USER_NULL = USER_FIRST_BAD, /* , , */
	USER_EMPTY_QUOTED,			/* "" */
	USER_PREFIXED,				/* user123 */
	USER_SUFFIXED,				/* 123x */
	USER_DECIMAL,				/* 123.0 */
	USER_OVERFLOW,				/* 99999999999999999999 */
	USER_NOT_AVAILABLE,			/* N/A */
	USER_FORM_COUNT
} UserForm;

/* How an event_type is spelt; from TYPE_FIRST_BLANK on it is missing. */
typedef enum TypeForm
{
	TYPE_PLAIN,					/* app_opened */
	TYPE_CAPITALIZED,			/* App_opened */
	TYPE_TITLE,					/* App_Opened */
	TYPE_UPPER,					/* APP_OPENED */
	TYPE_QUOTED,				/* "app_opened" */
	TYPE_QUOTED_PADDED,			/* " app_opened " */
	TYPE_PADDED,				/* ,  app_opened , */
	TYPE_TRAILING_SPACES,		/* ,app_opened  , */
	TYPE_FIRST_BLANK,
	TYPE_NULL = TYPE_FIRST_BLANK,
	TYPE_EMPTY_QUOTED,			/* "" */
	TYPE_BLANK_QUOTED,			/* "   " */
	TYPE_BLANK,					/* ,  , */
	TYPE_FORM_COUNT
} TypeForm;

#define TYPE_CASE_FORMS 4		/* plain, capitalized, title, upper */

/* How an event_date is spelt; from DATE_FIRST_BAD on it is missing. */
typedef enum DateForm
{
	DATE_ISO,					/* 2024-03-05 10:11:12 */
	DATE_ISO_T_Z,				/* 2024-03-05T10:11:12Z */
	DATE_QUOTED,				/* "2024-03-05 10:11:12" */
	DATE_BARE,					/* 2024-03-05, meaning midnight */
	DATE_FIRST_BAD,
	DATE_NULL = DATE_FIRST_BAD,
	DATE_EMPTY_QUOTED,			/* "" */
	DATE_MONTH_13,				/* 2024-13-05 10:11:12 */
	DATE_MONTH_13_DAY_45,		/* 2024-13-45 */
	DATE_DAY_PAST_MONTH,		/* 2024-04-31 10:11:12 */
	DATE_HOUR_25,				/* 2024-03-05 25:11:12 */
	DATE_ZEROS,					/* 0000-00-00 00:00:00 */
	DATE_FORM_COUNT
} DateForm;

typedef struct EventRow
{
	int64_t		user_id;
	int64_t		time;			/* what a valid date field means */
	int64_t		simulated_time; /* the time before a bare date dropped it */
	uint8_t		type;			/* EventType */
	uint8_t		user_form;		/* UserForm */
	uint8_t		type_form;		/* TypeForm */
	uint8_t		date_form;		/* DateForm */
} EventRow;

/* Longest row: 20-digit id, padded 26-byte type, quoted 19-byte date. */
#define MAX_ROW_BYTES 160

/* Spellings of each type, by case form; built by events_prepare. */
static char type_spelling[EVENT_TYPE_COUNT][TYPE_CASE_FORMS][32];
static uint8_t type_spelling_len[EVENT_TYPE_COUNT];

/* "YYYY-MM-DD" of the days most rows fall on; others are computed. */
static char (*date_text)[10];
static int64_t date_text_first;
static int64_t date_text_count;

static const char two_digits[] =
"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
"8081828384858687888990919293949596979899";

void
events_prepare(const Model *model)
{
	for (int t = 0; t < EVENT_TYPE_COUNT; t++)
	{
		const char *name = event_type_names[t];
		size_t		len = strlen(name);

		type_spelling_len[t] = (uint8_t) len;
		for (int form = 0; form < TYPE_CASE_FORMS; form++)
		{
			char	   *spelt = type_spelling[t][form];

			for (size_t i = 0; i < len; i++)
			{
				char		c = name[i];
				bool		word_start = i == 0 || name[i - 1] == '_';
				bool		upper = form == TYPE_UPPER ||
					(form == TYPE_CAPITALIZED && i == 0) ||
					(form == TYPE_TITLE && word_start);

				spelt[i] = (upper && c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : c;
			}
		}
	}

	/* from well before signup to well after the reference time */
	date_text_first = model->start_day - 400;
	date_text_count = model->days + 800;
	free(date_text);
	date_text = malloc((size_t) date_text_count * sizeof(*date_text));
	if (date_text == NULL)
	{
		fprintf(stderr, GENERATOR_NAME ": out of memory\n");
		exit(1);
	}
	for (int64_t i = 0; i < date_text_count; i++)
		format_date(date_text[i], date_text_first + i);
}

static inline void
out_date(OutBuffer *out, int64_t day)
{
	int64_t		i = day - date_text_first;

	if (i >= 0 && i < date_text_count)
		memcpy(out->data + out->len, date_text[i], 10);
	else
		format_date(out->data + out->len, day);
	out->len += 10;
}

static inline void
out_two_digits(OutBuffer *out, int value)
{
	out->data[out->len++] = two_digits[2 * value];
	out->data[out->len++] = two_digits[2 * value + 1];
}

static inline void
out_time_of_day(OutBuffer *out, int seconds)
{
	out_two_digits(out, seconds / 3600);
	out_char(out, ':');
	out_two_digits(out, seconds / 60 % 60);
	out_char(out, ':');
	out_two_digits(out, seconds % 60);
}

static void
write_user_field(OutBuffer *out, const EventRow *row)
{
	uint64_t	id = (uint64_t) row->user_id;

	switch ((UserForm) row->user_form)
	{
		case USER_PLAIN:
			out_uint(out, id);
			break;
		case USER_QUOTED:
			out_char(out, '"');
			out_uint(out, id);
			out_char(out, '"');
			break;
		case USER_NULL:
			break;
		case USER_EMPTY_QUOTED:
			out_bytes(out, "\"\"", 2);
			break;
		case USER_PREFIXED:
			out_bytes(out, "user", 4);
			out_uint(out, id);
			break;
		case USER_SUFFIXED:
			out_uint(out, id);
			out_char(out, 'x');
			break;
		case USER_DECIMAL:
			out_uint(out, id);
			out_bytes(out, ".0", 2);
			break;
		case USER_OVERFLOW:
			out_bytes(out, "99999999999999999999", 20);
			break;
		case USER_NOT_AVAILABLE:
			out_bytes(out, "N/A", 3);
			break;
		case USER_FORM_COUNT:
			break;
	}
}

static void
write_type_field(OutBuffer *out, const EventRow *row)
{
	const char *plain = type_spelling[row->type][TYPE_PLAIN];
	size_t		len = type_spelling_len[row->type];

	switch ((TypeForm) row->type_form)
	{
		case TYPE_PLAIN:
		case TYPE_CAPITALIZED:
		case TYPE_TITLE:
		case TYPE_UPPER:
			out_bytes(out, type_spelling[row->type][row->type_form], len);
			break;
		case TYPE_QUOTED:
			out_char(out, '"');
			out_bytes(out, plain, len);
			out_char(out, '"');
			break;
		case TYPE_QUOTED_PADDED:
			out_bytes(out, "\" ", 2);
			out_bytes(out, plain, len);
			out_bytes(out, " \"", 2);
			break;
		case TYPE_PADDED:
			out_char(out, ' ');
			out_bytes(out, plain, len);
			out_char(out, ' ');
			break;
		case TYPE_TRAILING_SPACES:
			out_bytes(out, plain, len);
			out_bytes(out, "  ", 2);
			break;
		case TYPE_NULL:
			break;
		case TYPE_EMPTY_QUOTED:
			out_bytes(out, "\"\"", 2);
			break;
		case TYPE_BLANK_QUOTED:
			out_bytes(out, "\"   \"", 5);
			break;
		case TYPE_BLANK:
			out_bytes(out, "  ", 2);
			break;
		case TYPE_FORM_COUNT:
			break;
	}
}

static void
write_date_field(OutBuffer *out, const EventRow *row)
{
	/* damaged dates are damaged spellings of the simulated time */
	int64_t		day = floor_div(row->simulated_time, SECONDS_PER_DAY);
	int			seconds = (int) (row->simulated_time - day * SECONDS_PER_DAY);

	switch ((DateForm) row->date_form)
	{
		case DATE_ISO:
		case DATE_ISO_T_Z:
		case DATE_QUOTED:
		case DATE_BARE:
			day = floor_div(row->time, SECONDS_PER_DAY);
			seconds = (int) (row->time - day * SECONDS_PER_DAY);
			if (row->date_form == DATE_QUOTED)
				out_char(out, '"');
			out_date(out, day);
			if (row->date_form == DATE_BARE)
				break;
			out_char(out, row->date_form == DATE_ISO_T_Z ? 'T' : ' ');
			out_time_of_day(out, seconds);
			if (row->date_form == DATE_ISO_T_Z)
				out_char(out, 'Z');
			if (row->date_form == DATE_QUOTED)
				out_char(out, '"');
			break;
		case DATE_NULL:
			break;
		case DATE_EMPTY_QUOTED:
			out_bytes(out, "\"\"", 2);
			break;
		case DATE_MONTH_13:
		case DATE_MONTH_13_DAY_45:
		case DATE_DAY_PAST_MONTH:
		case DATE_HOUR_25:
			{
				int64_t		year;
				int			month,
							mday;

				civil_from_days(day, &year, &month, &mday);
				out_uint(out, (uint64_t) year);
				out_char(out, '-');
				if (row->date_form == DATE_MONTH_13 ||
					row->date_form == DATE_MONTH_13_DAY_45)
					out_two_digits(out, 13);
				else
					out_two_digits(out, month);
				out_char(out, '-');
				if (row->date_form == DATE_MONTH_13_DAY_45)
				{
					out_two_digits(out, 45);
					break;
				}
				if (row->date_form == DATE_DAY_PAST_MONTH)
					out_two_digits(out, days_in_month(year, month) + 1);
				else
					out_two_digits(out, mday);
				out_char(out, ' ');
				if (row->date_form == DATE_HOUR_25)
					out_time_of_day(out, 25 * 3600 + seconds % 3600);
				else
					out_time_of_day(out, seconds);
				break;
			}
		case DATE_ZEROS:
			out_bytes(out, "0000-00-00 00:00:00", 19);
			break;
		case DATE_FORM_COUNT:
			break;
	}
}

static void
write_row(OutBuffer *out, const EventRow *row)
{
	out_reserve(out, MAX_ROW_BYTES);
	write_user_field(out, row);
	out_char(out, ',');
	write_type_field(out, row);
	out_char(out, ',');
	write_date_field(out, row);
	out_char(out, '\n');
}

/* Valid spellings, mostly the plain ones. */
static void
choose_user_spelling(Prng *surface, EventRow *row)
{
	row->user_form = prng_uniform(surface) < 0.02 ? USER_QUOTED : USER_PLAIN;
}

static void
choose_type_spelling(Prng *surface, EventRow *row)
{
	static const double cumulative[] = {0.90, 0.93, 0.945, 0.95, 0.98, 0.99, 0.995};
	double		u = prng_uniform(surface);
	int			form = 0;

	while (form < TYPE_FIRST_BLANK - 1 && u >= cumulative[form])
		form++;
	row->type_form = (uint8_t) form;
}

/* A bare date means midnight: the row's time becomes its day's start. */
static void
choose_date_spelling(Prng *surface, EventRow *row)
{
	double		u = prng_uniform(surface);

	row->time = row->simulated_time;
	if (u < 0.97)
		row->date_form = DATE_ISO;
	else if (u < 0.99)
		row->date_form = DATE_ISO_T_Z;
	else if (u < 0.995)
		row->date_form = DATE_QUOTED;
	else
	{
		row->date_form = DATE_BARE;
		row->time = floor_div(row->simulated_time, SECONDS_PER_DAY) * SECONDS_PER_DAY;
	}
}

static void
choose_spellings(Prng *surface, EventRow *row)
{
	choose_user_spelling(surface, row);
	choose_type_spelling(surface, row);
	choose_date_spelling(surface, row);
}

/*
 * Write a row and count its flags.  A row not meant as a duplicate that
 * repeats an earlier key is rewritten a second later (or, if only its bare
 * date made it repeat, with its time).
 */
static void
emit_row(EventWriter *writer, EventRow *row, bool meant_as_duplicate)
{
	for (;;)
	{
		size_t		start = writer->out.len;
		unsigned	flags;

		write_row(&writer->out, row);
		flags = event_rules_classify(&writer->rules, writer->out.data + start,
									 writer->out.len - start - 1);
		if ((flags & ANOMALY_BIT(ANOMALY_DUPLICATE)) && !meant_as_duplicate)
		{
			writer->out.len = start;
			if (row->date_form == DATE_BARE)
			{
				row->date_form = DATE_ISO;
				row->time = row->simulated_time;
			}
			else
			{
				row->time++;
				row->simulated_time++;
			}
			continue;
		}
		writer->flag_rows[flags]++;
		writer->rows++;
		return;
	}
}

/*
 * With the duplicate rate, write a copy of a row just written: the same
 * values, valid ones often spelt anew, damaged ones as they were.
 */
static void
maybe_duplicate(EventWriter *writer, Prng *anomalies, Prng *surface,
				const EventRow *original)
{
	EventRow	copy = *original;

	if (prng_uniform(anomalies) >= writer->model->config->anomaly_rate[ANOMALY_DUPLICATE])
		return;
	if (copy.user_form < USER_FIRST_BAD)
		choose_user_spelling(surface, &copy);
	if (copy.type_form < TYPE_FIRST_BLANK)
		choose_type_spelling(surface, &copy);
	if (copy.date_form < DATE_FIRST_BAD)
	{
		bool		midnight = copy.time % SECONDS_PER_DAY == 0;

		copy.date_form = (uint8_t) prng_below(surface, midnight ? 4 : 3);
	}
	emit_row(writer, &copy, true);
}

static void
emit_with_copies(EventWriter *writer, Prng *anomalies, Prng *surface, EventRow *row)
{
	emit_row(writer, row, false);
	maybe_duplicate(writer, anomalies, surface, row);
}

/* An injected row: valid spellings of the given values. */
static EventRow
injected_row(Prng *surface, int64_t user_id, uint8_t type, int64_t time)
{
	EventRow	row;

	row.user_id = user_id;
	row.type = type;
	row.simulated_time = time;
	choose_spellings(surface, &row);
	return row;
}

static void
add_user_rows(EventWriter *writer, int64_t user_id)
{
	const Model *model = writer->model;
	const double *rate = model->config->anomaly_rate;
	UserTraits	traits;
	Prng		surface,
				anomalies;
	int32_t		signup = writer->signup_of_user[user_id];

	model_user_traits(model, user_id, &traits);
	model_simulate_user(model, user_id, &traits, &writer->events);
	prng_seed(&surface, model->config->seed, STREAM_SURFACE, (uint64_t) user_id);
	prng_seed(&anomalies, model->config->seed, STREAM_ANOMALIES, (uint64_t) user_id);
	event_rules_forget_keys(&writer->rules);

	for (size_t i = 0; i < writer->events.count; i++)
	{
		const SimEvent *event = &writer->events.items[i];
		EventRow	row = injected_row(&surface, user_id, event->type, event->time);
		double		decide[EVENT_ANOMALY_KIND_COUNT];
		int64_t		nearby;

		/* one draw per kind and event, so rates do not shift each other */
		for (int k = 0; k < EVENT_ANOMALY_KIND_COUNT; k++)
			decide[k] = prng_uniform(&anomalies);

		if (decide[ANOMALY_MISSING_USER_ID] < rate[ANOMALY_MISSING_USER_ID])
			row.user_form = (uint8_t) (USER_FIRST_BAD +
									   prng_below(&anomalies, USER_FORM_COUNT - USER_FIRST_BAD));
		if (decide[ANOMALY_MISSING_EVENT_TYPE] < rate[ANOMALY_MISSING_EVENT_TYPE])
			row.type_form = (uint8_t) (TYPE_FIRST_BLANK +
									   prng_below(&anomalies, TYPE_FORM_COUNT - TYPE_FIRST_BLANK));
		if (decide[ANOMALY_MISSING_EVENT_DATE] < rate[ANOMALY_MISSING_EVENT_DATE])
		{
			row.date_form = (uint8_t) (DATE_FIRST_BAD +
									   prng_below(&anomalies, DATE_FORM_COUNT - DATE_FIRST_BAD));
			row.time = row.simulated_time;
		}
		emit_with_copies(writer, &anomalies, &surface, &row);

		/* injected rows stay inside the period unless meant otherwise */
		nearby = event->time + prng_between(&anomalies, 1, 90);
		if (nearby >= model->end_time)
			nearby = event->time;

		if (decide[ANOMALY_UNKNOWN_EVENT_TYPE] < rate[ANOMALY_UNKNOWN_EVENT_TYPE])
		{
			uint8_t		type = (uint8_t) (CATALOGUE_TYPE_COUNT +
										  prng_below(&anomalies, EVENT_TYPE_COUNT - CATALOGUE_TYPE_COUNT));

			row = injected_row(&surface, user_id, type, nearby);
			emit_with_copies(writer, &anomalies, &surface, &row);
		}
		if (decide[ANOMALY_UNKNOWN_USER] < rate[ANOMALY_UNKNOWN_USER])
		{
			row = injected_row(&surface, model->users + user_id,
							   model_random_catalogue_type(&anomalies), nearby);
			emit_with_copies(writer, &anomalies, &surface, &row);
		}
		if (decide[ANOMALY_EVENT_BEFORE_SIGNUP] < rate[ANOMALY_EVENT_BEFORE_SIGNUP] &&
			signup != NO_USABLE_SIGNUP)
		{
			/* a device clock set 1 to 60 days back */
			int64_t		time = ((int64_t) signup - prng_between(&anomalies, 1, 60)) *
				SECONDS_PER_DAY + prng_between(&anomalies, 0, SECONDS_PER_DAY - 1);

			row = injected_row(&surface, user_id,
							   model_random_catalogue_type(&anomalies), time);
			emit_with_copies(writer, &anomalies, &surface, &row);
		}
		if (decide[ANOMALY_FUTURE_EVENT] < rate[ANOMALY_FUTURE_EVENT])
		{
			/* a device clock set a minute to half a year ahead */
			int64_t		time = model->config->reference_time +
				prng_between(&anomalies, 60, 183 * SECONDS_PER_DAY);

			row = injected_row(&surface, user_id,
							   model_random_catalogue_type(&anomalies), time);
			emit_with_copies(writer, &anomalies, &surface, &row);
		}
	}
}

void
event_writer_init(EventWriter *writer, const Model *model,
				  const int32_t *signup_of_user)
{
	memset(writer, 0, sizeof(*writer));
	writer->model = model;
	writer->signup_of_user = signup_of_user;
	event_rules_init(&writer->rules, signup_of_user, model->users,
					 model->config->reference_time);
}

void
event_writer_free(EventWriter *writer)
{
	event_rules_free(&writer->rules);
	sim_event_list_free(&writer->events);
	out_free(&writer->out);
}

void
event_writer_add_users(EventWriter *writer, int64_t first, int64_t end)
{
	for (int64_t user_id = first; user_id < end; user_id++)
		add_user_rows(writer, user_id);
}

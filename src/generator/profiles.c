/*
 * profiles.c
 *		user_profiles.csv: one row per user, some users with several rows or
 *		without a usable signup_date, read back by the rules as written.
 *
 * Rows come in user_id order; extra rows (a re-export appended to the file)
 * come after all of them.  A user is one of:
 *  - normal: one row;
 *  - repeated: a second, identical-date row (valid, not an anomaly);
 *  - conflicting: a second row with another signup date, earlier or later;
 *    both rows are conflicting_profile, and the earliest date is the one
 *    used, as docs/metrics.md says;
 *  - without signup: a single row whose signup_date is empty or invalid
 *    (missing_signup_date), so the user has no usable profile and every event
 *    of theirs is unknown_user.
 * A row with a missing signup_date is never one of several rows of a user,
 * so whether it takes part in a conflict is a question the data never asks.
 */
#define _POSIX_C_SOURCE 200809L

#include "profiles.h"

#include "calendar.h"
#include "output.h"
#include "rules.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Share of users whose profile was exported twice. */
#define REPEATED_PROFILE_SHARE 0.01
#define FLUSH_BYTES (4 << 20)

typedef enum SignupForm
{
	SIGNUP_PLAIN,
	SIGNUP_QUOTED,
	SIGNUP_FIRST_BAD,
	SIGNUP_NULL = SIGNUP_FIRST_BAD,
	SIGNUP_EMPTY_QUOTED,		/* "" */
	SIGNUP_FEBRUARY_30,			/* 2024-02-30 */
	SIGNUP_MONTH_13,			/* 2024-13-01 */
	SIGNUP_MONTH_0,				/* 2024-00-10 */
	SIGNUP_ZEROS,				/* 0000-00-00 */
	SIGNUP_FORM_COUNT
} SignupForm;

/* What the profiles as written say about each user, while reading them. */
typedef struct ProfileTally
{
	int32_t    *earliest;		/* earliest valid signup day, or none */
	int32_t    *first;			/* first valid signup day seen */
	uint8_t    *rows;			/* profile rows of the user */
	uint8_t    *conflicting;	/* valid signup dates differ */
} ProfileTally;

static void
write_profile_row(OutBuffer *out, Prng *prng, int64_t user_id, int64_t signup_day,
				  SignupForm signup_form, const UserTraits *traits)
{
	int64_t		year;
	int			month,
				day;
	bool		quote_country = prng_uniform(prng) < 0.03;
	bool		no_country = prng_uniform(prng) < 0.01;
	bool		quote_user = prng_uniform(prng) < 0.02;

	out_reserve(out, 128);
	if (quote_user)
		out_char(out, '"');
	out_uint(out, (uint64_t) user_id);
	if (quote_user)
		out_char(out, '"');
	out_char(out, ',');

	civil_from_days(signup_day, &year, &month, &day);
	switch (signup_form)
	{
		case SIGNUP_PLAIN:
		case SIGNUP_QUOTED:
			if (signup_form == SIGNUP_QUOTED)
				out_char(out, '"');
			format_date(out->data + out->len, signup_day);
			out->len += 10;
			if (signup_form == SIGNUP_QUOTED)
				out_char(out, '"');
			break;
		case SIGNUP_NULL:
			break;
		case SIGNUP_EMPTY_QUOTED:
			out_bytes(out, "\"\"", 2);
			break;
		case SIGNUP_FEBRUARY_30:
			out_uint(out, (uint64_t) year);
			out_bytes(out, "-02-30", 6);
			break;
		case SIGNUP_MONTH_13:
			out_uint(out, (uint64_t) year);
			out_bytes(out, "-13-01", 6);
			break;
		case SIGNUP_MONTH_0:
			out_uint(out, (uint64_t) year);
			out_bytes(out, "-00-10", 6);
			break;
		case SIGNUP_ZEROS:
			out_bytes(out, "0000-00-00", 10);
			break;
		case SIGNUP_FORM_COUNT:
			break;
	}
	out_char(out, ',');
	if (!no_country)
	{
		const char *country = model_countries[traits->country];

		if (quote_country)
			out_char(out, '"');
		out_bytes(out, country, strlen(country));
		if (quote_country)
			out_char(out, '"');
	}
	out_char(out, ',');
	out_bytes(out, model_platforms[traits->platform],
			  strlen(model_platforms[traits->platform]));
	out_char(out, '\n');
}

/* Read back the row just written at start, as the rules see it. */
static void
tally_row(ProfileTally *tally, ProfileSummary *summary, const OutBuffer *out,
		  size_t start, int64_t users)
{
	int64_t		user_id;
	bool		signup_ok;
	int64_t		signup_day = 0;

	if (!profile_rules_read(out->data + start, out->len - start - 1, &user_id,
							&signup_ok, &signup_day) ||
		user_id < 1 || user_id > users)
	{
		fprintf(stderr, GENERATOR_NAME ": internal error: bad profiles row \"%.*s\"\n",
				(int) (out->len - start - 1), out->data + start);
		exit(1);
	}
	summary->rows++;
	tally->rows[user_id]++;
	if (!signup_ok)
	{
		summary->missing_signup_rows++;
		return;
	}
	if (tally->earliest[user_id] == NO_USABLE_SIGNUP)
	{
		tally->earliest[user_id] = tally->first[user_id] = (int32_t) signup_day;
		return;
	}
	if (signup_day != tally->first[user_id])
		tally->conflicting[user_id] = 1;
	if (signup_day < tally->earliest[user_id])
		tally->earliest[user_id] = (int32_t) signup_day;
}

static bool
flush_if_large(int fd, OutBuffer *out)
{
	if (out->len < FLUSH_BYTES)
		return true;
	if (!write_all(fd, out->data, out->len))
		return false;
	out->len = 0;
	return true;
}

bool
profiles_write(const Model *model, const char *path, int32_t *signup_of_user,
			   ProfileSummary *summary)
{
	const double *rate = model->config->anomaly_rate;
	int64_t		users = model->users;
	OutBuffer	main_rows = {0};
	OutBuffer	extra_rows = {0};
	ProfileTally tally;
	int			fd;
	bool		ok = true;

	memset(summary, 0, sizeof(*summary));
	tally.earliest = signup_of_user;
	tally.first = malloc(sizeof(int32_t) * (size_t) (users + 1));
	tally.rows = calloc((size_t) users + 1, 1);
	tally.conflicting = calloc((size_t) users + 1, 1);
	if (tally.first == NULL || tally.rows == NULL || tally.conflicting == NULL)
	{
		fprintf(stderr, GENERATOR_NAME ": out of memory\n");
		exit(1);
	}
	for (int64_t id = 0; id <= users; id++)
		tally.earliest[id] = NO_USABLE_SIGNUP;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return false;
	out_reserve(&main_rows, sizeof(PROFILES_HEADER));
	out_bytes(&main_rows, PROFILES_HEADER, sizeof(PROFILES_HEADER) - 1);

	for (int64_t id = 1; id <= users && ok; id++)
	{
		UserTraits	traits;
		Prng		prng;
		int64_t		signup_day;
		double		missing,
					conflicting,
					repeated;
		size_t		start;

		model_user_traits(model, id, &traits);
		signup_day = model->start_day + traits.signup_day;
		prng_seed(&prng, model->config->seed, STREAM_PROFILE, (uint64_t) id);
		missing = prng_uniform(&prng);
		conflicting = prng_uniform(&prng);
		repeated = prng_uniform(&prng);

		start = main_rows.len;
		if (missing < rate[ANOMALY_MISSING_SIGNUP_DATE])
		{
			SignupForm	form = (SignupForm) (SIGNUP_FIRST_BAD +
											 prng_below(&prng, SIGNUP_FORM_COUNT - SIGNUP_FIRST_BAD));

			write_profile_row(&main_rows, &prng, id, signup_day, form, &traits);
			tally_row(&tally, summary, &main_rows, start, users);
		}
		else
		{
			SignupForm	form = prng_uniform(&prng) < 0.02 ? SIGNUP_QUOTED : SIGNUP_PLAIN;

			write_profile_row(&main_rows, &prng, id, signup_day, form, &traits);
			tally_row(&tally, summary, &main_rows, start, users);

			if (conflicting < rate[ANOMALY_CONFLICTING_PROFILE] ||
				repeated < REPEATED_PROFILE_SHARE)
			{
				int64_t		other_day = signup_day;
				UserTraits	other = traits;

				if (conflicting < rate[ANOMALY_CONFLICTING_PROFILE])
				{
					/* a reinstall: another day, perhaps another platform */
					int64_t		shift = prng_between(&prng, 1, 45);

					other_day += prng_uniform(&prng) < 0.5 ? -shift : shift;
					if (prng_uniform(&prng) < 0.5)
						other.platform = (uint8_t) ((other.platform + 1) % 2);
				}
				start = extra_rows.len;
				write_profile_row(&extra_rows, &prng, id, other_day, SIGNUP_PLAIN, &other);
				tally_row(&tally, summary, &extra_rows, start, users);
			}
		}
		ok = flush_if_large(fd, &main_rows);
	}
	if (ok)
		ok = write_all(fd, main_rows.data, main_rows.len) &&
			write_all(fd, extra_rows.data, extra_rows.len);
	if (close(fd) != 0)
		ok = false;

	for (int64_t id = 1; id <= users; id++)
	{
		if (tally.conflicting[id])
		{
			summary->users_with_conflicts++;
			summary->conflicting_rows += tally.rows[id];
		}
		if (tally.earliest[id] == NO_USABLE_SIGNUP)
			summary->users_without_usable_signup++;
	}
	{
		int			saved_errno = errno;

		free(tally.first);
		free(tally.rows);
		free(tally.conflicting);
		out_free(&main_rows);
		out_free(&extra_rows);
		errno = saved_errno;
	}
	return ok;
}

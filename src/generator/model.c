/*
 * model.c
 *		The simulated app: who signs up when, how often they come back, and
 *		what they do in a session.
 *
 * Signups grow over the period (three times as many on the last day as on
 * the first) with more on weekends.  A user comes back on a day with a
 * chance that is the product of the user's engagement, a retention curve
 * decaying with weeks since signup, the weekday, and the day's spike or
 * drop-off multiplier; some users never come back and every user may churn
 * for good after a geometric number of weeks.  A day's sessions start at
 * hours drawn from a morning-and-evening profile, more than 30 minutes after
 * the user's previous event, and hold events minutes apart: app_opened, then
 * usually a ritual (ritual_started, ritual_completed), maybe journal_entry,
 * share, reminder_set, and once per user perhaps subscription_purchased.
 */
#include "model.h"

#include "calendar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ratio of signups on the last day to the first, for steady growth. */
#define SIGNUP_GROWTH 3.0
/* Chance that an engaged user comes back on a weekday of the first week. */
#define BASE_DAILY_ACTIVITY 0.55
#define ENGAGEMENT_SIGMA 0.8
#define ONE_AND_DONE_SHARE 0.12
/* Expected sessions on an active day beyond the first. */
#define EXTRA_SESSIONS 0.35
#define MAX_ACTIVE_CHANCE 0.95
#define MAX_SESSIONS_PER_DAY 24
/* Injected days avoid the first 12 weeks and keep 8 days apart. */
#define FIRST_INJECTABLE_DAY 84
#define MIN_INJECTED_DAY_DISTANCE 8
/* A new session starts more than 30 minutes after the previous event. */
#define MIN_SESSION_GAP (31 * 60)
/* C99 has no M_PI. */
#define PI 3.14159265358979323846
/* Users whose expected activity is computed for calibration. */
#define CALIBRATION_SAMPLE 8192

/* Sunday first, as weekday_sunday0 counts. */
static const double activity_by_weekday[7] = {1.18, 0.94, 0.92, 0.93, 0.96, 1.00, 1.15};
static const double signups_by_weekday[7] = {1.12, 1.02, 0.96, 0.95, 0.96, 0.97, 1.10};

static const double sessions_by_hour[24] = {
	1.0, 0.5, 0.3, 0.2, 0.2, 0.5, 1.5, 3.5, 4.0, 3.0, 2.2, 2.0,
	2.4, 2.2, 1.8, 1.8, 2.0, 2.4, 2.8, 3.4, 3.8, 3.6, 2.6, 1.6
};

const char *const model_countries[] = {
	"US", "IN", "BR", "DE", "GB", "FR", "JP", "CA", "MX", "ES", "IT", "AU", "KR"
};
static const double country_weights[] = {22, 14, 10, 9, 8, 7, 7, 5, 5, 4, 4, 3, 2};

const char *const model_platforms[] = {"ios", "android", "web"};
static const double platform_weights[] = {45, 52, 3};

/* The types of rows injected around a session, by how common they are. */
static const double catalogue_weights[CATALOGUE_TYPE_COUNT] = {40, 15, 13, 8, 4, 5, 1};

#define COUNT_OF(array) ((int) (sizeof(array) / sizeof((array)[0])))

static int
weighted_pick(Prng *prng, const double *weights, int count)
{
	double		total = 0;
	double		x;

	for (int i = 0; i < count; i++)
		total += weights[i];
	x = prng_uniform(prng) * total;
	for (int i = 0; i < count - 1; i++)
	{
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return count - 1;
}

uint8_t
model_random_catalogue_type(Prng *prng)
{
	return (uint8_t) weighted_pick(prng, catalogue_weights, CATALOGUE_TYPE_COUNT);
}

static int
session_start_second(const Model *model, Prng *prng)
{
	double		x = prng_uniform(prng);
	int			hour = 0;

	while (hour < 23 && x >= model->hour_cdf[hour])
		hour++;
	return hour * 3600 + (int) prng_below(prng, 3600);
}

/* Knuth's method; lambda stays small (at most MAX_SESSIONS_PER_DAY). */
static int
poisson(Prng *prng, double lambda)
{
	double		limit = exp(-lambda);
	double		product = prng_uniform(prng);
	int			k = 0;

	while (product > limit && k < MAX_SESSIONS_PER_DAY)
	{
		k++;
		product *= prng_uniform(prng);
	}
	return k;
}

void
model_user_traits(const Model *model, int64_t user_id, UserTraits *traits)
{
	Prng		prng;
	double		u1,
				u2,
				normal,
				u;
	bool		one_and_done;

	prng_seed(&prng, model->config->seed, STREAM_TRAITS, (uint64_t) user_id);
	(void) prng_next(&prng);	/* the signup jitter, used by model_build */
	traits->signup_day = model->signup_day[user_id];
	traits->signup_second = session_start_second(model, &prng);

	/* log-normal with mean 1 */
	u1 = 1.0 - prng_uniform(&prng);
	u2 = prng_uniform(&prng);
	normal = sqrt(-2.0 * log(u1)) * cos(2.0 * PI * u2);
	traits->engagement = exp(ENGAGEMENT_SIGMA * normal -
							 ENGAGEMENT_SIGMA * ENGAGEMENT_SIGMA / 2);

	/* (the draws in the order they always had: the churn's rate may need the country) */
	one_and_done = prng_uniform(&prng) < ONE_AND_DONE_SHARE;
	u = 1.0 - prng_uniform(&prng);
	traits->country = (uint8_t) weighted_pick(&prng, country_weights,
											  COUNT_OF(country_weights));
	traits->platform = (uint8_t) weighted_pick(&prng, platform_weights,
											   COUNT_OF(platform_weights));
	if (one_and_done)
		traits->churn_week = 0;
	else
	{
		double		rate = model->config->segment_effects &&
			traits->country == FAST_CHURN_COUNTRY ? FAST_CHURN_PER_WEEK : CHURN_PER_WEEK;
		double		weeks = floor(log(u) / log(1.0 - rate)) + 1;

		traits->churn_week = weeks > 100000 ? 100000 : (int32_t) weeks;
	}
	traits->completion = model->config->segment_effects &&
		traits->platform == SLOW_PLATFORM ? SLOW_PLATFORM_COMPLETION : RITUAL_COMPLETION;
}

static void
sim_event_add(SimEventList *list, int64_t time, EventType type)
{
	if (list->count == list->capacity)
	{
		size_t		capacity = list->capacity ? list->capacity * 2 : 256;
		SimEvent   *items = realloc(list->items, capacity * sizeof(SimEvent));

		if (items == NULL)
		{
			fprintf(stderr, GENERATOR_NAME ": out of memory\n");
			exit(1);
		}
		list->items = items;
		list->capacity = capacity;
	}
	list->items[list->count].time = time;
	list->items[list->count].type = (uint8_t) type;
	list->count++;
}

void
sim_event_list_free(SimEventList *list)
{
	free(list->items);
	list->items = NULL;
	list->count = list->capacity = 0;
}

/*
 * One session from start: events minutes apart (never 30), clipped at the
 * end of the period so that no simulated event is in the future.  Returns
 * the time of its last event.
 */
static int64_t
simulate_session(Prng *prng, int64_t start, int age_days, double completion,
				 bool *subscribed, int64_t end_time, SimEventList *list)
{
	int64_t		t = start;
	int64_t		last = start;

#define ADD_AFTER(min_gap, max_gap, type) \
	do { \
		t += prng_between(prng, (min_gap), (max_gap)); \
		if (t >= end_time) \
			return last; \
		sim_event_add(list, t, (type)); \
		last = t; \
	} while (0)

	sim_event_add(list, t, EVENT_APP_OPENED);
	if (prng_uniform(prng) < 0.72)
	{
		int			rituals = prng_uniform(prng) < 0.12 ? 2 : 1;

		for (int r = 0; r < rituals; r++)
		{
			ADD_AFTER(20, 180, EVENT_RITUAL_STARTED);
			if (prng_uniform(prng) < completion)
			{
				/* a ritual takes 3 to 15 minutes */
				ADD_AFTER(180, 900, EVENT_RITUAL_COMPLETED);
				if (prng_uniform(prng) < 0.35)
					ADD_AFTER(30, 300, EVENT_JOURNAL_ENTRY);
				if (prng_uniform(prng) < 0.10)
					ADD_AFTER(20, 120, EVENT_SHARE);
			}
		}
	}
	else if (prng_uniform(prng) < 0.25)
		ADD_AFTER(60, 600, EVENT_JOURNAL_ENTRY);

	/* reminders are set mostly on the first day */
	if (prng_uniform(prng) < (age_days == 0 ? 0.45 : 0.04))
		ADD_AFTER(15, 120, EVENT_REMINDER_SET);
	if (!*subscribed &&
		prng_uniform(prng) < (age_days == 0 ? 0.03 : age_days < 14 ? 0.02 : 0.006))
	{
		ADD_AFTER(30, 240, EVENT_SUBSCRIPTION_PURCHASED);
		*subscribed = true;
	}
#undef ADD_AFTER
	return last;
}

/*
 * The chance to come back on a day, and the expected sessions beyond the
 * first on an active day.  A spike or drop-off multiplies the expected
 * sessions (so the day's events) by its multiplier: the chance first, and
 * where the chance is capped, the sessions of those who come.
 */
static inline void
day_activity(const Model *model, const UserTraits *traits, int day,
			 double scale, double *chance, double *extra)
{
	int			week = (day - traits->signup_day) / 7;
	double		raw = scale * traits->engagement * BASE_DAILY_ACTIVITY *
		model->retention[week] *
		activity_by_weekday[weekday_sunday0(model->start_day + day)];
	double		multiplier = model->day_multiplier[day];
	double		usual_chance,
				usual_extra;

	/* past the cap, heavier activity means more sessions a day */
	usual_chance = raw < MAX_ACTIVE_CHANCE ? raw : MAX_ACTIVE_CHANCE;
	usual_extra = raw < MAX_ACTIVE_CHANCE ? EXTRA_SESSIONS :
		EXTRA_SESSIONS * raw / MAX_ACTIVE_CHANCE;
	*chance = usual_chance * multiplier;
	if (*chance > MAX_ACTIVE_CHANCE)
		*chance = MAX_ACTIVE_CHANCE;
	*extra = multiplier * usual_chance * (1 + usual_extra) / *chance - 1;
	if (*extra > MAX_SESSIONS_PER_DAY - 1)
		*extra = MAX_SESSIONS_PER_DAY - 1;
}

void
model_simulate_user(const Model *model, int64_t user_id, const UserTraits *traits,
					SimEventList *list)
{
	Prng		prng;
	int64_t		last_event = INT64_MIN / 2;
	bool		subscribed = false;

	list->count = 0;
	prng_seed(&prng, model->config->seed, STREAM_SESSIONS, (uint64_t) user_id);
	for (int day = traits->signup_day; day < model->days; day++)
	{
		int			age = day - traits->signup_day;
		int			sessions;
		int			starts[MAX_SESSIONS_PER_DAY];
		int64_t		midnight = (model->start_day + day) * SECONDS_PER_DAY;

		if (age == 0)
			sessions = 1 + poisson(&prng, EXTRA_SESSIONS);
		else
		{
			double		chance,
						extra;

			if (age / 7 >= traits->churn_week)
				break;
			day_activity(model, traits, day, model->activity_scale, &chance, &extra);
			if (prng_uniform(&prng) >= chance)
				continue;
			sessions = 1 + poisson(&prng, extra);
		}
		if (sessions > MAX_SESSIONS_PER_DAY)
			sessions = MAX_SESSIONS_PER_DAY;

		/*
		 * Start times in order.  On the signup day the first session is at
		 * the signup time; one drawn earlier moves after it, by the gap rule
		 * below, as any session that would start too soon does.
		 */
		for (int s = 0; s < sessions; s++)
		{
			int			start = session_start_second(model, &prng);
			int			i = s;

			while (i > 0 && starts[i - 1] > start)
			{
				starts[i] = starts[i - 1];
				i--;
			}
			starts[i] = start;
		}
		if (age == 0)
			starts[0] = traits->signup_second;

		for (int s = 0; s < sessions; s++)
		{
			int64_t		start = midnight + starts[s];

			if (start < last_event + MIN_SESSION_GAP)
				start = last_event + MIN_SESSION_GAP + prng_between(&prng, 0, 2700);
			if (start >= model->end_time)
				break;
			last_event = simulate_session(&prng, start, age, traits->completion,
										  &subscribed, model->end_time, list);
		}
	}
}

/*
 * Events in a session, measured on a fixed stream: on the signup day (when
 * reminders are set and nobody has subscribed yet) or later.
 */
static double
estimate_events_per_session(bool signup_day)
{
	Prng		prng;
	SimEventList list = {0};
	const int	sessions = 50000;
	size_t		events;
	bool		subscribed;

	prng_seed(&prng, signup_day, STREAM_CALIBRATION, 0);
	for (int s = 0; s < sessions; s++)
	{
		/* later, most active users have subscribed or never will */
		subscribed = signup_day ? false : (s % 4) != 0;
		simulate_session(&prng, 0, signup_day ? 0 : 1 + s % 28, RITUAL_COMPLETION,
						 &subscribed, INT64_MAX, &list);
	}
	events = list.count;
	sim_event_list_free(&list);
	return (double) events / sessions;
}

/*
 * Signup days of users 1..users: user i's is where the growing, weekly
 * signup curve reaches (i - 1 + jitter) / users, so ids follow signup order
 * as a database sequence would.
 */
static void
assign_signup_days(Model *model, int64_t users)
{
	double	   *cdf = malloc(sizeof(double) * (size_t) model->days);
	double		total = 0;

	if (cdf == NULL)
	{
		fprintf(stderr, GENERATOR_NAME ": out of memory\n");
		exit(1);
	}
	for (int d = 0; d < model->days; d++)
	{
		double		position = model->days > 1 ? (double) d / (model->days - 1) : 0;

		total += pow(SIGNUP_GROWTH, position) *
			signups_by_weekday[weekday_sunday0(model->start_day + d)];
		cdf[d] = total;
	}
	for (int64_t id = 1; id <= users; id++)
	{
		Prng		prng;
		double		target;
		int			lo = 0,
					hi = model->days - 1;

		prng_seed(&prng, model->config->seed, STREAM_TRAITS, (uint64_t) id);
		target = ((double) (id - 1) + prng_uniform(&prng)) / (double) users * total;
		while (lo < hi)
		{
			int			mid = (lo + hi) / 2;

			if (cdf[mid] > target)
				hi = mid;
			else
				lo = mid + 1;
		}
		model->signup_day[id] = lo;
	}
	free(cdf);
}

/* Expected events of users 1..users (from a sample) at an activity scale. */
static double
expected_events(const Model *model, int64_t users, double scale)
{
	int64_t		sample = users < CALIBRATION_SAMPLE ? users : CALIBRATION_SAMPLE;
	double		sessions = 0;
	double		first_sessions = 0;

	for (int64_t k = 0; k < sample; k++)
	{
		int64_t		id = 1 + k * users / sample;
		UserTraits	traits;

		model_user_traits(model, id, &traits);
		first_sessions += 1 + EXTRA_SESSIONS;
		for (int day = traits.signup_day + 1; day < model->days; day++)
		{
			double		chance,
						extra;

			if ((day - traits.signup_day) / 7 >= traits.churn_week)
				break;
			day_activity(model, &traits, day, scale, &chance, &extra);
			sessions += chance * (1 + extra);
		}
	}
	return (first_sessions * model->events_per_first_day_session +
			sessions * model->events_per_session) * (double) users / (double) sample;
}

/* Spike and drop-off days: random, from week 13, 8 days apart. */
static int
place_injected_days(Model *model, const GeneratorConfig *config, char *error,
					size_t error_size)
{
	int			wanted = config->spike_days + config->drop_days;
	Prng		prng;

	model->injected_count = 0;
	if (wanted == 0)
		return 0;
	if (wanted > MAX_INJECTED_DAYS)
	{
		snprintf(error, error_size, "at most %d spike and drop-off days in all",
				 MAX_INJECTED_DAYS);
		return 2;
	}
	prng_seed(&prng, config->seed, STREAM_DAYS, 0);
	for (int k = 0; k < wanted; k++)
	{
		int			chosen = -1;

		for (int attempt = 0; attempt < 2000 && chosen < 0; attempt++)
		{
			int			candidate;
			bool		free_day = true;

			if (model->days <= FIRST_INJECTABLE_DAY)
				break;
			candidate = FIRST_INJECTABLE_DAY +
				(int) prng_below(&prng, (uint64_t) (model->days - FIRST_INJECTABLE_DAY));
			for (int j = 0; j < model->injected_count; j++)
				if (abs(model->injected[j].day - candidate) < MIN_INJECTED_DAY_DISTANCE)
					free_day = false;
			if (free_day)
				chosen = candidate;
		}
		if (chosen < 0)
		{
			snprintf(error, error_size,
					 "cannot place %d spike and drop-off days in %d days: they must be "
					 "on day %d or later and %d days apart",
					 wanted, model->days, FIRST_INJECTABLE_DAY + 1,
					 MIN_INJECTED_DAY_DISTANCE);
			return 2;
		}
		model->injected[k].day = chosen;
		model->injected[k].kind = k < config->spike_days ? DAY_SPIKE : DAY_DROP_OFF;
		model->injected_count++;
	}
	/* sort by day (insertion sort: a handful of days) */
	for (int i = 1; i < model->injected_count; i++)
	{
		InjectedDay moving = model->injected[i];
		int			j = i;

		while (j > 0 && model->injected[j - 1].day > moving.day)
		{
			model->injected[j] = model->injected[j - 1];
			j--;
		}
		model->injected[j] = moving;
	}
	for (int i = 0; i < model->injected_count; i++)
		model->day_multiplier[model->injected[i].day] =
			model->injected[i].kind == DAY_SPIKE ? SPIKE_MULTIPLIER : DROP_OFF_MULTIPLIER;
	return 0;
}

/* The event rows injected per simulated event, for --target-events. */
static double
injected_rows_per_event(const GeneratorConfig *config)
{
	const double *rate = config->anomaly_rate;
	double		inserted = rate[ANOMALY_UNKNOWN_EVENT_TYPE] + rate[ANOMALY_UNKNOWN_USER] +
		rate[ANOMALY_EVENT_BEFORE_SIGNUP] + rate[ANOMALY_FUTURE_EVENT];

	return (1 + inserted) * (1 + rate[ANOMALY_DUPLICATE]);
}

static int32_t *
alloc_signup_days(int64_t users)
{
	int32_t    *days = calloc((size_t) users + 1, sizeof(int32_t));

	if (days == NULL)
	{
		fprintf(stderr, GENERATOR_NAME ": out of memory for %lld users\n",
				(long long) users);
		exit(1);
	}
	return days;
}

int
model_build(Model *model, GeneratorConfig *config, char *error, size_t error_size)
{
	double		total = 0;
	double		cumulative = 0;
	int			status;

	memset(model, 0, sizeof(*model));
	model->config = config;
	model->days = config->days;
	model->start_day = config->start_day;
	model->end_time = (config->start_day + config->days) * SECONDS_PER_DAY;
	model->activity_scale = 1.0;
	model->events_per_first_day_session = estimate_events_per_session(true);
	model->events_per_session = estimate_events_per_session(false);

	model->day_multiplier = malloc(sizeof(double) * (size_t) model->days);
	model->retention_weeks = model->days / 7 + 2;
	model->retention = malloc(sizeof(double) * (size_t) model->retention_weeks);
	if (model->day_multiplier == NULL || model->retention == NULL)
	{
		fprintf(stderr, GENERATOR_NAME ": out of memory\n");
		exit(1);
	}
	for (int d = 0; d < model->days; d++)
		model->day_multiplier[d] = 1.0;
	for (int w = 0; w < model->retention_weeks; w++)
		model->retention[w] = 0.35 + 0.65 * exp(-w / 2.5);
	for (int h = 0; h < 24; h++)
		total += sessions_by_hour[h];
	for (int h = 0; h < 24; h++)
	{
		cumulative += sessions_by_hour[h];
		model->hour_cdf[h] = cumulative / total;
	}
	model->hour_cdf[23] = 1.0;

	status = place_injected_days(model, config, error, error_size);
	if (status != 0)
		return status;

	if (config->target_events > 0 && !config->users_given)
	{
		/* events per user, from a sample population of the same shape */
		int64_t		sample = CALIBRATION_SAMPLE;
		double		per_user;
		double		users;

		model->signup_day = alloc_signup_days(sample);
		assign_signup_days(model, sample);
		per_user = expected_events(model, sample, 1.0) / (double) sample;
		free(model->signup_day);
		users = (double) config->target_events / injected_rows_per_event(config) / per_user;
		config->users = users < 1 ? 1 : (int64_t) llround(users);
		if (config->users > INT32_MAX)
		{
			snprintf(error, error_size, "--target-events %lld needs too many users",
					 (long long) config->target_events);
			return 2;
		}
	}
	model->users = config->users;
	model->signup_day = alloc_signup_days(model->users);
	assign_signup_days(model, model->users);

	if (config->target_events > 0)
	{
		double		wanted = (double) config->target_events / injected_rows_per_event(config);
		double		lo = 1e-4,
					hi = 1e4;

		if (expected_events(model, model->users, lo) > wanted)
			hi = lo;
		else if (expected_events(model, model->users, hi) < wanted)
			lo = hi;
		/* bisection on a log scale; expected events grow with the scale */
		for (int i = 0; i < 48 && hi / lo > 1.0005; i++)
		{
			double		mid = sqrt(lo * hi);

			if (expected_events(model, model->users, mid) < wanted)
				lo = mid;
			else
				hi = mid;
		}
		model->activity_scale = sqrt(lo * hi);
		if (model->activity_scale <= 1.0001e-4 || model->activity_scale >= 0.9999e4)
			fprintf(stderr, GENERATOR_NAME ": warning: %lld users cannot make about "
					"%lld events; the count will differ\n",
					(long long) model->users, (long long) config->target_events);
	}
	return 0;
}

void
model_free(Model *model)
{
	free(model->day_multiplier);
	free(model->retention);
	free(model->signup_day);
	model->day_multiplier = model->retention = NULL;
	model->signup_day = NULL;
}

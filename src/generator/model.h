/*
 * model.h
 *		The simulated app: who signs up when, how often they come back, and
 *		what they do in a session.
 */
#ifndef RITUAL_GENERATOR_MODEL_H
#define RITUAL_GENERATOR_MODEL_H

#include "generator.h"
#include "prng.h"

#define MAX_INJECTED_DAYS 512

/* "about x3" and "about x0.3" of a day's activity */
#define SPIKE_MULTIPLIER 3.0
#define DROP_OFF_MULTIPLIER 0.3

/* What happens to a day's activity. */
typedef enum DayKind
{
	DAY_NORMAL,
	DAY_SPIKE,
	DAY_DROP_OFF
} DayKind;

typedef struct InjectedDay
{
	int			day;			/* index in the period */
	DayKind		kind;
} InjectedDay;

/* One simulated event, before it is spelt as a row. */
typedef struct SimEvent
{
	int64_t		time;			/* seconds from 1970 */
	uint8_t		type;			/* EventType */
} SimEvent;

typedef struct SimEventList
{
	SimEvent   *items;
	size_t		count;
	size_t		capacity;
} SimEventList;

/* A user's traits: drawn from the user's own stream, the same in every pass. */
typedef struct UserTraits
{
	int32_t		signup_day;		/* index in the period */
	int32_t		signup_second;	/* second of that day of the first session */
	double		engagement;		/* multiplies the daily chance to come back */
	int32_t		churn_week;		/* no visit from this week after signup on */
	uint8_t		country;		/* index in model_countries */
	uint8_t		platform;		/* index in model_platforms */
	double		completion;		/* chance to complete a ritual started */
} UserTraits;

typedef struct Model
{
	const GeneratorConfig *config;
	int64_t		users;
	int			days;
	int64_t		start_day;		/* days from 1970 */
	int64_t		end_time;		/* first second after the period */
	double		activity_scale; /* calibrated for --target-events, else 1 */
	double		events_per_first_day_session;	/* estimated, for calibration */
	double		events_per_session; /* the same, after the signup day */
	double	   *day_multiplier; /* by day index: 1, spike or drop-off */
	double	   *retention;		/* by week since signup */
	int			retention_weeks;
	double		hour_cdf[24];	/* when sessions start */
	int32_t    *signup_day;		/* by user id (1-based) */
	InjectedDay injected[MAX_INJECTED_DAYS];
	int			injected_count; /* sorted by day */
} Model;

extern const char *const model_countries[];
extern const char *const model_platforms[];

/*
 * Segments that behave apart with --segment-effects (the manifest says
 * so): users of one platform complete fewer of the rituals they start,
 * users of one country churn faster.  Without it every segment behaves
 * alike, and the output is as it was before the option.
 */
#define RITUAL_COMPLETION 0.86
#define SLOW_PLATFORM 1			/* android */
#define SLOW_PLATFORM_COMPLETION 0.60
#define CHURN_PER_WEEK 0.04
#define FAST_CHURN_COUNTRY 2	/* BR */
#define FAST_CHURN_PER_WEEK 0.12

/*
 * Build the model of a configuration: spike and drop-off days, signups, and
 * with --target-events the user count (if not given) and activity scale.
 * Returns 0, or 2 with a message in error if the arguments cannot be met.
 * May set config->users.
 */
extern int	model_build(Model *model, GeneratorConfig *config, char *error,
						size_t error_size);
extern void model_free(Model *model);

extern void model_user_traits(const Model *model, int64_t user_id, UserTraits *traits);

/* Simulate a user's events, in time order, into list (emptied first). */
extern void model_simulate_user(const Model *model, int64_t user_id,
								const UserTraits *traits, SimEventList *list);

extern void sim_event_list_free(SimEventList *list);

/* The event type of an unknown-type or ghost row, by weight. */
extern uint8_t model_random_catalogue_type(Prng *prng);

#endif							/* RITUAL_GENERATOR_MODEL_H */

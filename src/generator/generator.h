/*
 * generator.h
 *		What the parts of ritual-generate share: the run's configuration, the
 *		anomaly kinds of docs/metrics.md and the event types.
 */
#ifndef RITUAL_GENERATOR_H
#define RITUAL_GENERATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GENERATOR_NAME "ritual-generate"
#define GENERATOR_VERSION "1.0.0"

/*
 * The anomaly kinds, in the order of their bits in docs/metrics.md: a row's
 * flags are the OR of 1 << kind.  The first eight are event flags, the last
 * two profile flags.
 */
typedef enum AnomalyKind
{
	ANOMALY_MISSING_USER_ID,
	ANOMALY_MISSING_EVENT_TYPE,
	ANOMALY_MISSING_EVENT_DATE,
	ANOMALY_UNKNOWN_EVENT_TYPE,
	ANOMALY_UNKNOWN_USER,
	ANOMALY_EVENT_BEFORE_SIGNUP,
	ANOMALY_FUTURE_EVENT,
	ANOMALY_DUPLICATE,
	ANOMALY_CONFLICTING_PROFILE,
	ANOMALY_MISSING_SIGNUP_DATE,
	ANOMALY_KIND_COUNT
} AnomalyKind;

#define EVENT_ANOMALY_KIND_COUNT 8
#define EVENT_FLAG_COMBINATIONS (1 << EVENT_ANOMALY_KIND_COUNT)
#define ANOMALY_BIT(kind) (1u << (kind))

extern const char *const anomaly_kind_names[ANOMALY_KIND_COUNT];

/*
 * Event types: the catalogue the app knows (the first CATALOGUE_TYPE_COUNT),
 * then types the generator writes as unknown_event_type: new or misspelt
 * names an app release might send.  Index order is the catalogue's.
 */
typedef enum EventType
{
	EVENT_APP_OPENED,
	EVENT_RITUAL_STARTED,
	EVENT_RITUAL_COMPLETED,
	EVENT_JOURNAL_ENTRY,
	EVENT_SHARE,
	EVENT_REMINDER_SET,
	EVENT_SUBSCRIPTION_PURCHASED,
	CATALOGUE_TYPE_COUNT,
	EVENT_RITUAL_SKIPPED = CATALOGUE_TYPE_COUNT,
	EVENT_APP_CRASHED,
	EVENT_PUSH_RECEIVED,
	EVENT_PAYWALL_VIEWED,
	EVENT_APP_OPEN_TYPO,
	EVENT_RITUAL_COMPLETE_TYPO,
	EVENT_TYPE_COUNT
} EventType;

extern const char *const event_type_names[EVENT_TYPE_COUNT];

/* The run as the command line asked for it, defaults filled in. */
typedef struct GeneratorConfig
{
	const char *out_dir;
	uint64_t	seed;
	int64_t		users;			/* 0 until known when derived from target */
	bool		users_given;
	int			days;
	int64_t		start_day;		/* first day of the period, days from 1970 */
	int			events_files;
	int64_t		target_events;	/* 0: none asked */
	double		anomaly_rate[ANOMALY_KIND_COUNT];
	bool		no_anomalies;
	int			spike_days;
	int			drop_days;
	int64_t		reference_time; /* seconds from 1970 */
	bool		reference_given;
	int			jobs;			/* threads; never changes the output */
	bool		segment_effects;	/* model.h: segments that behave apart */
} GeneratorConfig;

#endif							/* RITUAL_GENERATOR_H */

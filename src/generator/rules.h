/*
 * rules.h
 *		The anomaly rules of docs/metrics.md, applied to rows as written.
 *
 * ritual-generate does not trust what it meant to inject: it reads back the
 * text of every row it writes and flags it by these rules, and the manifest
 * counts those flags.  So the manifest states what the files contain.
 */
#ifndef RITUAL_GENERATOR_RULES_H
#define RITUAL_GENERATOR_RULES_H

#include "generator.h"

/* The signup day of a user without a usable profile. */
#define NO_USABLE_SIGNUP INT32_MIN

/* One field of a CSV line: NULL when unquoted and empty, as COPY reads it. */
typedef struct CsvField
{
	const char *text;
	size_t		len;
	bool		is_null;
} CsvField;

/*
 * Split one line (without its line break) into at most max_fields fields;
 * quoted fields are copied, unquoted, into scratch.  Returns the number of
 * fields, or -1 if the line is malformed or scratch too small.
 */
extern int csv_split_line(const char *line, size_t len, CsvField *fields,
						  int max_fields, char *scratch, size_t scratch_size);

/* A set of (user_id, event type, event_date) keys, for duplicate. */
typedef struct EventKeySet
{
	struct EventKey *slots;
	size_t		capacity;		/* a power of two */
	size_t		used;
	uint32_t	generation;		/* slots of another generation are free */
} EventKeySet;

/* Everything the event rules need besides the row. */
typedef struct EventRules
{
	const int32_t *signup_of_user;	/* earliest usable signup day by id */
	int64_t		max_user_id;	/* ids above have no profile */
	int64_t		reference_time; /* later events are future_event */
	EventKeySet seen;			/* keys of the rows read so far */
} EventRules;

extern void event_rules_init(EventRules *rules, const int32_t *signup_of_user,
							 int64_t max_user_id, int64_t reference_time);
extern void event_rules_free(EventRules *rules);

/*
 * Forget the keys seen so far.  Rows of different users can never share a
 * key, so a caller that writes every row of a set of user ids together can
 * forget the keys between sets.
 */
extern void event_rules_forget_keys(EventRules *rules);

/*
 * Flag one events row (user_id,event_type,event_date), as docs/metrics.md
 * defines the event flags; the row's key is remembered for duplicate
 * unless the row is itself a duplicate.
 */
extern unsigned event_rules_classify(EventRules *rules, const char *line, size_t len);

/*
 * Read one profiles row (user_id,signup_date,...): false if its user_id is
 * not a bigint (never written so); *signup_ok false if signup_date is
 * missing or unparseable.
 */
extern bool profile_rules_read(const char *line, size_t len, int64_t *user_id,
							   bool *signup_ok, int64_t *signup_day);

#endif							/* RITUAL_GENERATOR_RULES_H */

/*
 * rules.c
 *		The anomaly rules of docs/metrics.md, applied to rows as written.
 *
 * Where docs/metrics.md leaves a combination open, the rule a product analyst
 * would expect is taken, and recorded in the manifest ("rules"):
 *  - unknown_event_type needs an event_type (a blank one is only missing);
 *  - unknown_user needs a user_id (a missing one is only missing_user_id);
 *  - event_before_signup needs a user_id with a usable profile and an
 *    event_date, and compares with the user's earliest signup_date;
 *  - future_event needs an event_date and means strictly later;
 *  - duplicate needs all three fields and compares values, not text:
 *    user_id as a bigint, event_type as lower(btrim()), event_date as a
 *    timestamp (so "2024-03-05" equals "2024-03-05T00:00:00Z").
 */
#include "rules.h"

#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const anomaly_kind_names[ANOMALY_KIND_COUNT] = {
	"missing_user_id",
	"missing_event_type",
	"missing_event_date",
	"unknown_event_type",
	"unknown_user",
	"event_before_signup",
	"future_event",
	"duplicate",
	"conflicting_profile",
	"missing_signup_date",
};

const char *const event_type_names[EVENT_TYPE_COUNT] = {
	"app_opened",
	"ritual_started",
	"ritual_completed",
	"journal_entry",
	"share",
	"reminder_set",
	"subscription_purchased",
	"ritual_skipped",
	"app_crashed",
	"push_received",
	"paywall_viewed",
	"app_open",
	"ritual_complete",
};

typedef struct EventKey
{
	int64_t		user_id;
	int64_t		event_time;
	uint64_t	type_key;		/* EventType, or a hash of an unlisted name */
	uint32_t	generation;
} EventKey;

int
csv_split_line(const char *line, size_t len, CsvField *fields, int max_fields,
			   char *scratch, size_t scratch_size)
{
	size_t		pos = 0;
	size_t		scratch_used = 0;
	int			count = 0;

	for (;;)
	{
		CsvField   *field;

		if (count == max_fields)
			return -1;
		field = &fields[count++];
		if (pos < len && line[pos] == '"')
		{
			char	   *copy = scratch + scratch_used;
			size_t		copied = 0;

			pos++;
			for (;;)
			{
				if (pos >= len)
					return -1;	/* unterminated quote */
				if (line[pos] == '"')
				{
					if (pos + 1 < len && line[pos + 1] == '"')
						pos++;	/* doubled quote: one quote */
					else
						break;
				}
				if (scratch_used + copied >= scratch_size)
					return -1;
				copy[copied++] = line[pos++];
			}
			pos++;				/* closing quote */
			scratch_used += copied;
			field->text = copy;
			field->len = copied;
			field->is_null = false;
			if (pos < len && line[pos] != ',')
				return -1;		/* text after the closing quote */
		}
		else
		{
			size_t		start = pos;

			while (pos < len && line[pos] != ',')
			{
				if (line[pos] == '"')
					return -1;
				pos++;
			}
			field->text = line + start;
			field->len = pos - start;
			field->is_null = (pos == start);
		}
		if (pos >= len)
			return count;
		pos++;					/* the comma */
	}
}

/*
 * lower(btrim(text)): btrim removes spaces only, as PostgreSQL's does
 * without a second argument.  Returns the length; dst holds the result.
 */
static size_t
normalise_event_type(const char *text, size_t len, char *dst)
{
	size_t		start = 0;
	size_t		end = len;

	while (start < end && text[start] == ' ')
		start++;
	while (end > start && text[end - 1] == ' ')
		end--;
	for (size_t i = start; i < end; i++)
	{
		char		c = text[i];

		dst[i - start] = (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
	}
	return end - start;
}

/*
 * The key of a normalised type: its EventType, or for a name the generator
 * never writes, an FNV-1a hash with the top bit set.
 */
static uint64_t
event_type_key(const char *name, size_t len, bool *in_catalogue)
{
	uint64_t	hash = UINT64_C(0xcbf29ce484222325);

	for (int t = 0; t < EVENT_TYPE_COUNT; t++)
	{
		if (strlen(event_type_names[t]) == len &&
			memcmp(event_type_names[t], name, len) == 0)
		{
			*in_catalogue = t < CATALOGUE_TYPE_COUNT;
			return (uint64_t) t;
		}
	}
	*in_catalogue = false;
	for (size_t i = 0; i < len; i++)
		hash = (hash ^ (unsigned char) name[i]) * UINT64_C(0x100000001b3);
	return hash | (UINT64_C(1) << 63);
}

static inline uint64_t
event_key_hash(int64_t user_id, uint64_t type_key, int64_t event_time)
{
	uint64_t	h = (uint64_t) user_id * UINT64_C(0x9E3779B97F4A7C15);

	h ^= type_key * UINT64_C(0xC2B2AE3D27D4EB4F);
	h ^= (uint64_t) event_time * UINT64_C(0x165667B19E3779F9);
	h ^= h >> 29;
	h *= UINT64_C(0xBF58476D1CE4E5B9);
	return h ^ (h >> 32);
}

static void
key_set_init(EventKeySet *set, size_t capacity)
{
	set->slots = calloc(capacity, sizeof(EventKey));
	if (set->slots == NULL)
	{
		fprintf(stderr, GENERATOR_NAME ": out of memory\n");
		exit(1);
	}
	set->capacity = capacity;
	set->used = 0;
	set->generation = 1;
}

/* Insert a key known to be absent. */
static void
key_set_put(EventKeySet *set, const EventKey *key)
{
	size_t		mask = set->capacity - 1;
	size_t		i = event_key_hash(key->user_id, key->type_key, key->event_time) & mask;

	while (set->slots[i].generation == set->generation)
		i = (i + 1) & mask;
	set->slots[i] = *key;
	set->slots[i].generation = set->generation;
	set->used++;
}

static void
key_set_grow(EventKeySet *set)
{
	EventKeySet bigger;

	key_set_init(&bigger, set->capacity * 2);
	for (size_t i = 0; i < set->capacity; i++)
		if (set->slots[i].generation == set->generation)
			key_set_put(&bigger, &set->slots[i]);
	free(set->slots);
	*set = bigger;
}

/* True if the key was there already; otherwise adds it. */
static bool
key_set_check_and_add(EventKeySet *set, int64_t user_id, uint64_t type_key,
					  int64_t event_time)
{
	size_t		mask = set->capacity - 1;
	size_t		i = event_key_hash(user_id, type_key, event_time) & mask;
	EventKey	key;

	while (set->slots[i].generation == set->generation)
	{
		EventKey   *slot = &set->slots[i];

		if (slot->user_id == user_id && slot->type_key == type_key &&
			slot->event_time == event_time)
			return true;
		i = (i + 1) & mask;
	}
	key.user_id = user_id;
	key.type_key = type_key;
	key.event_time = event_time;
	if ((set->used + 1) * 2 > set->capacity)
		key_set_grow(set);
	key_set_put(set, &key);
	return false;
}

void
event_rules_init(EventRules *rules, const int32_t *signup_of_user,
				 int64_t max_user_id, int64_t reference_time)
{
	rules->signup_of_user = signup_of_user;
	rules->max_user_id = max_user_id;
	rules->reference_time = reference_time;
	key_set_init(&rules->seen, 4096);
}

void
event_rules_free(EventRules *rules)
{
	free(rules->seen.slots);
	rules->seen.slots = NULL;
}

void
event_rules_forget_keys(EventRules *rules)
{
	EventKeySet *set = &rules->seen;

	set->used = 0;
	if (++set->generation == 0)
	{
		/* after 2^32 forgets, clear for real so that no stale slot matches */
		memset(set->slots, 0, set->capacity * sizeof(EventKey));
		set->generation = 1;
	}
}

unsigned
event_rules_classify(EventRules *rules, const char *line, size_t len)
{
	CsvField	fields[3];
	char		scratch[512];
	char		normalised[512];
	unsigned	flags = 0;
	int64_t		user_id = 0;
	int64_t		event_time = 0;
	uint64_t	type_key = 0;
	bool		has_user,
				has_type = false,
				has_date,
				in_catalogue = false;

	if (csv_split_line(line, len, fields, 3, scratch, sizeof(scratch)) != 3)
	{
		fprintf(stderr, GENERATOR_NAME ": internal error: malformed events row \"%.*s\"\n",
				(int) len, line);
		exit(1);
	}

	has_user = !fields[0].is_null &&
		parse_bigint(fields[0].text, fields[0].len, &user_id);
	if (!has_user)
		flags |= ANOMALY_BIT(ANOMALY_MISSING_USER_ID);

	if (!fields[1].is_null && fields[1].len < sizeof(normalised))
	{
		size_t		nlen = normalise_event_type(fields[1].text, fields[1].len,
												normalised);

		if (nlen > 0)
		{
			has_type = true;
			type_key = event_type_key(normalised, nlen, &in_catalogue);
		}
	}
	if (!has_type)
		flags |= ANOMALY_BIT(ANOMALY_MISSING_EVENT_TYPE);
	else if (!in_catalogue)
		flags |= ANOMALY_BIT(ANOMALY_UNKNOWN_EVENT_TYPE);

	has_date = !fields[2].is_null &&
		parse_timestamp(fields[2].text, fields[2].len, &event_time);
	if (!has_date)
		flags |= ANOMALY_BIT(ANOMALY_MISSING_EVENT_DATE);
	else if (event_time > rules->reference_time)
		flags |= ANOMALY_BIT(ANOMALY_FUTURE_EVENT);

	if (has_user)
	{
		int32_t		signup = NO_USABLE_SIGNUP;

		if (user_id >= 1 && user_id <= rules->max_user_id)
			signup = rules->signup_of_user[user_id];
		if (signup == NO_USABLE_SIGNUP)
			flags |= ANOMALY_BIT(ANOMALY_UNKNOWN_USER);
		else if (has_date &&
				 floor_div(event_time, SECONDS_PER_DAY) < (int64_t) signup)
			flags |= ANOMALY_BIT(ANOMALY_EVENT_BEFORE_SIGNUP);
	}

	if (has_user && has_type && has_date &&
		key_set_check_and_add(&rules->seen, user_id, type_key, event_time))
		flags |= ANOMALY_BIT(ANOMALY_DUPLICATE);
	return flags;
}

bool
profile_rules_read(const char *line, size_t len, int64_t *user_id,
				   bool *signup_ok, int64_t *signup_day)
{
	CsvField	fields[8];
	char		scratch[512];
	int			count = csv_split_line(line, len, fields, 8, scratch, sizeof(scratch));

	if (count < 2 || fields[0].is_null ||
		!parse_bigint(fields[0].text, fields[0].len, user_id))
		return false;
	*signup_ok = !fields[1].is_null &&
		parse_date(fields[1].text, fields[1].len, signup_day);
	return true;
}

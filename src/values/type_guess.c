/*-------------------------------------------------------------------------
 *
 * type_guess.c
 *		  The type a column of text values most likely has: each value
 *		  narrows the candidates, and the first candidate left wins.
 *
 * The candidates, in the order they win: boolean (true/false, t/f,
 * yes/no: not 0 and 1, which make bigint), bigint, double precision, date
 * (with '-' or '/' and no time of day), timestamptz (a time of day, and a
 * zone in some value), timestamp; else text.  Values are tried by the
 * types' own input functions, softly.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"

#include "values/type_guess.h"

#define MAY_BOOL		(1 << 0)
#define MAY_BIGINT		(1 << 1)
#define MAY_DOUBLE		(1 << 2)
#define MAY_DATE		(1 << 3)
#define MAY_TIMESTAMP	(1 << 4)
#define MAY_ALL			((1 << 5) - 1)

void
ritual_type_trials_init(RitualTypeTrials *trials)
{
	ritual_converter_init(&trials->bigint, INT8OID, -1);
	ritual_converter_init(&trials->dbl, FLOAT8OID, -1);
	ritual_converter_init(&trials->date, DATEOID, -1);
	ritual_converter_init(&trials->timestamp, TIMESTAMPOID, -1);
}

void
ritual_guess_init(RitualTypeGuess *guess)
{
	guess->may = MAY_ALL;
	guess->seen = false;
	guess->zoned = false;
}

static bool
fits(RitualConverter *conv, const char *value)
{
	Datum		datum;
	char	   *message;

	return ritual_convert_soft(conv, (char *) value, strlen(value), &datum,
							   &message);
}

static bool
is_bool_word(const char *value)
{
	static const char *const words[] = {"true", "false", "t", "f", "yes", "no"};

	for (size_t i = 0; i < lengthof(words); i++)
	{
		if (pg_strcasecmp(value, words[i]) == 0)
			return true;
	}
	return false;
}

/* A zone at the end of a timestamp: Z, or a sign after the time of day. */
static bool
has_zone(const char *value)
{
	const char *colon = strchr(value, ':');
	size_t		len = strlen(value);

	if (colon == NULL || len == 0)
		return false;
	if (value[len - 1] == 'Z' || value[len - 1] == 'z')
		return true;
	return strpbrk(colon, "+-") != NULL;
}

/* The candidates 'value' leaves of those in 'may'. */
static int
candidates_of(int may, RitualTypeTrials *trials, const char *value)
{
	bool		has_time = strchr(value, ':') != NULL;

	if ((may & MAY_BOOL) && !is_bool_word(value))
		may &= ~MAY_BOOL;
	if ((may & MAY_BIGINT) && !fits(&trials->bigint, value))
		may &= ~MAY_BIGINT;
	if ((may & MAY_DOUBLE) && !fits(&trials->dbl, value))
		may &= ~MAY_DOUBLE;
	/* date_in takes 20240301, and a time of day that it then drops */
	if ((may & MAY_DATE) &&
		(has_time || strpbrk(value, "-/") == NULL || !fits(&trials->date, value)))
		may &= ~MAY_DATE;
	if ((may & MAY_TIMESTAMP) &&
		(!has_time || !fits(&trials->timestamp, value)))
		may &= ~MAY_TIMESTAMP;
	return may;
}

void
ritual_guess_narrow(RitualTypeGuess *guess, RitualTypeTrials *trials,
					const char *value)
{
	guess->seen = true;
	guess->may = candidates_of(guess->may, trials, value);
	if (guess->may & MAY_TIMESTAMP)
		guess->zoned |= has_zone(value);
}

/* Whether 'value' leaves one of the candidates the guess still has. */
bool
ritual_guess_fits(const RitualTypeGuess *guess, RitualTypeTrials *trials,
				  const char *value)
{
	return (candidates_of(MAY_ALL, trials, value) & guess->may) != 0;
}

const char *
ritual_guess_type(const RitualTypeGuess *guess)
{
	if (!guess->seen)
		return "text";
	if (guess->may & MAY_BOOL)
		return "boolean";
	if (guess->may & MAY_BIGINT)
		return "bigint";
	if (guess->may & MAY_DOUBLE)
		return "double precision";
	if (guess->may & MAY_DATE)
		return "date";
	if (guess->may & MAY_TIMESTAMP)
		return guess->zoned ? "timestamptz" : "timestamp";
	return "text";
}

/*-------------------------------------------------------------------------
 *
 * type_guess.h
 *		  The type a column of text values most likely has, for tables that
 *		  IMPORT FOREIGN SCHEMA declares (CSV columns, partition keys).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_TYPE_GUESS_H
#define RITUAL_TYPE_GUESS_H

#include "values/convert.h"

/* What a column's values may still be, narrowed by each value seen. */
typedef struct RitualTypeGuess
{
	int			may;			/* bits of the candidate types */
	bool		seen;			/* a value, not only NULLs */
	bool		zoned;			/* a timestamp value with a zone */
} RitualTypeGuess;

/* The input functions that try values, made once for many guesses. */
typedef struct RitualTypeTrials
{
	RitualConverter bigint;
	RitualConverter dbl;
	RitualConverter date;
	RitualConverter timestamp;
} RitualTypeTrials;

extern void ritual_type_trials_init(RitualTypeTrials *trials);
extern void ritual_guess_init(RitualTypeGuess *guess);
extern void ritual_guess_narrow(RitualTypeGuess *guess,
								RitualTypeTrials *trials, const char *value);
extern bool ritual_guess_fits(const RitualTypeGuess *guess,
							  RitualTypeTrials *trials, const char *value);
extern const char *ritual_guess_type(const RitualTypeGuess *guess);

#endif							/* RITUAL_TYPE_GUESS_H */

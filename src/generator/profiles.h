/*
 * profiles.h
 *		user_profiles.csv: one row per user, some users with several rows or
 *		without a usable signup_date, read back by the rules as written.
 */
#ifndef RITUAL_GENERATOR_PROFILES_H
#define RITUAL_GENERATOR_PROFILES_H

#include "model.h"

#define PROFILES_FILE "user_profiles.csv"
#define PROFILES_HEADER "user_id,signup_date,country,platform\n"

typedef struct ProfileSummary
{
	uint64_t	rows;
	uint64_t	conflicting_rows;	/* rows flagged conflicting_profile */
	uint64_t	missing_signup_rows;	/* rows flagged missing_signup_date */
	uint64_t	users_with_conflicts;
	uint64_t	users_without_usable_signup;
} ProfileSummary;

/*
 * Write the profiles file at path and fill signup_of_user (users + 1
 * entries) with each user's earliest usable signup day, or
 * NO_USABLE_SIGNUP.  Returns false with errno set if the file cannot be
 * written.
 */
extern bool profiles_write(const Model *model, const char *path,
						   int32_t *signup_of_user, ProfileSummary *summary);

#endif							/* RITUAL_GENERATOR_PROFILES_H */

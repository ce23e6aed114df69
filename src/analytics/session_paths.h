/*-------------------------------------------------------------------------
 *
 * session_paths.h
 *		  Sessions and users per session path (session_paths.c), counted by
 *		  the full build's pass over the events and moved by the refresh's,
 *		  kept in ritual.path_counts, and each user's distinct paths, kept
 *		  in ritual.user_paths.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_SESSION_PATHS_H
#define RITUAL_SESSION_PATHS_H

#include "utils/hsearch.h"

#include "analytics/bulk_insert.h"

/* A user's distinct paths (texts, in 'context'). */
typedef struct UserPaths
{
	MemoryContext context;
	text	  **paths;
	int			count;
	int			size;
} UserPaths;

extern const ColumnSpec user_path_columns[2];

/* sessions and users per path */
typedef struct PathCounts PathCounts;

extern PathCounts *path_counts_create(MemoryContext context);
extern void path_counts_add(PathCounts *counts, Datum path, int64 sessions, int64 users);
extern void path_counts_write(PathCounts *counts, bool by_difference);

/* a full build's count of the paths, spelt by session_path() (one Datum a path) */
typedef struct PathTally PathTally;

extern PathTally *path_tally_create(MemoryContext context);
extern bool path_tally_add(PathTally *tally, Datum path, int64 user_id);
extern void path_tally_counts(PathTally *tally, PathCounts *counts);

extern bool user_paths_has(const UserPaths *set, Datum path);
extern void user_paths_add(UserPaths *set, Datum path);
extern void user_paths_remove(UserPaths *set, Datum path);
extern Datum user_paths_array(const UserPaths *set);
extern void user_paths_read(UserPaths *set, Datum array);

#endif							/* RITUAL_SESSION_PATHS_H */

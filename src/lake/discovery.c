/*-------------------------------------------------------------------------
 *
 * discovery.c
 *		  Turn a table's paths (files, directories, globs with '**') into a
 *		  sorted list of files, without opening any of them.
 *
 * Directories are read recursively.  As Spark and Hive do, names that start
 * with '.' or '_' (temporary files, _SUCCESS markers) are passed over unless
 * a pattern names them explicitly, but for the files of committed writes
 * that a crash left under their hidden names (see pending_files.c).
 *
 * A caller may pass a filter that the walk asks, before it enters the
 * key=value directories of a directory, which of them may hold what it
 * wants (all at once, so that it can answer for thousands of them without
 * looking at each): one it rules out is never read.  Discovery knows
 * nothing of why.  The filter may also ask that a directory that cannot be
 * read be passed over rather than be an error, for a listing that only
 * estimates.  Directories are read through dir_cache.c, which may answer
 * from a listing it kept.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/timestamp.h"

#include "ritual.h"

/* The directories being walked, to stop at a symbolic-link loop. */
typedef struct WalkedDir
{
	dev_t		dev;
	ino_t		ino;
	const struct WalkedDir *parent;
} WalkedDir;

typedef struct Discovery
{
	List	   *files;			/* RitualFile *, in the order found */
	int			matched;		/* files found for the current pattern */
	RitualDirFilter *filter;	/* which key=value directories to enter, or
								 * NULL for all */
	struct KeySet *matched_below;	/* "segment:directory" of the current
									 * pattern already matched, or NULL */
} Discovery;

static void add_path(Discovery *d, const char *path, const struct stat *st,
					 const WalkedDir *walked);

/*
 * Whether directory 'st' is one the walk is already inside, reached again
 * through a symbolic link back up: entering it would find the same files
 * again under longer names, as many times as the pattern has segments.
 */
static bool
walking_inside(const WalkedDir *walked, const struct stat *st)
{
	for (const WalkedDir *w = walked; w != NULL; w = w->parent)
	{
		if (w->dev == st->st_dev && w->ino == st->st_ino)
			return true;
	}
	return false;
}

static bool
has_glob_chars(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static bool
is_hidden_name(const char *name)
{
	return name[0] == '.' || name[0] == '_';
}

static char *
join_path(const char *dir, const char *name)
{
	/* the root directory already ends with a slash */
	if (dir[0] == '/' && dir[1] == '\0')
		return psprintf("/%s", name);
	return psprintf("%s/%s", dir, name);
}

/* stat() that reports errors other than "not there"; false if not there. */
static bool
stat_path(const char *path, struct stat *st)
{
	if (stat(path, st) == 0)
		return true;
	if (errno == ENOENT || errno == ENOTDIR)
		return false;
	ereport(ERROR,
			(errcode_for_file_access(),
			 errmsg("could not stat file \"%s\": %m", path)));
	return false;				/* keep compiler quiet */
}

/* An entry of a directory being read. */
typedef struct DirEntry
{
	const char *dir;			/* the directory */
	const char *name;			/* the entry's name */
	unsigned char type;			/* its d_type, or 0 (DT_UNKNOWN) */
	bool		may_match;		/* not ruled out by the filter */
} DirEntry;

/*
 * Which entries of 'listing', a listing of directory 'path', the filter
 * lets the walk enter (all those not named key=value); NULL for all.
 */
static bool *
choose_entries(Discovery *d, const char *path, RitualDirListing *listing)
{
	int			n = 0;
	char	  **keys = palloc(sizeof(char *) * Max(listing->nentries, 1));
	char	  **values = palloc(sizeof(char *) * Max(listing->nentries, 1));
	int		   *which = palloc(sizeof(int) * Max(listing->nentries, 1));
	bool	   *chosen = palloc0(sizeof(bool) * Max(listing->nentries, 1));
	bool	   *may = palloc(sizeof(bool) * Max(listing->nentries, 1));
	List	   *dir_keys;
	List	   *dir_values;

	ritual_dir_partitions(listing);
	for (int i = 0; i < listing->nentries; i++)
	{
		const RitualDirEntry *e = &listing->entries[i];

		may[i] = true;
		if (e->key == NULL)
			continue;
		keys[n] = e->key;
		values[n] = e->value;
		which[n++] = i;
	}
	if (n > 0)
	{
		ritual_parse_dir_partitions(path, &dir_keys, &dir_values);
		d->filter->choose(dir_keys, dir_values, n, keys, values,
						  listing->generation, chosen, d->filter->arg);
		for (int j = 0; j < n; j++)
			may[which[j]] = chosen[j];
		list_free(dir_keys);
		list_free(dir_values);
	}
	pfree(keys);
	pfree(values);
	pfree(which);
	pfree(chosen);
	return may;
}

/*
 * Call 'visit' for every entry of directory 'path' (whose stat() the
 * caller may pass as 'st', or NULL) but "." and "..".  Entries are not
 * sorted here: the whole result is sorted at the end.
 */
static void
for_each_entry(Discovery *d, const char *path, const struct stat *st,
			   void (*visit) (const DirEntry *entry, void *arg), void *arg)
{
	RitualDirListing *listing;
	DirEntry	entry = {path, NULL, 0, true};
	bool	   *may = NULL;

	listing = ritual_read_dir(path, st, d->filter != NULL &&
							  d->filter->pass_unreadable);
	if (listing == NULL)
	{
		d->filter->unreadable++;
		return;
	}
	if (d->filter != NULL && d->filter->choose != NULL)
		may = choose_entries(d, path, listing);
	for (int i = 0; i < listing->nentries; i++)
	{
		CHECK_FOR_INTERRUPTS();
		entry.name = listing->entries[i].name;
		entry.type = listing->entries[i].type;
		entry.may_match = (may == NULL || may[i]);
		visit(&entry, arg);
	}
	if (may != NULL)
		pfree(may);
	ritual_release_dir(listing);
}

/*
 * Whether the filter rules out entry 'e', a key=value directory (counted in
 * filter->skipped): then it is not even stat()ed, when readdir() tells it
 * is a directory.
 */
static bool
filtered_out(Discovery *d, const DirEntry *e)
{
	struct stat st;

	if (e->may_match)
		return false;
	/* a file named key=value is not a partition directory */
#ifdef DT_DIR
	if (e->type != DT_DIR)
#endif
	{
		char	   *path = join_path(e->dir, e->name);

		if (!stat_path(path, &st) || !S_ISDIR(st.st_mode))
			return false;
	}
	d->filter->skipped++;
	return true;
}

typedef struct WalkArg
{
	Discovery  *d;
	const WalkedDir *walked;
} WalkArg;

static void
walk_entry(const DirEntry *e, void *arg)
{
	WalkArg    *w = arg;
	char	   *path;
	char	   *final_name;
	struct stat st;

	/* of the hidden files, those of committed writes count */
	if (is_hidden_name(e->name))
		path = ritual_settle_pending(e->dir, e->name, &final_name);
	else if (filtered_out(w->d, e))
		return;
	else
		path = join_path(e->dir, e->name);
	if (path != NULL && stat_path(path, &st))
		add_path(w->d, path, &st, w->walked);
}

/*
 * Add a path that exists: a file as itself, a directory as all the files
 * below it.
 */
static void
add_path(Discovery *d, const char *path, const struct stat *st,
		 const WalkedDir *walked)
{
	if (S_ISDIR(st->st_mode))
	{
		WalkedDir	here = {st->st_dev, st->st_ino, walked};
		WalkArg		arg = {d, &here};

		if (walking_inside(walked, st))
			return;
		for_each_entry(d, path, st, walk_entry, &arg);
	}
	else
	{
		RitualFile *file = palloc(sizeof(RitualFile));

		file->path = pstrdup(path);
		file->size = S_ISREG(st->st_mode) ? (int64) st->st_size : 0;
		file->modified = time_t_to_timestamptz(st->st_mtim.tv_sec) +
			st->st_mtim.tv_nsec / 1000;
		ritual_parse_partitions(file);
		d->files = lappend(d->files, file);
		d->matched++;
	}
}

typedef struct GlobArg
{
	Discovery  *d;
	char	  **segments;
	int			nsegments;
	int			next;			/* segment the entries are matched against */
	const WalkedDir *walked;
} GlobArg;

static void match_segments(Discovery *d, const char *dir, char **segments,
						   int nsegments, int next, const WalkedDir *walked);

/*
 * Match segments[next..] below directory 'path', unless the walk is inside
 * it already.  'walked' holds the directories above it.
 */
static void
enter_directory(Discovery *d, const char *path, const struct stat *st,
				char **segments, int nsegments, int next,
				const WalkedDir *walked)
{
	WalkedDir	here = {st->st_dev, st->st_ino, walked};

	if (walking_inside(walked, st))
		return;
	match_segments(d, path, segments, nsegments, next, &here);
}

static void
glob_entry(const DirEntry *e, void *arg)
{
	GlobArg    *g = arg;
	const char *dir = e->dir;
	const char *name = e->name;
	const char *segment = g->segments[g->next];
	struct stat st;
	char	   *path;
	char	   *final_name;

	if (strcmp(segment, "**") == 0)
	{
		/* '**' goes one directory deeper and stays in force */
		if (is_hidden_name(name) || filtered_out(g->d, e))
			return;
		path = join_path(dir, name);
		if (stat_path(path, &st) && S_ISDIR(st.st_mode))
			enter_directory(g->d, path, &st, g->segments, g->nsegments, g->next,
							g->walked);
		return;
	}

	if (is_hidden_name(name) && segment[0] != name[0])
	{
		/* a committed write's file is matched by the name it gets */
		path = ritual_settle_pending(dir, name, &final_name);
		if (path == NULL || fnmatch(segment, final_name, FNM_PERIOD) != 0)
			return;
	}
	else if (fnmatch(segment, name, FNM_PERIOD) != 0 || filtered_out(g->d, e))
		return;
	else
		path = join_path(dir, name);
	if (!stat_path(path, &st))
		return;
	if (g->next + 1 == g->nsegments)
		add_path(g->d, path, &st, g->walked);
	else if (S_ISDIR(st.st_mode))
		enter_directory(g->d, path, &st, g->segments, g->nsegments,
						g->next + 1, g->walked);
}

/*
 * A set of strings, open addressing: the walk runs in programs without the
 * backend's hash tables too (the fuzzers of tests/fuzz).
 */
typedef struct KeySet
{
	char	  **slots;
	uint32		size;			/* a power of two */
	uint32		used;
} KeySet;

static KeySet *
key_set_create(void)
{
	KeySet	   *set = palloc(sizeof(KeySet));

	set->size = 64;
	set->used = 0;
	set->slots = palloc0(sizeof(char *) * set->size);
	return set;
}

/* Add 'key' (the set keeps it); false when it was there already. */
static bool
key_set_add(KeySet *set, char *key)
{
	uint32		i;

	if (2 * (set->used + 1) > set->size)
	{
		char	  **old = set->slots;
		uint32		old_size = set->size;

		set->size *= 2;
		set->slots = palloc0(sizeof(char *) * set->size);
		set->used = 0;
		for (uint32 j = 0; j < old_size; j++)
		{
			if (old[j] != NULL)
				key_set_add(set, old[j]);
		}
		pfree(old);
	}
	for (i = hash_bytes((const unsigned char *) key, strlen(key)) & (set->size - 1);
		 set->slots[i] != NULL; i = (i + 1) & (set->size - 1))
	{
		if (strcmp(set->slots[i], key) == 0)
			return false;
	}
	set->slots[i] = key;
	set->used++;
	return true;
}

static void
key_set_free(KeySet *set)
{
	for (uint32 i = 0; i < set->size; i++)
	{
		if (set->slots[i] != NULL)
			pfree(set->slots[i]);
	}
	pfree(set->slots);
	pfree(set);
}

/*
 * Whether segments[next..] were matched below 'dir' before, for this
 * pattern.  With several '**' a directory is reached again at the same
 * segment for each way of splitting its path between them; matching it
 * again would find the same files, in a time that grows exponentially with
 * the '**' (a pattern of 40 segments alternating '**' and '*' took seconds
 * on a tree of 20 directories).
 */
static bool
matched_before(Discovery *d, const char *dir, int next)
{
	char	   *key;

	if (d->matched_below == NULL)
		return false;
	key = psprintf("%d:%s", next, dir);
	if (key_set_add(d->matched_below, key))
		return false;
	pfree(key);
	return true;
}

/*
 * Match segments[next..] of a pattern below directory 'dir'; 'walked' holds
 * 'dir' and the directories above it.
 */
static void
match_segments(Discovery *d, const char *dir, char **segments, int nsegments,
			   int next, const WalkedDir *walked)
{
	const char *segment;
	struct stat st;

	CHECK_FOR_INTERRUPTS();
	if (matched_before(d, dir, next))
		return;
	if (next == nsegments)
	{
		/* the pattern ends at 'dir' (after a '**'): all files below it */
		WalkArg		arg = {d, walked};

		for_each_entry(d, dir, NULL, walk_entry, &arg);
		return;
	}

	segment = segments[next];
	if (strcmp(segment, "**") == 0)
	{
		GlobArg		arg = {d, segments, nsegments, next, walked};

		/* '**' matches zero directories ... */
		match_segments(d, dir, segments, nsegments, next + 1, walked);
		/* ... or one more, and then possibly more */
		for_each_entry(d, dir, NULL, glob_entry, &arg);
	}
	else if (has_glob_chars(segment))
	{
		GlobArg		arg = {d, segments, nsegments, next, walked};

		for_each_entry(d, dir, NULL, glob_entry, &arg);
	}
	else
	{
		char	   *path = join_path(dir, segment);

		if (!stat_path(path, &st))
			return;
		if (next + 1 == nsegments)
			add_path(d, path, &st, walked);
		else if (S_ISDIR(st.st_mode))
			enter_directory(d, path, &st, segments, nsegments, next + 1,
							walked);
	}
}

/* Expand one glob pattern, starting from its longest literal prefix. */
static void
expand_glob(Discovery *d, const char *pattern)
{
	char	   *copy = pstrdup(pattern);
	char	  **segments = palloc(sizeof(char *) * (strlen(pattern) + 1));
	int			nsegments = 0;
	char	   *saveptr = NULL;
	char	   *dir;
	int			first_glob;
	struct stat st;
	WalkedDir	root;

	for (char *tok = strtok_r(copy, "/", &saveptr); tok != NULL;
		 tok = strtok_r(NULL, "/", &saveptr))
	{
		/*
		 * '**' after '**' matches nothing more, and would walk the tree again
		 * for each way of splitting a path between them
		 */
		if (strcmp(tok, "**") == 0 && nsegments > 0 &&
			strcmp(segments[nsegments - 1], "**") == 0)
			continue;
		segments[nsegments++] = tok;
	}

	dir = pstrdup("/");
	for (first_glob = 0; first_glob < nsegments; first_glob++)
	{
		if (has_glob_chars(segments[first_glob]))
			break;
		dir = join_path(dir, segments[first_glob]);
	}
	if (!stat_path(dir, &st) || !S_ISDIR(st.st_mode))
		return;
	d->matched_below = NULL;
	for (int i = first_glob + 1; i < nsegments; i++)
	{
		/* a directory is reached twice at one segment only after a '**' */
		if (strcmp(segments[i - 1], "**") == 0)
		{
			d->matched_below = key_set_create();
			break;
		}
	}
	root.dev = st.st_dev;
	root.ino = st.st_ino;
	root.parent = NULL;
	match_segments(d, dir, segments, nsegments, first_glob, &root);
	if (d->matched_below != NULL)
		key_set_free(d->matched_below);
	d->matched_below = NULL;
}

static int
compare_file_paths(const ListCell *a, const ListCell *b)
{
	const RitualFile *fa = lfirst(a);
	const RitualFile *fb = lfirst(b);

	return strcmp(fa->path, fb->path);
}

/* The files sorted by path, each once. */
static List *
sorted_once(List *files)
{
	List	   *unique = NIL;
	const char *previous = NULL;
	ListCell   *lc;

	list_sort(files, compare_file_paths);
	foreach(lc, files)
	{
		RitualFile *file = lfirst(lc);

		if (previous == NULL || strcmp(previous, file->path) != 0)
			unique = lappend(unique, file);
		previous = file->path;
	}
	return unique;
}

/*
 * Find the files of each pattern, in the order found; a pattern is an
 * error (without missing_ok) only if it matches nothing, not if all it
 * matches is ruled out or passed over unread.
 */
static void
walk_patterns(Discovery *d, List *patterns, bool missing_ok)
{
	RitualDirFilter *filter = d->filter;
	ListCell   *lc;

	foreach(lc, patterns)
	{
		const char *pattern = lfirst(lc);
		struct stat st;
		int			passed_over = filter ? filter->skipped + filter->unreadable : 0;

		d->matched = 0;
		if (has_glob_chars(pattern))
			expand_glob(d, pattern);
		else if (stat_path(pattern, &st))
			add_path(d, pattern, &st, NULL);

		if (d->matched == 0 && !missing_ok &&
			(filter == NULL ||
			 filter->skipped + filter->unreadable == passed_over))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FILE),
					 errmsg("path \"%s\" matches no file", pattern),
					 errhint("Check the path, or set option missing_ok 'true' to read no rows from it instead.")));
	}
}

/*
 * ritual_discover_files
 *		All files that the patterns name, sorted by path, each once.
 */
List *
ritual_discover_files(List *patterns, bool missing_ok)
{
	return ritual_discover_files_filtered(patterns, missing_ok, NULL);
}

/*
 * ritual_discover_files_filtered
 *		The same, but for the files of the key=value directories that
 *		'filter' (if not NULL) rules out: those directories are not read.  A
 *		pattern is an error (without missing_ok) only if it matches nothing,
 *		not if all it matches is ruled out or passed over unread.
 */
List *
ritual_discover_files_filtered(List *patterns, bool missing_ok,
							   RitualDirFilter *filter)
{
	Discovery	d = {NIL, 0, filter, NULL};

	/* a type's input function may run a query that walks, within this walk */
	ritual_dir_cache_begin_walk();
	PG_TRY();
	{
		walk_patterns(&d, patterns, missing_ok);
	}
	PG_FINALLY();
	{
		ritual_dir_cache_end_walk();
	}
	PG_END_TRY();
	return sorted_once(d.files);
}

int64
ritual_total_size(List *files)
{
	int64		total = 0;
	ListCell   *lc;

	foreach(lc, files)
		total += ((RitualFile *) lfirst(lc))->size;
	return total;
}

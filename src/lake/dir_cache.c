/*-------------------------------------------------------------------------
 *
 * dir_cache.c
 *		  A directory's entries, read with readdir() or kept by the backend
 *		  from an earlier reading while the directory has not changed.
 *
 * A lake of years of daily partitions has a top directory of thousands of
 * entries, which a query for one day read in full each time: ten times
 * the cost of reading that day's directory.  A listing of at least
 * KEEP_MIN_ENTRIES entries is kept, each entry's key=value parsed, and is
 * used again while the directory's device, inode, modification time and
 * change time are what they were when it was read.  Adding, removing or
 * renaming an entry changes those times; a change within the same tick of
 * the file system's clock as an earlier one would not show, so a listing
 * is kept only when the directory had last changed more than a second
 * before it was read.  Setting ritual.keep_directory_listings off reads
 * every directory every time.
 *
 * The backend keeps at most KEEP_MAX_ENTRIES entries in all.  A listing a
 * walk may still be reading is never freed during the walk: one replaced
 * by a newer reading is retired, and retired listings are freed when the
 * next walk begins, as is everything once a listing found no room, unless
 * that walk runs within another.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "ritual.h"

#define KEEP_MIN_ENTRIES	64
#define KEEP_MAX_ENTRIES	100000

bool		ritual_keep_listings = true;

typedef struct KeptListing
{
	char		path[MAXPGPATH];	/* the hash key */
	dev_t		dev;
	ino_t		ino;
	struct timespec mtime;
	struct timespec ctime;
	MemoryContext context;		/* holds the listing */
	RitualDirListing *listing;
} KeptListing;

static MemoryContext cache_context = NULL;
static HTAB *kept = NULL;
static int64 kept_entries = 0;
static uint64 last_generation = 0;
static List *retired = NIL;		/* contexts, in cache_context */
static int	walks = 0;			/* walks under way, one within another */
static bool full = false;		/* a listing found no room */

static bool
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Whether 't' is more than a second before 'then'. */
static bool
well_before(const struct timespec *t, const struct timespec *then)
{
	return t->tv_sec < then->tv_sec - 1 ||
		(t->tv_sec == then->tv_sec - 1 && t->tv_nsec < then->tv_nsec);
}

/*
 * ritual_dir_cache_begin_walk
 *		A walk begins: unless it runs within another (a type's input function
 *		may query a table), free the listings retired by the walks before,
 *		and all of them when a listing found no room.
 */
void
ritual_dir_cache_begin_walk(void)
{
	ListCell   *lc;

	if (walks++ > 0 || cache_context == NULL)
		return;
	if (full)
	{
		MemoryContextReset(cache_context);
		kept = NULL;
		kept_entries = 0;
		retired = NIL;
		full = false;
		return;
	}
	foreach(lc, retired)
		MemoryContextDelete(lfirst(lc));
	list_free(retired);
	retired = NIL;
}

/*
 * ritual_dir_cache_end_walk
 *		The walk begun last has ended, or an error ended it.
 */
void
ritual_dir_cache_end_walk(void)
{
	Assert(walks > 0);
	walks--;
}

/* Read the entries of 'dir' (but "." and "..") into the current context. */
static RitualDirListing *
read_entries(DIR *dir, const char *path)
{
	RitualDirListing *listing = palloc0(sizeof(RitualDirListing));
	int			size = 16;
	Size		names_size = 1024;
	Size		names_len = 0;
	struct dirent *de;

	listing->entries = palloc(sizeof(RitualDirEntry) * size);
	listing->names = palloc(names_size);
	while ((de = ReadDir(dir, path)) != NULL)
	{
		RitualDirEntry *entry;
		Size		len = strlen(de->d_name) + 1;

		CHECK_FOR_INTERRUPTS();
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (listing->nentries == size)
		{
			if (size >= (int) (MaxAllocSize / sizeof(RitualDirEntry) / 2))
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("directory \"%s\" has too many entries", path)));
			size *= 2;
			listing->entries = repalloc(listing->entries,
										sizeof(RitualDirEntry) * size);
		}
		if (names_len + len > names_size)
		{
			if (names_size >= MaxAllocSize / 2)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("directory \"%s\" has too many entries", path)));
			names_size *= 2;
			listing->names = repalloc(listing->names, names_size);
		}
		memcpy(listing->names + names_len, de->d_name, len);
		entry = &listing->entries[listing->nentries++];
		/* the offset of the name, until the names stop moving */
		entry->name = (char *) (uintptr_t) names_len;
		names_len += len;
		entry->type = 0;
#ifdef DT_DIR
		entry->type = de->d_type;
#endif
		entry->key = NULL;
		entry->value = NULL;
	}
	for (int i = 0; i < listing->nentries; i++)
		listing->entries[i].name =
			listing->names + (uintptr_t) listing->entries[i].name;
	listing->names_len = names_len;
	return listing;
}

/*
 * Keep a copy of the listing of 'path', read after 'st' was taken, and
 * return it.
 */
static RitualDirListing *
keep_listing(const char *path, const struct stat *st,
			 const RitualDirListing *read)
{
	KeptListing *k;
	bool		found;
	MemoryContext context;
	MemoryContext oldcontext;
	RitualDirListing *listing;

	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(TopMemoryContext,
											  "ritual_fdw directory listings",
											  ALLOCSET_DEFAULT_SIZES);
	if (kept == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = MAXPGPATH;
		ctl.entrysize = sizeof(KeptListing);
		ctl.hcxt = cache_context;
		kept = hash_create("ritual_fdw directory listings", 64, &ctl,
						   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	context = AllocSetContextCreate(cache_context,
									"ritual_fdw directory listing",
									ALLOCSET_DEFAULT_SIZES);
	oldcontext = MemoryContextSwitchTo(context);
	listing = palloc0(sizeof(RitualDirListing));
	listing->nentries = read->nentries;
	listing->names_len = read->names_len;
	listing->names = palloc(Max(read->names_len, 1));
	memcpy(listing->names, read->names, read->names_len);
	listing->entries = palloc(sizeof(RitualDirEntry) * Max(read->nentries, 1));
	for (int i = 0; i < read->nentries; i++)
	{
		listing->entries[i] = read->entries[i];
		listing->entries[i].name = listing->names +
			(read->entries[i].name - read->names);
	}
	listing->context = context;
	MemoryContextSwitchTo(oldcontext);

	k = hash_search(kept, path, HASH_ENTER, &found);
	if (found)
	{
		/* a walk up the stack may still read it */
		oldcontext = MemoryContextSwitchTo(cache_context);
		retired = lappend(retired, k->listing->context);
		MemoryContextSwitchTo(oldcontext);
		kept_entries -= k->listing->nentries;
	}
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->mtime = st->st_mtim;
	k->ctime = st->st_ctim;
	listing->generation = ++last_generation;
	k->listing = listing;
	kept_entries += listing->nentries;
	return listing;
}

/*
 * ritual_read_dir
 *		The entries of directory 'path' (whose stat() the caller may pass as
 *		'st', or NULL): kept from an earlier reading when the directory has
 *		not changed since, else read now (and a copy kept, when it is large
 *		and old enough).  NULL when the directory cannot be opened and
 *		'pass_unreadable'; an ERROR otherwise.  Give it back with
 *		ritual_release_dir.
 */
RitualDirListing *
ritual_read_dir(const char *path, const struct stat *st, bool pass_unreadable)
{
	struct stat own;
	bool		may_keep = false;
	struct timespec started;
	RitualDirListing *listing;
	DIR		   *dir;

	if (ritual_keep_listings && strlen(path) < MAXPGPATH)
	{
		if (st == NULL && stat(path, &own) == 0)
			st = &own;
		if (st != NULL && S_ISDIR(st->st_mode))
		{
			KeptListing *k = kept ? hash_search(kept, path, HASH_FIND, NULL) : NULL;

			if (k != NULL && k->dev == st->st_dev && k->ino == st->st_ino &&
				same_time(&k->mtime, &st->st_mtim) &&
				same_time(&k->ctime, &st->st_ctim))
				return k->listing;
			may_keep = true;
		}
	}
	clock_gettime(CLOCK_REALTIME, &started);
	dir = AllocateDir(path);
	if (dir == NULL && pass_unreadable)
		return NULL;
	listing = read_entries(dir, path);
	FreeDir(dir);
	if (may_keep && listing->nentries >= KEEP_MIN_ENTRIES &&
		kept_entries + listing->nentries > KEEP_MAX_ENTRIES)
	{
		/* room is made at the next walk, for a listing that can fit */
		if (listing->nentries <= KEEP_MAX_ENTRIES)
			full = true;
	}
	else if (may_keep && listing->nentries >= KEEP_MIN_ENTRIES &&
			 well_before(&st->st_mtim, &started) &&
			 well_before(&st->st_ctim, &started))
	{
		RitualDirListing *copy = keep_listing(path, st, listing);

		ritual_release_dir(listing);
		return copy;
	}
	return listing;
}

/*
 * ritual_dir_partitions
 *		Set the key and value of each entry of 'listing' named key=value
 *		(hidden names are never partitions), once.
 */
void
ritual_dir_partitions(RitualDirListing *listing)
{
	MemoryContext oldcontext;

	if (listing->parsed)
		return;
	oldcontext = MemoryContextSwitchTo(listing->context ? listing->context :
									   CurrentMemoryContext);
	for (int i = 0; i < listing->nentries; i++)
	{
		RitualDirEntry *e = &listing->entries[i];

		if (e->name[0] != '.' && e->name[0] != '_')
			(void) ritual_parse_partition_name(e->name, strlen(e->name),
											   &e->key, &e->value);
	}
	MemoryContextSwitchTo(oldcontext);
	listing->parsed = true;
}

/*
 * ritual_release_dir
 *		The caller is done with 'listing': one that is not kept is freed.
 */
void
ritual_release_dir(RitualDirListing *listing)
{
	if (listing->context != NULL)
		return;
	for (int i = 0; listing->parsed && i < listing->nentries; i++)
	{
		if (listing->entries[i].key != NULL)
			pfree(listing->entries[i].key);
		if (listing->entries[i].value != NULL)
			pfree(listing->entries[i].value);
	}
	pfree(listing->entries);
	pfree(listing->names);
	pfree(listing);
}

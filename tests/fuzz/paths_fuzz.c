/*-------------------------------------------------------------------------
 *
 * paths_fuzz.c
 *		  libFuzzer harness of paths: option "path" split into paths
 *		  (src/fdw/options.c), globs and directories found (src/lake/discovery.c),
 *		  and key=value partition directories URL-decoded
 *		  (src/lake/partitions.c), against the partition directories INSERT
 *		  writes (src/writers/writer.c).
 *
 * The input's first byte chooses what the rest is:
 *
 *	 0 (mod 3)  key NUL value NUL key NUL value ...: the partition
 *	            directories of one file, escaped as the writer escapes
 *	            them.  Reading the path back must give the very keys and
 *	            values (NULL for an empty value), and discovery of the
 *	            directory, made for real, must find the file.
 *	 1 (mod 3)  any path: its partitions are read; keys are not empty,
 *	            values are NULL or not empty.
 *	 2 (mod 3)  an option "path" value, with '@' standing for a scratch
 *	            tree (files, hidden files, _SUCCESS, key=value directories,
 *	            odd names, a symbolic-link loop, a dangling link); bit 7 of
 *	            the first byte is missing_ok.  The paths are split, and
 *	            those that stay inside the tree are discovered: the files
 *	            found are sorted, each once, and are files of the tree;
 *	            found by one path, no file is found under two names (the
 *	            walk does not follow the loop back up).
 *	            Discovered again with a filter of key=value directories
 *	            (bit 6 chooses which it rules out), the files found are
 *	            among those, and each one missing is below a directory the
 *	            filter ruled out; what succeeded without the filter
 *	            succeeds with it.
 *
 * A value equal to __HIVE_DEFAULT_PARTITION__ is NULL by Spark's own
 * convention, so that value is not written; nor is a key that starts with
 * '.' or '_', whose directories are hidden (the writer refuses them).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

/* the writer's static escaping of partition directories */
#include "../../src/writers/writer.c"

#include "shim.h"

#define MAX_LEVELS		8

/*
 * Hidden files a crash left are settled by the commit log of the cluster
 * that wrote them (src/lake/pending_files.c); the harness has no cluster, and
 * to a cluster that did not write it a hidden file is not pending: passed
 * over, as here.
 */
char *
ritual_settle_pending(const char *dir, const char *name, char **final_name)
{
	*final_name = NULL;
	return NULL;
}

/*
 * writer.c also calls these backend functions, whose frontend namesakes in
 * libpgcommon would bring a second palloc: the harness never writes through
 * them.
 */
void
fsync_fname(const char *fname, bool isdir)
{
	fuzz_fail("fsync_fname is not expected here");
}

int
durable_rename(const char *oldfile, const char *newfile, int elevel)
{
	fuzz_fail("durable_rename is not expected here");
}

static char tree[MAXPGPATH];

static void
make_file(const char *relative, const char *content)
{
	char		path[MAXPGPATH];

	snprintf(path, sizeof(path), "%s/%s", tree, relative);
	fuzz_write_file(path, content, strlen(content));
}

static void
make_dir(const char *relative)
{
	char		path[MAXPGPATH];

	snprintf(path, sizeof(path), "%s/%s", tree, relative);
	if (mkdir(path, 0700) != 0)
		fuzz_fail("mkdir %s: %m", path);
}

static void
make_tree(void)
{
	char		target[MAXPGPATH];

	snprintf(tree, sizeof(tree), "%s/tree", fuzz_scratch_dir());
	if (mkdir(tree, 0700) != 0)
		fuzz_fail("mkdir %s: %m", tree);
	make_file("a.csv", "a\n");
	make_file(".hidden.csv", "h\n");
	make_file("_SUCCESS", "");
	make_dir("_tmp");
	make_file("_tmp/x.csv", "x\n");
	make_dir("dir");
	make_file("dir/b.csv", "b\n");
	make_dir("dir/sub");
	make_file("dir/sub/c.csv.gz", "");
	make_dir("event_date=2024-03-01");
	make_dir("event_date=2024-03-01/platform=ios");
	make_file("event_date=2024-03-01/platform=ios/part-0.csv", "1\n");
	make_dir("event_date=__HIVE_DEFAULT_PARTITION__");
	make_file("event_date=__HIVE_DEFAULT_PARTITION__/part-0.csv", "2\n");
	make_dir("k=a%2Fb");
	make_file("k=a%2Fb/c.csv", "3\n");
	make_dir("_col=1");
	make_file("_col=1/d.csv", "4\n");
	make_file("comma,name.csv", "c\n");
	make_file("star*name.csv", "s\n");
	make_file("[br].csv", "b\n");
	make_dir("empty");
	snprintf(target, sizeof(target), "%s/loop", tree);
	if (symlink(".", target) != 0)
		fuzz_fail("symlink %s: %m", target);
	snprintf(target, sizeof(target), "%s/dangling", tree);
	if (symlink("nowhere", target) != 0)
		fuzz_fail("symlink %s: %m", target);
}

/* ---------- 0: partition directories as the writer names them ---------- */

typedef struct RoundTrip
{
	int			nlevels;
	const char *keys[MAX_LEVELS];
	const char *values[MAX_LEVELS];	/* NULL for an empty value */
	char		dir[MAXPGPATH];	/* the directory holding the levels */
	char		path[MAXPGPATH];	/* the file below them */
} RoundTrip;

static void
check_partitions(const RitualFile *file, const RoundTrip *rt)
{
	ListCell   *k,
			   *v;
	int			i = 0;

	if (list_length(file->partition_keys) != rt->nlevels ||
		list_length(file->partition_values) != rt->nlevels)
		fuzz_fail("path %s has %d partitions, not %d", file->path,
				  list_length(file->partition_keys), rt->nlevels);
	forboth(k, file->partition_keys, v, file->partition_values)
	{
		const char *value = lfirst(v);

		if (strcmp(lfirst(k), rt->keys[i]) != 0)
			fuzz_fail("partition %d of %s reads back as key \"%s\", not \"%s\"",
					  i, file->path, (char *) lfirst(k), rt->keys[i]);
		if ((value == NULL) != (rt->values[i] == NULL) ||
			(value != NULL && strcmp(value, rt->values[i]) != 0))
			fuzz_fail("partition %s of %s reads back as %s%s%s, not %s%s%s",
					  rt->keys[i], file->path,
					  value ? "\"" : "", value ? value : "NULL", value ? "\"" : "",
					  rt->values[i] ? "\"" : "",
					  rt->values[i] ? rt->values[i] : "NULL",
					  rt->values[i] ? "\"" : "");
		i++;
	}
}

static void
round_trip(void *arg)
{
	RoundTrip  *rt = arg;
	StringInfoData path;
	RitualFile	file;
	List	   *found;

	initStringInfo(&path);
	appendStringInfoString(&path, rt->dir);
	for (int i = 0; i < rt->nlevels; i++)
	{
		int			segment_start;

		appendStringInfoChar(&path, '/');
		segment_start = path.len;
		append_escaped_partition(&path, rt->keys[i]);
		appendStringInfoChar(&path, '=');
		append_escaped_partition(&path, rt->values[i]);
		if (path.len - segment_start > 255)
			return;				/* too long a name: the write fails */
	}
	appendStringInfoString(&path, "/part-0.csv");
	if (path.len >= MAXPGPATH)
		return;

	file.path = path.data;
	ritual_parse_partitions(&file);
	check_partitions(&file, rt);

	/* made for real, discovery finds it with the same partitions */
	for (char *slash = path.data + strlen(rt->dir) + 1;
		 (slash = strchr(slash, '/')) != NULL; slash++)
	{
		*slash = '\0';
		if (mkdir(path.data, 0700) != 0 && errno != EEXIST)
			fuzz_fail("mkdir %s: %m", path.data);
		*slash = '/';
	}
	fuzz_write_file(path.data, "1\n", 2);
	strlcpy(rt->path, path.data, sizeof(rt->path));
	found = ritual_discover_files(lappend(NIL, rt->dir), false);
	if (list_length(found) != 1 ||
		strcmp(((RitualFile *) linitial(found))->path, path.data) != 0)
		fuzz_fail("discovery of %s finds %d files, not the one written, %s",
				  rt->dir, list_length(found), path.data);
	check_partitions(linitial(found), rt);
}

static void
remove_below(const char *dir, const char *path)
{
	char		copy[MAXPGPATH];
	size_t		dir_len = strlen(dir);

	if (path[0] == '\0')
		return;
	if (unlink(path) != 0)
		fuzz_fail("unlink %s: %m", path);
	strlcpy(copy, path, sizeof(copy));
	for (char *slash = strrchr(copy, '/');
		 slash != NULL && (size_t) (slash - copy) > dir_len;
		 slash = strrchr(copy, '/'))
	{
		*slash = '\0';
		if (rmdir(copy) != 0)
			fuzz_fail("rmdir %s: %m", copy);
	}
}

static int
fuzz_round_trip(const char *data, size_t len)
{
	static RoundTrip rt;
	const char *p = data;
	const char *end = data + len;

	rt.nlevels = 0;
	while (p < end && rt.nlevels < MAX_LEVELS)
	{
		const char *key = p;
		const char *value;

		p = memchr(p, '\0', end - p);
		if (p == NULL)
			return -1;
		value = ++p;
		p = memchr(p, '\0', end - p);
		if (p == NULL)
			p = end;			/* the last value may run to the end */
		if (key[0] == '\0' || strlen(key) >= NAMEDATALEN)
			return -1;			/* not a column name */
		if (key[0] == '.' || key[0] == '_')
			return -1;			/* hidden: the writer refuses such a key */
		rt.keys[rt.nlevels] = key;
		rt.values[rt.nlevels] = value;
		if (p == end)
		{
			/* copy it to terminate it */
			static char last[4096];

			if ((size_t) (end - value) >= sizeof(last))
				return -1;
			memcpy(last, value, end - value);
			last[end - value] = '\0';
			rt.values[rt.nlevels] = last;
		}
		else
			p++;
		if (rt.values[rt.nlevels][0] == '\0')
			rt.values[rt.nlevels] = NULL;
		else if (strcmp(rt.values[rt.nlevels], "__HIVE_DEFAULT_PARTITION__") == 0)
			return -1;
		rt.nlevels++;
	}
	if (rt.nlevels == 0)
		return -1;
	snprintf(rt.dir, sizeof(rt.dir), "%s/rt", fuzz_scratch_dir());
	if (mkdir(rt.dir, 0700) != 0 && errno != EEXIST)
		fuzz_fail("mkdir %s: %m", rt.dir);
	rt.path[0] = '\0';
	if (!fuzz_run(round_trip, &rt))
		fuzz_fail("writing and reading back partitions raised: %s",
				  fuzz_error_message());
	remove_below(rt.dir, rt.path);
	return 0;
}

/* ---------- 1: any path's partitions ---------- */

static void
parse_any(void *arg)
{
	RitualFile	file;
	ListCell   *k,
			   *v;

	file.path = arg;
	ritual_parse_partitions(&file);
	if (list_length(file.partition_keys) != list_length(file.partition_values))
		fuzz_fail("%d keys but %d values", list_length(file.partition_keys),
				  list_length(file.partition_values));
	forboth(k, file.partition_keys, v, file.partition_values)
	{
		const char *value = lfirst(v);

		if (((char *) lfirst(k))[0] == '\0')
			fuzz_fail("an empty partition key in %s", file.path);
		if (value != NULL && value[0] == '\0')
			fuzz_fail("an empty partition value that is not NULL in %s",
					  file.path);
	}
}

/* ---------- 2: option path, then discovery in the tree ---------- */

typedef struct Discover
{
	const char *option;
	bool		missing_ok;
	int			rule;			/* which directories the filter rules out */
	bool		found;			/* discovery without the filter succeeded */
} Discover;

/*
 * The filter's rule: by the parity of the value's length (NULL counting as
 * length 0) and the rule's bit.
 */
static bool
rule_admits(int rule, const char *key, const char *value)
{
	if (key == NULL || key[0] == '\0')
		fuzz_fail("a filter asked with an empty key");
	return (strlen(value ? value : "") + rule) % 2 == 0;
}

static void
fuzz_choose(List *dir_keys, List *dir_values, int n, char *const *keys,
			char *const *values, uint64 listing, bool *may, void *arg)
{
	if (list_length(dir_keys) != list_length(dir_values))
		fuzz_fail("a filter asked with %d keys and %d values of the directory",
				  list_length(dir_keys), list_length(dir_values));
	if (n < 1)
		fuzz_fail("a filter asked of %d entries", n);
	for (int i = 0; i < n; i++)
		may[i] = rule_admits(*(int *) arg, keys[i], values[i]);
}

/* Whether a directory of the path, below the tree, is one the rule rules out. */
static bool
below_ruled_out(const char *path, int rule)
{
	char		prefix[MAXPGPATH];
	size_t		tree_len = strlen(tree);

	for (const char *slash = strchr(path + tree_len + 1, '/'); slash != NULL;
		 slash = strchr(slash + 1, '/'))
	{
		List	   *keys;
		List	   *values;
		const char *segment = slash;

		while (segment > path && segment[-1] != '/')
			segment--;
		memcpy(prefix, path, slash - path);
		prefix[slash - path] = '\0';
		if (memchr(segment, '=', slash - segment) == NULL ||
			segment[0] == '=')
			continue;
		ritual_parse_dir_partitions(prefix, &keys, &values);
		if (keys == NIL || list_length(keys) != list_length(values))
			fuzz_fail("the partitions of %s: %d keys and %d values", prefix,
					  list_length(keys), list_length(values));
		if (!rule_admits(rule, llast(keys), llast(values)))
			return true;
	}
	return false;
}


/* Discovery with the filter, against 'files', found without it. */
static void
discover_filtered(Discover *d, List *paths, List *files)
{
	RitualDirFilter filter = {fuzz_choose, &d->rule, false, 0, 0};
	List	   *filtered = ritual_discover_files_filtered(paths, d->missing_ok,
														  &filter);
	ListCell   *f = list_head(filtered);
	ListCell   *lc;
	int			missing = 0;

	foreach(lc, files)
	{
		const char *path = ((RitualFile *) lfirst(lc))->path;

		if (f != NULL && strcmp(((RitualFile *) lfirst(f))->path, path) == 0)
		{
			f = lnext(filtered, f);
			continue;
		}
		missing++;
		if (!below_ruled_out(path, d->rule))
			fuzz_fail("the filter lost %s, below no directory it rules out",
					  path);
	}
	if (f != NULL)
		fuzz_fail("the filter found %s, which discovery does not",
				  ((RitualFile *) lfirst(f))->path);
	if (missing > 0 && filter.skipped == 0)
		fuzz_fail("the filter lost %d files but ruled out no directory",
				  missing);
}

static void
discover(void *arg)
{
	Discover   *d = arg;
	List	   *paths = ritual_split_paths(d->option);
	List	   *files;
	ListCell   *lc;
	const char *previous = NULL;
	size_t		tree_len = strlen(tree);
	struct stat *found = NULL;	/* the files a single path found */
	int			nfound = 0;

	foreach(lc, paths)
	{
		const char *path = lfirst(lc);

		/* '..' may lead out of the tree: not this test's business */
		if (strncmp(path, tree, tree_len) != 0 ||
			(path[tree_len] != '/' && path[tree_len] != '\0'))
			return;
	}
	files = ritual_discover_files(paths, d->missing_ok);
	foreach(lc, files)
	{
		RitualFile *file = lfirst(lc);
		struct stat st;

		if (previous != NULL && strcmp(previous, file->path) >= 0)
			fuzz_fail("files found out of order or twice: %s after %s",
					  file->path, previous);
		if (strncmp(file->path, tree, tree_len) != 0 ||
			file->path[tree_len] != '/')
			fuzz_fail("file %s found outside the tree", file->path);
		if (stat(file->path, &st) != 0 || S_ISDIR(st.st_mode))
			fuzz_fail("%s found, but it is not a file", file->path);
		if (list_length(paths) == 1)
		{
			for (int i = 0; i < nfound; i++)
			{
				if (found[i].st_dev == st.st_dev && found[i].st_ino == st.st_ino)
					fuzz_fail("%s found under a second name", file->path);
			}
			found = realloc(found, sizeof(struct stat) * (nfound + 1));
			if (found == NULL)
				fuzz_fail("out of memory");
			found[nfound++] = st;
		}
		previous = file->path;
	}
	free(found);
	d->found = true;
	discover_filtered(d, paths, files);
}

/* Run discovery on an option value, '@' standing for the tree. */
static int
fuzz_discover(const char *rest, size_t len, bool missing_ok, int rule)
{
	Discover	d;
	size_t		needed = 1;
	char	   *option,
			   *o;

	if (memchr(rest, '\0', len) != NULL)
		return -1;				/* an option value is a C string */
	for (size_t i = 0; i < len; i++)
		needed += rest[i] == '@' ? strlen(tree) : 1;
	option = o = malloc(needed);
	for (size_t i = 0; i < len; i++)
	{
		if (rest[i] == '@')
			o = stpcpy(o, tree);
		else
			*o++ = rest[i];
	}
	*o = '\0';
	d.option = option;
	d.missing_ok = missing_ok;
	d.rule = rule;
	d.found = false;
	/* an ERROR (a relative path, no match) is the expected answer to many */
	if (!fuzz_run(discover, &d) && d.found)
		fuzz_fail("discovery of %s with a filter raised: %s", option,
				  fuzz_error_message());
	free(option);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	const char *rest = (const char *) data + 1;
	size_t		len = size - 1;
	char	   *path;

	if (size < 1)
		return -1;
	if (tree[0] == '\0')
	{
		/*
		 * directories are read afresh each time: the listings dir_cache.c
		 * keeps need a backend's memory and hash tables, which the shim has
		 * not
		 */
		ritual_keep_listings = false;
		make_tree();
	}
	switch (data[0] % 3)
	{
		case 0:
			return fuzz_round_trip(rest, len);
		case 1:
			path = malloc(len + 2);
			path[0] = '/';
			memcpy(path + 1, rest, len);
			path[len + 1] = '\0';
			if (!fuzz_run(parse_any, path))
				fuzz_fail("reading partitions raised: %s", fuzz_error_message());
			free(path);
			return 0;
		default:
			return fuzz_discover(rest, len, (data[0] & 0x80) != 0,
								 (data[0] >> 6) & 1);
	}
}

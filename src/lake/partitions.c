/*-------------------------------------------------------------------------
 *
 * partitions.c
 *		  Hive-style partition columns: values taken from the key=value
 *		  directories of a file's path, and files pruned by the query's
 *		  conditions on those columns before any is opened.
 *
 * Pruning evaluates, per file, the conditions that refer only to partition
 * columns, with the file's partition values in the scan tuple, in the
 * executor: so stable expressions (current_date - 7) and the parameters of a
 * prepared statement's generic plan prune as constants do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "nodes/makefuncs.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"
#include "utils/rel.h"

#include "values/convert.h"
#include "ritual.h"

#define HIVE_DEFAULT_PARTITION	"__HIVE_DEFAULT_PARTITION__"

/* The value of a hexadecimal digit, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undo the %XX escapes Spark writes into partition directory names. */
static char *
url_decode(const char *s, int len)
{
	char	   *out = palloc(len + 1);
	int			o = 0;

	for (int i = 0; i < len; i++)
	{
		/* %00 stays as written: a NUL cannot be in a value */
		if (s[i] == '%' && i + 2 < len &&
			hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0 &&
			(s[i + 1] != '0' || s[i + 2] != '0'))
		{
			out[o++] = (char) (hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
			i += 2;
		}
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/*
 * ritual_parse_partition_name
 *		Whether the 'len' bytes of 'name' (one segment of a path) are a
 *		key=value directory name; if so, its key and value, decoded.  An
 *		empty value and __HIVE_DEFAULT_PARTITION__ stand for NULL.
 */
bool
ritual_parse_partition_name(const char *name, int len, char **key,
							char **value)
{
	const char *equals = memchr(name, '=', len);
	int			value_len;

	if (equals == NULL || equals == name)
		return false;
	value_len = name + len - equals - 1;
	*key = url_decode(name, equals - name);
	*value = NULL;
	/* as written, as Spark compares it: %5F_HIVE... is a value */
	if (value_len > 0 &&
		((size_t) value_len != strlen(HIVE_DEFAULT_PARTITION) ||
		 strncmp(equals + 1, HIVE_DEFAULT_PARTITION, value_len) != 0))
		*value = url_decode(equals + 1, value_len);
	return true;
}

/* The key=value segments of path up to 'end' (a slash), appended. */
static void
parse_segments(const char *path, const char *end, List **keys, List **values)
{
	const char *segment = path;

	while (segment < end)
	{
		const char *slash = memchr(segment, '/', end - segment);
		char	   *key;
		char	   *value;

		if (slash == NULL)
			slash = end;
		if (ritual_parse_partition_name(segment, slash - segment, &key, &value))
		{
			*keys = lappend(*keys, key);
			*values = lappend(*values, value);
		}
		segment = slash + 1;
	}
}

/*
 * ritual_parse_partitions
 *		Read the key=value directories of file->path into its partition
 *		lists.
 */
void
ritual_parse_partitions(RitualFile *file)
{
	file->partition_keys = NIL;
	file->partition_values = NIL;
	parse_segments(file->path, strrchr(file->path, '/'),
				   &file->partition_keys, &file->partition_values);
}

/*
 * ritual_parse_dir_partitions
 *		The key=value directories of directory 'path', itself included, as
 *		ritual_parse_partitions reads a file's.
 */
void
ritual_parse_dir_partitions(const char *path, List **keys, List **values)
{
	*keys = NIL;
	*values = NIL;
	parse_segments(path, path + strlen(path), keys, values);
}

/*
 * The value of partition 'key' of 'file' (NULL for a NULL value); *found
 * says whether the file has the key at all.  Keys compare case-insensitively,
 * like column names in a header; the deepest directory wins.
 */
static const char *
lookup_partition(List *keys, List *values, const char *key, bool *found)
{
	const char *value = NULL;
	ListCell   *k,
			   *v;

	*found = false;
	forboth(k, keys, v, values)
	{
		if (pg_strcasecmp(lfirst(k), key) == 0)
		{
			*found = true;
			value = lfirst(v);
		}
	}
	return value;
}

static const char *
partition_value(const RitualFile *file, const char *key, bool *found)
{
	return lookup_partition(file->partition_keys, file->partition_values, key,
							found);
}

/*
 * ritual_file_has_partition
 *		Whether the path of 'file' has key=value directories for 'key'.  A
 *		file without them has the column in its own fields, if anywhere.
 */
bool
ritual_file_has_partition(const RitualFile *file, const char *key)
{
	bool		found;

	(void) partition_value(file, key, &found);
	return found;
}

/*
 * A partition value 'text' (NULL for NULL) as a value of conv's type, which
 * checks a NULL too if it is a domain.  False, with why in *message, when
 * it is not valid text or the type rejects it.
 */
static bool
convert_partition_text(RitualConverter *conv, const char *text, Datum *value,
					   bool *isnull, char **message)
{
	char	   *reason;

	*value = (Datum) 0;
	*isnull = (text == NULL);
	if (text == NULL && !conv->is_domain)
		return true;
	if (text != NULL && !pg_verifymbstr(text, strlen(text), true))
		reason = psprintf("invalid byte sequence for encoding \"%s\"",
						  GetDatabaseEncodingName());
	else if (ritual_convert_soft(conv, text ? pstrdup(text) : NULL,
								 text ? strlen(text) : 0, value, &reason))
		return true;
	*message = psprintf("partition value \"%s\" of the file's path: %s",
						text ? ritual_shown_value(text, strlen(text)) : "",
						reason);
	return false;
}

/*
 * ritual_convert_partition_value
 *		Partition 'key' of 'file' as a value of conv's type; a missing key
 *		or a NULL value is NULL, which a domain still checks.  False, with
 *		why in *message, when the value is not valid text or the type
 *		rejects it.
 */
bool
ritual_convert_partition_value(RitualConverter *conv, const RitualFile *file,
							   const char *key, Datum *value, bool *isnull,
							   char **message)
{
	bool		found;

	return convert_partition_text(conv, partition_value(file, key, &found),
								  value, isnull, message);
}

/*
 * ritual_find_partition_columns
 *		Mark the columns that take their value from the files' paths: with
 *		option hive_partitioning 'true', or by default when some file has
 *		key=value directories, a column named like a key.
 */
void
ritual_find_partition_columns(RitualOptions *opts, List *files)
{
	ListCell   *lc;

	if (opts->hive_partitioning == 0)
		return;
	for (int i = 0; i < opts->natts; i++)
	{
		RitualColumn *column = &opts->columns[i];

		column->partition_key = NULL;
		if (column->dropped || column->meta != RITUAL_META_NONE)
			continue;
		foreach(lc, files)
		{
			bool		found;

			(void) partition_value(lfirst(lc), column->header_name, &found);
			if (found)
			{
				column->partition_key = column->header_name;
				break;
			}
		}
	}
}

/*
 * ritual_scan_conditions
 *		The clauses of 'clauses' that can be evaluated once per scan, before
 *		any row is read, for pruning: they read a column, and have no
 *		volatile function, no subplan and no parameter of an initplan or an
 *		outer query (it has no value yet when the scan begins, and changes
 *		on rescans).
 */
List *
ritual_scan_conditions(List *clauses)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, clauses)
	{
		Node	   *clause = lfirst(lc);

		if (contain_var_clause(clause) && !contain_volatile_functions(clause) &&
			!contain_subplans(clause) && !ritual_contains_param(clause, true))
			result = lappend(result, clause);
	}
	return result;
}

/*
 * ritual_partition_conditions
 *		The conditions (of ritual_scan_conditions) that read partition
 *		columns only: they can be evaluated for a file from its path.
 */
List *
ritual_partition_conditions(List *conditions, Index relid,
							const RitualOptions *opts)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, conditions)
	{
		Node	   *clause = lfirst(lc);
		Bitmapset  *attrs = NULL;
		int			member = -1;
		bool		usable = true;

		pull_varattnos(clause, relid, &attrs);
		while ((member = bms_next_member(attrs, member)) >= 0)
		{
			int			attnum = member + FirstLowInvalidHeapAttributeNumber;

			if (attnum <= 0 || attnum > opts->natts ||
				opts->columns[attnum - 1].partition_key == NULL)
				usable = false;
		}
		if (usable)
			result = lappend(result, clause);
	}
	return result;
}

/*
 * What the walk asks before it enters the key=value directories of a
 * directory: whether rows with the partition values of each one's path may
 * satisfy the filter.  Each column named like a key of the path gets the
 * range of that one value (deepest wins, as for a file), and every other
 * column may hold anything.  A directory with a value that does not
 * convert is entered, as a file with one is never pruned: the scan reports
 * it.
 *
 * A directory of thousands of partitions (a lake of years of days) is not
 * tested entry by entry: the values of its entries are sorted once, and
 * halves of the sorted values are tested as ranges, each half that cannot
 * match ruled out whole, so that finding one day of 3,650 takes a few dozen
 * tests.  Sorted values are kept for the directory listings that
 * dir_cache.c keeps, by their generation.
 */
typedef struct DirPruning
{
	const RitualRangeFilter *filter;
	const RitualOptions *opts;
	int			ncolumns;
	int		   *columns;		/* 0-based attributes that may be partition
								 * columns */
	RitualConverter *converters;	/* one per entry of 'columns' */
	RitualColumnRange *ranges;	/* one per attribute */
	Bitmapset  *key_columns;	/* of 'columns', those a directory's key
								 * named */
	MemoryContext work;			/* reset for each directory */
} DirPruning;

/* fewer entries than this are tested one by one */
#define BISECT_MIN_ENTRIES	64
/* sorted values kept, for as many directory listings */
#define KEPT_SORTS			16

/* The non-NULL values of a directory's entries of one key, sorted. */
typedef struct SortedValues
{
	uint64		listing;		/* the listing's generation; 0: unused */
	Oid			typid;			/* the column's type, typmod and key */
	int32		typmod;
	char	   *key;
	char	   *settings;		/* of the input functions, when kept */
	int16		typlen;			/* of the type's base type */
	bool		typbyval;
	int			n;
	Datum	   *values;
	int		   *entries;		/* each value's entry */
	bool	   *unconverted;	/* by entry: a value that did not convert */
	int			nentries;
} SortedValues;

static MemoryContext sorts_context = NULL;
static SortedValues kept_sorts[KEPT_SORTS];
static int	next_sort = 0;

/* How a column's values are ordered for the range filter (see ranges.c). */
typedef struct ValueOrder
{
	FmgrInfo   *cmp;			/* the type's btree comparison, or NULL */
	bool		bytes;			/* text and its kin: byte order */
} ValueOrder;

static int
compare_values(const void *a, const void *b, void *arg)
{
	const ValueOrder *order = arg;
	Datum		x = *(const Datum *) a;
	Datum		y = *(const Datum *) b;

	if (order->bytes)
	{
		struct varlena *vx = (struct varlena *) DatumGetPointer(x);
		struct varlena *vy = (struct varlena *) DatumGetPointer(y);
		int			lx = VARSIZE_ANY_EXHDR(vx);
		int			ly = VARSIZE_ANY_EXHDR(vy);
		int			c = memcmp(VARDATA_ANY(vx), VARDATA_ANY(vy), Min(lx, ly));

		return c != 0 ? c : (lx > ly) - (lx < ly);
	}
	return DatumGetInt32(FunctionCall2Coll(order->cmp, InvalidOid, x, y));
}

/* Sort 'values' with their entries (indexes into a parallel array). */
typedef struct ValueAndEntry
{
	Datum		value;
	int			entry;
} ValueAndEntry;

static int
compare_value_entries(const void *a, const void *b, void *arg)
{
	return compare_values(&((const ValueAndEntry *) a)->value,
						  &((const ValueAndEntry *) b)->value, arg);
}

/*
 * The order ranges.c expects of a column type's bounds: bytes for a
 * collatable type, else the type's btree order; false when there is none.
 */
static bool
value_order(Oid typid, ValueOrder *order)
{
	Oid			base = getBaseType(typid);
	TypeCacheEntry *tc;

	order->cmp = NULL;
	order->bytes = type_is_collatable(base);
	if (order->bytes)
		return get_typlen(base) == -1;
	tc = lookup_type_cache(base, TYPECACHE_CMP_PROC_FINFO);
	if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
		return false;
	order->cmp = &tc->cmp_proc_finfo;
	return true;
}

/*
 * Whether sorted values of type 'typid' may be kept for later statements:
 * built-in types whose input reads no catalog, only the settings of
 * input_settings.
 */
static bool
keepable_type(Oid typid)
{
	switch (typid)
	{
		case BOOLOID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
		case DATEOID:
		case TIMEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case UUIDOID:
			return true;
		default:
			return false;
	}
}

/* The settings those types' input reads, as one string. */
static char *
input_settings(void)
{
	return psprintf("%s|%s|%s",
					GetConfigOption("DateStyle", false, false),
					GetConfigOption("TimeZone", false, false),
					GetConfigOption("timezone_abbreviations", false, false));
}

/*
 * The sorted values of the n entries of key 'key' (entry k at keys index
 * which[k]) for column 'i' of p: kept ones for the same listing, else
 * made now (and kept, for a kept listing).  NULL when the type has no order.
 */
static SortedValues *
sorted_values(DirPruning *p, int i, const char *key, char *const *values,
			  const int *which, int n, uint64 listing)
{
	RitualConverter *conv = &p->converters[i];
	SortedValues *sv = NULL;
	ValueOrder	order;
	ValueAndEntry *pairs;
	MemoryContext oldcontext;
	int16		typlen;
	bool		typbyval;
	char	   *settings = NULL;

	if (!value_order(conv->typid, &order))
		return NULL;
	if (!keepable_type(conv->typid))
		listing = 0;
	if (listing != 0)
		settings = input_settings();
	for (int k = 0; k < KEPT_SORTS && listing != 0; k++)
	{
		SortedValues *kept = &kept_sorts[k];

		if (kept->listing == listing && kept->typid == conv->typid &&
			kept->typmod == conv->typmod && strcmp(kept->key, key) == 0 &&
			strcmp(kept->settings, settings) == 0)
			return kept;
	}
	if (listing != 0)
	{
		if (sorts_context == NULL)
			sorts_context = AllocSetContextCreate(TopMemoryContext,
												  "ritual_fdw sorted partition values",
												  ALLOCSET_DEFAULT_SIZES);
		sv = &kept_sorts[next_sort];
		next_sort = (next_sort + 1) % KEPT_SORTS;
		if (sv->key != NULL)
		{
			pfree(sv->key);
			pfree(sv->settings);
			pfree(sv->values);
			pfree(sv->entries);
			pfree(sv->unconverted);
		}
		memset(sv, 0, sizeof(SortedValues));
		oldcontext = MemoryContextSwitchTo(sorts_context);
	}
	else
	{
		sv = palloc0(sizeof(SortedValues));
		oldcontext = MemoryContextSwitchTo(p->work);
	}
	get_typlenbyval(getBaseType(conv->typid), &typlen, &typbyval);
	sv->values = palloc(sizeof(Datum) * Max(n, 1));
	sv->entries = palloc(sizeof(int) * Max(n, 1));
	sv->unconverted = palloc0(sizeof(bool) * Max(n, 1));
	sv->key = pstrdup(key);
	sv->settings = pstrdup(settings ? settings : "");
	sv->nentries = n;
	sv->typlen = typlen;
	sv->typbyval = typbyval;
	MemoryContextSwitchTo(p->work);
	pairs = palloc(sizeof(ValueAndEntry) * Max(n, 1));
	sv->n = 0;
	for (int k = 0; k < n; k++)
	{
		const char *text = values[which[k]];
		Datum		value;
		bool		isnull;
		char	   *message;

		if (text == NULL)
			continue;			/* tested alone */
		if (!convert_partition_text(conv, text, &value, &isnull, &message) ||
			isnull)
		{
			sv->unconverted[k] = true;
			continue;
		}
		pairs[sv->n].value = value;
		pairs[sv->n++].entry = k;
	}
	qsort_arg(pairs, sv->n, sizeof(ValueAndEntry), compare_value_entries,
			  &order);
	MemoryContextSwitchTo(listing != 0 ? sorts_context : p->work);
	for (int k = 0; k < sv->n; k++)
	{
		sv->values[k] = datumCopy(pairs[k].value, typbyval, typlen);
		sv->entries[k] = pairs[k].entry;
	}
	MemoryContextSwitchTo(oldcontext);
	sv->typid = conv->typid;
	sv->typmod = conv->typmod;
	sv->listing = listing;
	return sv;
}

/* Whether rows whose column 'attr' is in sv's values lo..hi may match. */
static void
bisect(DirPruning *p, int attr, const SortedValues *sv, int lo, int hi,
	   const int *which, bool *may)
{
	RitualColumnRange *r = &p->ranges[attr];
	int			mid;

	CHECK_FOR_INTERRUPTS();
	r->known = true;
	r->has_bounds = true;
	r->min = sv->values[lo];
	r->max = sv->values[hi];
	r->null_count = 0;
	r->row_count = hi - lo + 1;
	if (!ritual_range_may_match(p->filter, p->ranges))
		return;
	if (lo == hi || datumIsEqual(r->min, r->max, sv->typbyval, sv->typlen))
	{
		for (int k = lo; k <= hi; k++)
			may[which[sv->entries[k]]] = true;
		return;
	}
	mid = lo + (hi - lo) / 2;
	bisect(p, attr, sv, lo, mid, which, may);
	bisect(p, attr, sv, mid + 1, hi, which, may);
}

/*
 * Make the range of column i of p the one value 'text' (NULL for NULL), as
 * every row below a directory has; false when it does not convert.
 */
static bool
set_one_value(DirPruning *p, int i, const char *text)
{
	RitualColumnRange *r = &p->ranges[p->columns[i]];
	bool		isnull;
	char	   *message;

	if (!convert_partition_text(&p->converters[i], text, &r->min, &isnull,
								&message))
		return false;
	r->known = true;
	r->has_bounds = !isnull;
	r->max = r->min;
	r->null_count = isnull ? 1 : 0;
	r->row_count = 1;
	return true;
}

/*
 * Set the ranges of the columns that the directory's own path names;
 * false when a value does not convert (everything below is entered).
 */
static bool
path_ranges(DirPruning *p, List *keys, List *values)
{
	for (int i = 0; i < p->ncolumns; i++)
	{
		int			attr = p->columns[i];
		RitualColumnRange *r = &p->ranges[attr];
		bool		found;
		const char *text = lookup_partition(keys, values,
											p->opts->columns[attr].header_name,
											&found);

		r->known = false;
		if (found && !set_one_value(p, i, text))
			return false;
	}
	return true;
}

/*
 * Whether rows whose column i of p has the value 'text' (NULL for NULL)
 * may match, the other columns in their ranges; a value that does not
 * convert may (the scan reports it).  Leaves the column's range set.
 */
static bool
entry_may_match(DirPruning *p, int i, const char *text)
{
	if (!set_one_value(p, i, text))
		return true;
	return ritual_range_may_match(p->filter, p->ranges);
}

/* The column of p that partition key 'key' names, as an index of columns. */
static int
key_column(DirPruning *p, const char *key)
{
	for (int i = p->ncolumns - 1; i >= 0; i--)
	{
		if (pg_strcasecmp(p->opts->columns[p->columns[i]].header_name, key) == 0)
			return i;
	}
	return -1;
}

static void
dir_choose(List *dir_keys, List *dir_values, int n, char *const *keys,
		   char *const *values, uint64 listing, bool *may, void *arg)
{
	DirPruning *p = arg;
	MemoryContext oldcontext = MemoryContextSwitchTo(p->work);
	bool	   *done = palloc0(sizeof(bool) * n);
	int		   *which = palloc(sizeof(int) * n);

	if (!path_ranges(p, dir_keys, dir_values))
	{
		for (int k = 0; k < n; k++)
			may[k] = true;
		n = 0;
	}

	/* the entries of each key together (a directory has one, as a rule) */
	for (int first = 0; first < n; first++)
	{
		const char *key = keys[first];
		int			i = key_column(p, key);
		int			attr = i >= 0 ? p->columns[i] : -1;
		RitualColumnRange saved;
		int			count = 0;

		if (done[first])
			continue;
		for (int k = first; k < n; k++)
		{
			if (!done[k] && strcmp(keys[k], key) == 0)
			{
				done[k] = true;
				which[count++] = k;
			}
		}
		if (attr >= 0)
		{
			MemoryContextSwitchTo(oldcontext);
			p->key_columns = bms_add_member(p->key_columns, attr);
			MemoryContextSwitchTo(p->work);
		}
		if (attr < 0 || !bms_is_member(attr, ritual_range_filter_columns(p->filter)))
		{
			/*
			 * the entries' values do not matter: one test for all, but that
			 * a value that does not convert is entered, for the scan to
			 * report
			 */
			bool		may_match = ritual_range_may_match(p->filter, p->ranges);

			for (int k = 0; k < count; k++)
			{
				Datum		value;
				bool		isnull;
				char	   *message;

				may[which[k]] = may_match ||
					(attr >= 0 &&
					 !convert_partition_text(&p->converters[i], values[which[k]],
											 &value, &isnull, &message));
			}
			continue;
		}
		saved = p->ranges[attr];
		if (count >= BISECT_MIN_ENTRIES)
		{
			SortedValues *sv = sorted_values(p, i, key, values, which, count,
											 listing);

			if (sv != NULL)
			{
				if (sv->n > 0)
					bisect(p, attr, sv, 0, sv->n - 1, which, may);
				/* NULLs, and values that do not convert, one by one */
				for (int k = 0; k < count; k++)
				{
					if (sv->unconverted[k] || values[which[k]] == NULL)
						may[which[k]] = entry_may_match(p, i, values[which[k]]);
				}
				p->ranges[attr] = saved;
				continue;
			}
		}
		for (int k = 0; k < count; k++)
			may[which[k]] = entry_may_match(p, i, values[which[k]]);
		p->ranges[attr] = saved;
	}
	MemoryContextSwitchTo(oldcontext);
	MemoryContextReset(p->work);
}

/*
 * ritual_list_files
 *		The files of the table 'relid' whose options are 'opts', as
 *		ritual_discover_files finds them, but for the key=value directories
 *		whose values cannot satisfy 'filter' (if not NULL): those are not
 *		read at all.  With 'pass_unreadable', for an estimate, a directory
 *		that cannot be read is passed over (the listing is not complete).
 */
RitualListing *
ritual_list_files(const RitualOptions *opts, Oid relid,
				  const RitualRangeFilter *filter, bool pass_unreadable)
{
	RitualListing *listing = palloc0(sizeof(RitualListing));
	DirPruning	p = {.filter = filter,.opts = opts};
	RitualDirFilter dir_filter = {NULL, &p, pass_unreadable, 0, 0};
	bool		prunes = false;

	if (filter != NULL && opts->hive_partitioning != 0)
	{
		p.columns = palloc(sizeof(int) * Max(opts->natts, 1));
		p.converters = palloc0(sizeof(RitualConverter) * Max(opts->natts, 1));
		p.ranges = palloc0(sizeof(RitualColumnRange) * Max(opts->natts, 1));
		for (int i = 0; i < opts->natts; i++)
		{
			const RitualColumn *column = &opts->columns[i];
			Oid			typid;
			int32		typmod;
			Oid			collid;

			if (column->dropped || column->meta != RITUAL_META_NONE)
				continue;
			get_atttypetypmodcoll(relid, i + 1, &typid, &typmod, &collid);
			ritual_converter_init(&p.converters[p.ncolumns], typid, typmod);
			p.columns[p.ncolumns++] = i;
			prunes |= bms_is_member(i, ritual_range_filter_columns(filter));
		}
	}
	if (prunes)
	{
		dir_filter.choose = dir_choose;
		p.work = AllocSetContextCreate(CurrentMemoryContext,
									   "ritual_fdw directory pruning",
									   ALLOCSET_SMALL_SIZES);
	}
	listing->files = ritual_discover_files_filtered(opts->paths,
													opts->missing_ok,
													&dir_filter);
	if (prunes)
		MemoryContextDelete(p.work);
	listing->dirs_skipped = dir_filter.skipped;
	listing->complete = (dir_filter.unreadable == 0);
	listing->key_columns = p.key_columns;
	return listing;
}

/* Replace the partition columns' Vars with the file's values as Consts. */
typedef struct FoldContext
{
	Index		relid;
	const RitualOptions *opts;
	const RitualFile *file;
	bool		failed;			/* a value did not convert */
} FoldContext;

static Node *
fold_partition_values(Node *node, FoldContext *context)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var) && (Index) ((Var *) node)->varno == context->relid &&
		((Var *) node)->varlevelsup == 0)
	{
		Var		   *var = (Var *) node;
		const RitualColumn *column = &context->opts->columns[var->varattno - 1];
		RitualConverter conv;
		Datum		datum;
		bool		isnull;
		char	   *message;
		int16		typlen;
		bool		typbyval;

		/* a file without the key has the column in its fields */
		if (!ritual_file_has_partition(context->file, column->partition_key))
		{
			context->failed = true;
			return node;
		}
		ritual_converter_init(&conv, var->vartype, var->vartypmod);
		if (!ritual_convert_partition_value(&conv, context->file,
											column->partition_key,
											&datum, &isnull, &message))
		{
			context->failed = true;
			return node;
		}
		get_typlenbyval(var->vartype, &typlen, &typbyval);
		return (Node *) makeConst(var->vartype, var->vartypmod, var->varcollid,
								  typlen, datum, isnull, typbyval);
	}
	return expression_tree_mutator(node, fold_partition_values, context);
}

/*
 * ritual_plan_files
 *		For the planner's estimates: the files whose partition values may
 *		satisfy 'clauses', judged with what can be folded at plan time
 *		(constants, stable functions, the values of a custom plan's
 *		parameters).  The executor prunes again, exactly.
 */
List *
ritual_plan_files(PlannerInfo *root, List *clauses, Index relid,
				  const RitualOptions *opts, List *files)
{
	List	   *kept = NIL;
	ListCell   *lc;

	if (clauses == NIL)
		return files;
	foreach(lc, files)
	{
		FoldContext context = {relid, opts, lfirst(lc), false};
		bool		keep = true;
		ListCell   *c;

		foreach(c, clauses)
		{
			Node	   *folded = fold_partition_values(copyObject(lfirst(c)), &context);

			if (context.failed)
				break;
			folded = estimate_expression_value(root, folded);
			if (IsA(folded, Const) &&
				(((Const *) folded)->constisnull ||
				 !DatumGetBool(((Const *) folded)->constvalue)))
			{
				keep = false;
				break;
			}
		}
		if (keep)
			kept = lappend(kept, lfirst(lc));
	}
	return kept;
}

/*
 * ritual_prune_files
 *		The files whose partition values may satisfy every clause of
 *		'clauses' (ExprStates of ritual_partition_conditions, initialised for
 *		'node').  A file whose partition value does not convert is kept: the
 *		scan reports it; so is a file whose path lacks a key, as its fields
 *		may hold the column.  With 'explain_only', clauses with parameters
 *		are not evaluated.
 */
List *
ritual_prune_files(ForeignScanState *node, List *clauses,
				   const RitualOptions *opts, List *files, bool explain_only)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	TupleDesc	tupdesc = slot->tts_tupleDescriptor;
	RitualConverter *converters = palloc0(sizeof(RitualConverter) * Max(opts->natts, 1));
	List	   *kept = NIL;
	ListCell   *lc;

	if (clauses == NIL)
		return files;
	foreach(lc, clauses)
	{
		/* EXPLAIN may not know a parameter's value */
		if (explain_only &&
			ritual_contains_param((Node *) ((ExprState *) lfirst(lc))->expr, false))
			return files;
	}
	for (int i = 0; i < opts->natts; i++)
	{
		if (opts->columns[i].partition_key != NULL)
			ritual_converter_init(&converters[i], TupleDescAttr(tupdesc, i)->atttypid,
								  TupleDescAttr(tupdesc, i)->atttypmod);
	}

	foreach(lc, files)
	{
		RitualFile *file = lfirst(lc);
		bool		keep = true;
		MemoryContext oldcontext;
		ListCell   *c;

		ResetExprContext(econtext);
		oldcontext = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		ExecClearTuple(slot);
		for (int i = 0; i < opts->natts; i++)
		{
			char	   *message;

			slot->tts_values[i] = (Datum) 0;
			slot->tts_isnull[i] = true;
			if (opts->columns[i].partition_key == NULL)
				continue;
			if (!ritual_file_has_partition(file, opts->columns[i].partition_key) ||
				!ritual_convert_partition_value(&converters[i], file,
												opts->columns[i].partition_key,
												&slot->tts_values[i],
												&slot->tts_isnull[i],
												&message))
			{
				keep = true;	/* the scan reads or reports it */
				goto decided;
			}
		}
		ExecStoreVirtualTuple(slot);
		econtext->ecxt_scantuple = slot;
		foreach(c, clauses)
		{
			bool		isnull;
			Datum		result = ExecEvalExpr(lfirst(c), econtext, &isnull);

			if (isnull || !DatumGetBool(result))
			{
				keep = false;
				break;
			}
		}
decided:
		MemoryContextSwitchTo(oldcontext);
		if (keep)
			kept = lappend(kept, file);
	}
	ExecClearTuple(slot);
	ResetExprContext(econtext);
	return kept;
}

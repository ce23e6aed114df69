/*-------------------------------------------------------------------------
 *
 * options.c
 *		  The options of ritual_fdw: which exist where, how they are
 *		  validated, and how a foreign table's options are gathered.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/varlena.h"

#include "ritual.h"

/*
 * Where each option may be given.  Format options may sit on the server, to
 * be shared by its tables, or on a table, which overrides its server.
 */
typedef struct RitualOptionDef
{
	const char *name;
	Oid			context;		/* catalog in which the option may appear */
} RitualOptionDef;

static const RitualOptionDef valid_options[] = {
	{"path", ForeignTableRelationId},
	{"missing_ok", ForeignTableRelationId},
	{"format", ForeignTableRelationId},
	{"format", ForeignServerRelationId},
	{"header", ForeignTableRelationId},
	{"header", ForeignServerRelationId},
	{"match_by", ForeignTableRelationId},
	{"match_by", ForeignServerRelationId},
	{"delimiter", ForeignTableRelationId},
	{"delimiter", ForeignServerRelationId},
	{"quote", ForeignTableRelationId},
	{"quote", ForeignServerRelationId},
	{"escape", ForeignTableRelationId},
	{"escape", ForeignServerRelationId},
	{"null", ForeignTableRelationId},
	{"null", ForeignServerRelationId},
	{"on_error", ForeignTableRelationId},
	{"on_error", ForeignServerRelationId},
	{"reject_limit", ForeignTableRelationId},
	{"reject_limit", ForeignServerRelationId},
	{"hive_partitioning", ForeignTableRelationId},
	{"partition_by", ForeignTableRelationId},
	{"max_file_size", ForeignTableRelationId},
	{"row_group_size", ForeignTableRelationId},
	{"max_record_size", ForeignTableRelationId},
	{"max_record_size", ForeignServerRelationId},
	{"compression", ForeignTableRelationId},
	{"compression", ForeignServerRelationId},
	{"column_name", AttributeRelationId},
	{"meta", AttributeRelationId},
	{NULL, InvalidOid}
};

static const char *const meta_names[] = {
	[RITUAL_META_NONE] = "",
	[RITUAL_META_FILENAME] = "filename",
	[RITUAL_META_LINE] = "line",
	[RITUAL_META_ERRORS] = "errors",
};

static const char *const on_error_names[] = {
	[RITUAL_ON_ERROR_STOP] = "stop",
	[RITUAL_ON_ERROR_NULL] = "null",
	[RITUAL_ON_ERROR_SKIP] = "skip",
};

/*
 * ritual_format_of
 *		How a file is read: as option format says, else Parquet when its
 *		name ends in ".parquet", else CSV.
 */
RitualFormat
ritual_format_of(const RitualOptions *opts, const char *path)
{
	size_t		len = strlen(path);

	if (opts->format != RITUAL_FORMAT_AUTO)
		return opts->format;
	if (len >= 8 && pg_strcasecmp(path + len - 8, ".parquet") == 0)
		return RITUAL_FORMAT_PARQUET;
	return RITUAL_FORMAT_CSV;
}

/*
 * Pick the word of 'words' (NULL-terminated) that 'value' most likely
 * misspells, or NULL when none is close enough to suggest.
 */
const char *
ritual_closest_word(const char *value, const char *const *words)
{
	const char *best = NULL;
	int			value_len = strlen(value);
	int			best_distance;

	best_distance = INT_MAX;
	for (; *words != NULL; words++)
	{
		int			word_len = strlen(*words);
		int			max_distance = Max(value_len, word_len) / 2;
		int			distance;

		/* a suggestion must share at least half of the longer word */
		distance = varstr_levenshtein_less_equal(value, value_len,
												 *words, word_len,
												 1, 1, 1,
												 max_distance, true);
		if (distance <= max_distance && distance < best_distance)
		{
			best_distance = distance;
			best = *words;
		}
	}
	return best;
}

/* Report an option value that is not one of 'choices'. */
static void
reject_choice(const char *option, const char *value,
			  const char *const *choices)
{
	StringInfoData list;
	const char *suggestion = ritual_closest_word(value, choices);

	initStringInfo(&list);
	for (const char *const *c = choices; *c != NULL; c++)
	{
		if (**c == '\0')
			continue;
		appendStringInfo(&list, "%s'%s'", list.len > 0 ? ", " : "", *c);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"%s\": \"%s\"", option, value),
			 suggestion && *suggestion ?
			 errhint("Perhaps you meant '%s'. Valid values are %s.",
					 suggestion, list.data) :
			 errhint("Valid values are %s.", list.data)));
}

/* Return the index of 'value' in the NULL-terminated 'choices'. */
static int
parse_choice(const char *option, const char *value,
			 const char *const *choices, int nchoices)
{
	const char *terminated[8];

	Assert(nchoices < lengthof(terminated));
	for (int i = 0; i < nchoices; i++)
	{
		if (*choices[i] != '\0' && strcmp(value, choices[i]) == 0)
			return i;
		terminated[i] = choices[i];
	}
	terminated[nchoices] = NULL;
	reject_choice(option, value, terminated);
	return -1;					/* keep compiler quiet */
}

static bool
parse_bool_option(const char *option, const char *value)
{
	bool		result;

	if (!parse_bool(value, &result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" requires a Boolean value, not \"%s\"",
						option, value),
				 errhint("Use 'true' or 'false'.")));
	return result;
}

/* A delimiter, quote or escape: exactly one byte, and not a line break. */
static char
parse_single_byte(const char *option, const char *value)
{
	if (strlen(value) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a single one-byte character, not \"%s\"",
						option, value)));
	if (value[0] == '\n' || value[0] == '\r')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" cannot be a newline or carriage return",
						option)));
	return value[0];
}

static int64
parse_reject_limit(const char *value)
{
	int64		limit;
	char	   *end;

	errno = 0;
	limit = strtoi64(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || limit < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"reject_limit\" must be a non-negative integer, not \"%s\"",
						value)));
	return limit;
}

/* A count of rows, at least 1. */
static int64
parse_row_count(const char *option, const char *value)
{
	int64		rows;
	char	   *end;

	errno = 0;
	rows = strtoi64(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || rows < 1 ||
		rows > RITUAL_MAX_ROW_GROUP_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a number of rows from 1 to %d, not \"%s\"",
						option, RITUAL_MAX_ROW_GROUP_ROWS, value)));
	return rows;
}

/* A comma-separated list of column names. */
static List *
parse_column_list(const char *value)
{
	List	   *names = NIL;
	char	   *copy = pstrdup(value);
	ListCell   *lc;

	if (!SplitIdentifierString(copy, ',', &names) || names == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"partition_by\" must be a comma-separated list of column names, not \"%s\"",
						value)));
	foreach(lc, names)
	{
		ListCell   *later;

		for_each_from(later, names, foreach_current_index(lc) + 1)
		{
			if (strcmp(lfirst(lc), lfirst(later)) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"partition_by\" names column \"%s\" twice",
								(char *) lfirst(lc))));
		}
	}
	return names;
}

/* A size in bytes, with an optional unit: kB, MB or GB. */
static int64
parse_size(const char *option, const char *value)
{
	char	   *end;
	int64		size;
	int64		unit = 1;

	errno = 0;
	size = strtoi64(value, &end, 10);
	while (*end == ' ')
		end++;
	if (pg_strcasecmp(end, "kB") == 0)
		unit = 1024;
	else if (pg_strcasecmp(end, "MB") == 0)
		unit = 1024 * 1024;
	else if (pg_strcasecmp(end, "GB") == 0)
		unit = 1024 * 1024 * 1024;
	else if (*end != '\0')
		size = -1;
	if (errno != 0 || end == value || size < 1 || size > PG_INT64_MAX / unit ||
		size * unit < 1024)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a size of at least 1kB, such as '64MB', not \"%s\"",
						option, value)));
	return size * unit;
}

/*
 * Split the value of option "path" into its comma-separated parts.  Every
 * part must be an absolute path; a path that contains a comma can be matched
 * with the glob '?'.
 */
List *
ritual_split_paths(const char *value)
{
	List	   *paths = NIL;
	const char *p = value;

	for (;;)
	{
		const char *end = strchr(p, ',');
		const char *stop = end ? end : p + strlen(p);
		char	   *path;

		while (p < stop && isspace((unsigned char) *p))
			p++;
		while (stop > p && isspace((unsigned char) stop[-1]))
			stop--;
		path = pnstrdup(p, stop - p);
		if (path[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"path\" contains an empty path"),
					 errhint("Separate several paths with single commas.")));
		if (!is_absolute_path(path))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("path \"%s\" is not absolute", path),
					 errhint("Give the full path from the root directory, for example '/srv/exports/events.csv'.")));
		canonicalize_path(path);
		paths = lappend(paths, path);
		if (end == NULL)
			break;
		p = end + 1;
	}
	return paths;
}

const char *
ritual_meta_name(RitualMeta meta)
{
	return meta_names[meta];
}

static bool
option_is_valid(const char *name, Oid context)
{
	for (const RitualOptionDef *opt = valid_options; opt->name; opt++)
	{
		if (opt->context == context && strcmp(opt->name, name) == 0)
			return true;
	}
	return false;
}

/* Reject an option unknown in 'context', with the closest valid name. */
static void
reject_unknown_option(const char *name, Oid context)
{
	const char *words[lengthof(valid_options)];
	StringInfoData list;
	int			nwords = 0;
	const char *suggestion;

	initStringInfo(&list);
	for (const RitualOptionDef *opt = valid_options; opt->name; opt++)
	{
		if (opt->context != context)
			continue;
		words[nwords++] = opt->name;
		appendStringInfo(&list, "%s%s", list.len > 0 ? ", " : "", opt->name);
	}
	words[nwords] = NULL;

	if (option_is_valid(name, ForeignTableRelationId) ||
		option_is_valid(name, AttributeRelationId))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"%s\" is not allowed here", name),
				 errhint("Option \"%s\" belongs on %s.", name,
						 option_is_valid(name, AttributeRelationId) ? "a column" :
						 option_is_valid(name, ForeignServerRelationId) ?
						 "a server or a foreign table" : "a foreign table")));
	suggestion = ritual_closest_word(name, words);

	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\"", name),
			 suggestion ? errhint("Perhaps you meant the option \"%s\".", suggestion) :
			 nwords > 0 ? errhint("Valid options in this context are: %s.", list.data) :
			 errhint("ritual_fdw takes no options in this context.")));
}

/*
 * Check one option's value; shared by the validator and by
 * ritual_get_options, so that options set before an upgrade are checked too.
 */
static void
apply_option(RitualOptions *opts, DefElem *def)
{
	const char *name = def->defname;
	const char *value = defGetString(def);

	if (strcmp(name, "path") == 0)
		opts->paths = ritual_split_paths(value);
	else if (strcmp(name, "missing_ok") == 0)
		opts->missing_ok = parse_bool_option(name, value);
	else if (strcmp(name, "format") == 0)
	{
		static const char *const formats[] = {"csv", "parquet"};

		opts->format = parse_choice(name, value, formats, 2) == 0 ?
			RITUAL_FORMAT_CSV : RITUAL_FORMAT_PARQUET;
	}
	else if (strcmp(name, "header") == 0)
		opts->header = parse_bool_option(name, value);
	else if (strcmp(name, "match_by") == 0)
	{
		static const char *const match_by[] = {"name", "position"};

		opts->match_by_name = parse_choice(name, value, match_by, 2) == 0;
	}
	else if (strcmp(name, "delimiter") == 0)
		opts->delimiter = parse_single_byte(name, value);
	else if (strcmp(name, "quote") == 0)
		opts->quote = parse_single_byte(name, value);
	else if (strcmp(name, "escape") == 0)
		opts->escape = parse_single_byte(name, value);
	else if (strcmp(name, "null") == 0)
	{
		if (strchr(value, '\n') || strchr(value, '\r'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"null\" cannot contain a newline or carriage return")));
		opts->null_string = pstrdup(value);
	}
	else if (strcmp(name, "on_error") == 0)
		opts->on_error = parse_choice(name, value, on_error_names,
									  lengthof(on_error_names));
	else if (strcmp(name, "reject_limit") == 0)
		opts->reject_limit = parse_reject_limit(value);
	else if (strcmp(name, "partition_by") == 0)
		opts->partition_by = parse_column_list(value);
	else if (strcmp(name, "max_file_size") == 0)
		opts->max_file_size = parse_size(name, value);
	else if (strcmp(name, "row_group_size") == 0)
		opts->row_group_size = parse_row_count(name, value);
	else if (strcmp(name, "max_record_size") == 0)
	{
		opts->max_record_size = parse_size(name, value);
		if (opts->max_record_size > RITUAL_MAX_RECORD_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"max_record_size\" must be at most 1GB, not \"%s\"",
							value)));
	}
	else if (strcmp(name, "hive_partitioning") == 0)
		opts->hive_partitioning = parse_bool_option(name, value) ? 1 : 0;
	else if (strcmp(name, "compression") == 0)
	{
		static const char *const compressions[] = {"auto", "none", "gzip", "zstd", "snappy"};

		opts->compression = parse_choice(name, value, compressions, 5);
	}
}

/*
 * Checks that involve several options.  The validator sees one catalog's
 * list, and a table may take the rest from its server, so it passes
 * complete = false and a check runs only when every option it involves is
 * in the list; at scan time the merged list is complete.
 */
static void
check_option_combination(RitualOptions *opts, List *options, bool complete)
{
#define GIVEN(name) (complete || ritual_has_option(options, (name)))
	if (!ritual_has_option(options, "escape"))
		opts->escape = opts->quote;
	if (!ritual_has_option(options, "match_by"))
		opts->match_by_name = opts->header;
	if (opts->match_by_name && !opts->header &&
		ritual_has_option(options, "match_by") && GIVEN("header"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option match_by 'name' requires header 'true'"),
				 errhint("Without a header, columns are matched by position.")));
	if (opts->delimiter == opts->quote && GIVEN("delimiter") && GIVEN("quote"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"delimiter\" and \"quote\" must differ")));
	if (opts->delimiter == opts->escape && GIVEN("delimiter") && GIVEN("escape"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"delimiter\" and \"escape\" must differ")));
	if (opts->null_string && strchr(opts->null_string, opts->delimiter) &&
		GIVEN("delimiter"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"null\" cannot contain the delimiter")));
	if (opts->on_error == RITUAL_ON_ERROR_STOP &&
		ritual_has_option(options, "reject_limit") && GIVEN("on_error"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"reject_limit\" requires on_error 'null' or 'skip'"),
				 errhint("With on_error 'stop' the first bad row is already an error.")));
	if (opts->compression == RITUAL_COMPRESSION_SNAPPY &&
		opts->format != RITUAL_FORMAT_PARQUET && GIVEN("format"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option compression 'snappy' requires format 'parquet'"),
				 errdetail("Snappy compresses the pages of Parquet files; CSV files are compressed with gzip or zstd."),
				 errhint("Set format 'parquet', or compression 'gzip' or 'zstd'.")));
#undef GIVEN
}

static void
init_options(RitualOptions *opts)
{
	memset(opts, 0, sizeof(RitualOptions));
	opts->delimiter = ',';
	opts->quote = '"';
	opts->on_error = RITUAL_ON_ERROR_STOP;
	opts->reject_limit = -1;
	opts->compression = RITUAL_COMPRESSION_AUTO;
	opts->hive_partitioning = -1;
	opts->max_file_size = INT64CONST(128) * 1024 * 1024;
	opts->row_group_size = RITUAL_DEFAULT_ROW_GROUP_ROWS;
	opts->max_record_size = RITUAL_DEFAULT_RECORD_BYTES;
}

/* Parse the options of one column into 'column'. */
static void
apply_column_options(RitualColumn *column, List *options)
{
	bool		has_column_name = false;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "column_name") == 0)
		{
			column->header_name = defGetString(def);
			has_column_name = true;
		}
		else if (strcmp(def->defname, "meta") == 0)
		{
			static const char *const metas[] = {"filename", "line", "errors"};

			column->meta = parse_choice("meta", defGetString(def), metas, 3) + 1;
		}
	}
	if (has_column_name && column->meta != RITUAL_META_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a column cannot have both option \"meta\" and option \"column_name\""),
				 errhint("A meta column is filled by the reader, not from the file.")));
}

PG_FUNCTION_INFO_V1(ritual_fdw_validator);

/*
 * ritual_fdw_validator
 *		Check the options of CREATE/ALTER on the wrapper, a server, a user
 *		mapping, a foreign table or a column.
 */
Datum
ritual_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	RitualOptions opts;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (!option_is_valid(def->defname, catalog))
			reject_unknown_option(def->defname, catalog);
	}

	/*
	 * The security rule lives here because this is the one place every
	 * CREATE and ALTER of a table's options passes: pointing a table at a
	 * server file lets everyone with SELECT read that file, so only roles
	 * that may read server files anyway may do it.  ALTER hands us the whole
	 * resulting list, so an owner without the privilege cannot change any
	 * option of a table that reads files.
	 */
	if (catalog == ForeignTableRelationId && ritual_has_option(options, "path") &&
		!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to set option \"path\" of a ritual_fdw foreign table"),
				 errdetail("Only superusers and members of pg_read_server_files may point a table at server files.")));

	if (catalog == ForeignTableRelationId && !ritual_has_option(options, "path"))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_DYNAMIC_PARAMETER_VALUE_NEEDED),
				 errmsg("a ritual_fdw foreign table needs option \"path\""),
				 errhint("Give an absolute file, directory or glob, e.g. OPTIONS (path '/srv/exports/*.csv').")));

	if (catalog == AttributeRelationId)
	{
		RitualColumn column = {0};

		apply_column_options(&column, options);
		PG_RETURN_VOID();
	}

	init_options(&opts);
	foreach(lc, options)
		apply_option(&opts, lfirst_node(DefElem, lc));

	check_option_combination(&opts, options, false);

	PG_RETURN_VOID();
}

/*
 * The options IMPORT FOREIGN SCHEMA reads files with and gives every table
 * it makes: the server's, then those of the statement, which must be
 * options of a table (path aside: the tables get theirs from the import).
 */
RitualOptions *
ritual_import_options(Oid serverid, List *import_options)
{
	RitualOptions *opts = palloc(sizeof(RitualOptions));
	ForeignServer *server = GetForeignServer(serverid);
	ListCell   *lc;

	foreach(lc, import_options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "path") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("IMPORT FOREIGN SCHEMA takes no option \"path\""),
					 errhint("Name the directory or file as the remote schema: IMPORT FOREIGN SCHEMA \"/srv/exports\" FROM SERVER ...")));
		if (!option_is_valid(def->defname, ForeignTableRelationId))
			reject_unknown_option(def->defname, ForeignTableRelationId);
	}
	init_options(opts);
	foreach(lc, server->options)
		apply_option(opts, lfirst_node(DefElem, lc));
	foreach(lc, import_options)
		apply_option(opts, lfirst_node(DefElem, lc));
	check_option_combination(opts, list_concat_copy(server->options,
													import_options), true);
	return opts;
}

/*
 * Gather the options of a foreign table: its server's, then its own, then
 * those of each column.
 */
RitualOptions *
ritual_get_options(Oid foreigntableid)
{
	RitualOptions *opts = palloc(sizeof(RitualOptions));
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	List	   *options = list_concat_copy(server->options, table->options);
	Relation	rel;
	TupleDesc	tupdesc;
	ListCell   *lc;

	init_options(opts);
	foreach(lc, options)
		apply_option(opts, lfirst_node(DefElem, lc));
	check_option_combination(opts, options, true);

	rel = table_open(foreigntableid, AccessShareLock);
	tupdesc = RelationGetDescr(rel);
	opts->natts = tupdesc->natts;
	opts->columns = palloc0(sizeof(RitualColumn) * Max(opts->natts, 1));
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		RitualColumn *column = &opts->columns[i];

		column->dropped = attr->attisdropped;
		if (column->dropped)
			continue;
		column->header_name = pstrdup(NameStr(attr->attname));
		apply_column_options(column,
							 GetForeignColumnOptions(foreigntableid, i + 1));
	}
	table_close(rel, AccessShareLock);

	return opts;
}

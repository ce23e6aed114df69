/*-------------------------------------------------------------------------
 *
 * import.c
 *		  IMPORT FOREIGN SCHEMA: the files and lakes of a directory as
 *		  foreign tables, with the columns and types the files themselves
 *		  tell (a Parquet schema) or suggest (a CSV header and first rows).
 *
 * The remote schema is a path.  A file becomes one table; a directory whose
 * entries include key=value directories is a lake, and one table; any
 * other directory gives a table for each data file (.csv, .tsv, .txt or
 * .parquet, compressed or not) and each directory in it.  A table over a
 * directory is described by its first file in path order that tells its
 * columns, and gets a column for each partition key found under it, typed
 * by its values.  The
 * statement's options are the tables' options, used to read the files too
 * (an option given there is never guessed).  What the tables are named and
 * how a wrong guess is fixed: README, IMPORT FOREIGN SCHEMA.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "catalog/pg_authid.h"
#include "commands/defrem.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "readers/source.h"
#include "ritual.h"
#include "values/type_guess.h"

/* A table to make: its name, and the path its option gets. */
typedef struct ImportTable
{
	char	   *name;
	char	   *path;
	bool		directory;
} ImportTable;

static const char *const data_suffixes[] = {".csv", ".tsv", ".txt", ".parquet"};
static const char *const compression_suffixes[] = {".gz", ".zst"};

/* 'name' without 'suffix' when it ends so: its length, else -1. */
static int
without_suffix(const char *name, int len, const char *suffix)
{
	int			suffix_len = strlen(suffix);

	if (len > suffix_len &&
		pg_strncasecmp(name + len - suffix_len, suffix, suffix_len) == 0)
		return len - suffix_len;
	return -1;
}

/* A data file's table name (its name without suffixes), or NULL. */
static char *
file_table_name(const char *name)
{
	int			len = strlen(name);

	for (size_t c = 0; c < lengthof(compression_suffixes); c++)
	{
		int			stripped = without_suffix(name, len, compression_suffixes[c]);

		if (stripped > 0)
			len = stripped;
	}
	for (size_t d = 0; d < lengthof(data_suffixes); d++)
	{
		int			stripped = without_suffix(name, len, data_suffixes[d]);

		if (stripped > 0)
			return pnstrdup(name, stripped);
	}
	return NULL;
}

static char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return pstrdup(slash ? slash + 1 : path);
}

static int
compare_names(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* The entries of a directory but hidden ones (. and _), sorted. */
static List *
directory_entries(const char *path)
{
	DIR		   *dir = AllocateDir(path);
	struct dirent *de;
	List	   *names = NIL;

	while ((de = ReadDir(dir, path)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		if (de->d_name[0] == '.' || de->d_name[0] == '_')
			continue;
		names = lappend(names, pstrdup(de->d_name));
	}
	FreeDir(dir);
	list_sort(names, compare_names);
	return names;
}

/* The tables a path makes, in name order. */
static List *
tables_of(const char *path)
{
	struct stat st;
	List	   *entries;
	List	   *tables = NIL;
	ListCell   *lc;

	if (stat(path, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat \"%s\" to import it: %m", path)));
	if (!S_ISDIR(st.st_mode))
	{
		ImportTable *t = palloc(sizeof(ImportTable));
		char	   *name = base_name(path);

		t->name = file_table_name(name);
		if (t->name == NULL)
			t->name = name;
		t->path = pstrdup(path);
		t->directory = false;
		return list_make1(t);
	}

	entries = directory_entries(path);
	foreach(lc, entries)
	{
		char	   *entry = lfirst(lc);
		char	   *key;
		char	   *value;
		char	   *entry_path = psprintf("%s/%s", path, entry);
		bool		is_dir = stat(entry_path, &st) == 0 && S_ISDIR(st.st_mode);

		if (is_dir && ritual_parse_partition_name(entry, strlen(entry), &key, &value))
		{
			/* a lake: the directory is one table */
			ImportTable *t = palloc(sizeof(ImportTable));

			t->name = base_name(path);
			t->path = pstrdup(path);
			t->directory = true;
			return list_make1(t);
		}
	}
	foreach(lc, entries)
	{
		char	   *entry = lfirst(lc);
		char	   *entry_path = psprintf("%s/%s", path, entry);
		ImportTable *t;
		char	   *name;

		if (stat(entry_path, &st) != 0)
			continue;
		name = S_ISDIR(st.st_mode) ? pstrdup(entry) :
			S_ISREG(st.st_mode) ? file_table_name(entry) : NULL;
		if (name == NULL)
			continue;
		t = palloc(sizeof(ImportTable));
		t->name = name;
		t->path = entry_path;
		t->directory = S_ISDIR(st.st_mode);
		tables = lappend(tables, t);
	}
	return tables;
}

/* "name type" of each column, for CREATE FOREIGN TABLE. */
static void
append_column(StringInfo sql, const char *name, const char *type)
{
	appendStringInfo(sql, "%s\n  %s %s", sql->data[sql->len - 1] == '(' ? "" : ",",
					 quote_identifier(name), type);
}

static bool
has_column(List *columns, const char *name)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		if (pg_strcasecmp(((RitualFileColumn *) lfirst(lc))->name, name) == 0)
			return true;
	}
	return false;
}

/*
 * Partition keys found under a table's directory, as columns typed by
 * their values; keys the files have as columns are left to the files.
 */
static List *
partition_columns(List *files, List *file_columns)
{
	List	   *keys = NIL;
	List	   *guesses = NIL;
	List	   *columns = NIL;
	RitualTypeTrials trials;
	ListCell   *lc;

	ritual_type_trials_init(&trials);
	foreach(lc, files)
	{
		RitualFile *file = lfirst(lc);
		ListCell   *k;
		ListCell   *v;

		forboth(k, file->partition_keys, v, file->partition_values)
		{
			int			index = -1;
			RitualTypeGuess *guess;

			for (int i = 0; i < list_length(keys); i++)
			{
				if (strcmp(list_nth(keys, i), lfirst(k)) == 0)
					index = i;
			}
			if (index < 0)
			{
				guess = palloc(sizeof(RitualTypeGuess));
				ritual_guess_init(guess);
				keys = lappend(keys, lfirst(k));
				guesses = lappend(guesses, guess);
				index = list_length(keys) - 1;
			}
			guess = list_nth(guesses, index);
			if (lfirst(v) != NULL)
				ritual_guess_narrow(guess, &trials, lfirst(v));
		}
		CHECK_FOR_INTERRUPTS();
	}
	for (int i = 0; i < list_length(keys); i++)
	{
		RitualFileColumn *column;

		if (has_column(file_columns, list_nth(keys, i)))
			continue;
		column = palloc(sizeof(RitualFileColumn));
		column->name = list_nth(keys, i);
		column->type = pstrdup(ritual_guess_type(list_nth(guesses, i)));
		columns = lappend(columns, column);
	}
	return columns;
}

static char *
replace_commas(const char *path)
{
	char	   *copy = pstrdup(path);

	for (char *c = copy; *c; c++)
	{
		if (*c == ',')
			*c = '?';
	}
	return copy;
}

static void
append_options(StringInfo sql, List *options)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		appendStringInfo(sql, ", %s %s", quote_identifier(def->defname),
						 quote_literal_cstr(defGetString(def)));
	}
}

/* What is being imported, for the error context. */
typedef struct ImportPlace
{
	const char *table;
	const char *file;
} ImportPlace;

static void
import_error_context(void *arg)
{
	ImportPlace *place = arg;

	errcontext("IMPORT FOREIGN SCHEMA of table \"%s\", from file \"%s\"",
			   place->table, place->file);
}

/* files of a table tried in turn for one that tells its columns */
#define FILES_TO_DESCRIBE	16

/*
 * The CREATE FOREIGN TABLE of one table, or NULL when none of its first
 * files tells its columns (no file, empty files, no readable column).
 */
static char *
table_statement(const ImportTable *t, ImportForeignSchemaStmt *stmt,
				ForeignServer *server, const RitualOptions *opts)
{
	List	   *files = ritual_discover_files(list_make1(t->path), true);
	const char *sample = NULL;
	const RitualSourceRoutine *source;
	List	   *columns;
	List	   *found_options;
	ImportPlace place;
	ErrorContextCallback errcallback;
	StringInfoData sql;
	ListCell   *lc;

	if (files == NIL)
	{
		ereport(NOTICE,
				(errmsg("no table \"%s\": \"%s\" holds no file", t->name, t->path)));
		return NULL;
	}
	place.table = t->name;
	errcallback.callback = import_error_context;
	errcallback.arg = &place;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	columns = NIL;
	foreach(lc, files)
	{
		if (columns != NIL || foreach_current_index(lc) >= FILES_TO_DESCRIBE)
			break;
		sample = ((RitualFile *) lfirst(lc))->path;
		source = ritual_format_of(opts, sample) == RITUAL_FORMAT_PARQUET ?
			&ritual_parquet_source : &ritual_csv_source;
		place.file = sample;
		columns = source->describe(sample, opts,
								   list_concat_copy(server->options, stmt->options),
								   &found_options);
	}
	error_context_stack = errcallback.previous;
	if (columns == NIL && list_length(files) == 1)
		ereport(NOTICE,
				(errmsg("no table \"%s\": file \"%s\" has no record or readable column to tell its columns",
						t->name, sample)));
	else if (columns == NIL)
		ereport(NOTICE,
				(errmsg("no table \"%s\": none of its first %d files has a record or readable column to tell its columns",
						t->name, Min(list_length(files), FILES_TO_DESCRIBE))));
	if (columns == NIL)
		return NULL;
	if (t->directory && opts->hive_partitioning != 0)
	{
		List	   *keys = partition_columns(files, columns);

		/* an INSERT writes the lake's layout: its keys, in their order */
		if (keys != NIL && !ritual_has_option(stmt->options, "partition_by"))
		{
			StringInfoData partition_by;

			initStringInfo(&partition_by);
			foreach(lc, keys)
				appendStringInfo(&partition_by, "%s%s", partition_by.len ? ", " : "",
								 quote_identifier(((RitualFileColumn *) lfirst(lc))->name));
			found_options = lappend(found_options,
									makeDefElem("partition_by",
												(Node *) makeString(partition_by.data), -1));
		}
		columns = list_concat(columns, keys);
	}

	/*
	 * A table whose files are all Parquet says so, so that an INSERT into
	 * it writes Parquet files too, not CSV files among them.
	 */
	if (opts->format == RITUAL_FORMAT_AUTO)
	{
		bool		all_parquet = true;

		foreach(lc, files)
		{
			if (ritual_format_of(opts, ((RitualFile *) lfirst(lc))->path) !=
				RITUAL_FORMAT_PARQUET)
				all_parquet = false;
		}
		if (all_parquet)
			found_options = lappend(found_options,
									makeDefElem("format", (Node *) makeString("parquet"), -1));
	}

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE FOREIGN TABLE %s.%s (",
					 quote_identifier(stmt->local_schema),
					 quote_identifier(t->name));
	foreach(lc, columns)
	{
		RitualFileColumn *column = lfirst(lc);

		append_column(&sql, column->name, column->type);
	}
	/* option path separates paths by commas, and '?' matches one */
	appendStringInfo(&sql, "\n) SERVER %s OPTIONS (path %s",
					 quote_identifier(server->servername),
					 quote_literal_cstr(replace_commas(t->path)));
	append_options(&sql, stmt->options);
	append_options(&sql, found_options);
	appendStringInfoString(&sql, ")");
	return sql.data;
}

/*
 * ritual_import_schema
 *		The CREATE FOREIGN TABLE statements of IMPORT FOREIGN SCHEMA.
 */
List *
ritual_import_schema(ImportForeignSchemaStmt *stmt, Oid serverid)
{
	ForeignServer *server = GetForeignServer(serverid);
	char	   *path = pstrdup(stmt->remote_schema);
	int			len = strlen(path);
	RitualOptions *opts;
	List	   *statements = NIL;
	List	   *names = NIL;
	ListCell   *lc;

	/* it reads files, as a table pointing at them would */
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to import foreign tables of server \"%s\"",
						server->servername),
				 errdetail("Only superusers and members of pg_read_server_files may point a table at server files.")));
	if (path[0] != '/')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("remote schema \"%s\" is not an absolute path", path),
				 errhint("Name the directory or file to import, quoted: IMPORT FOREIGN SCHEMA \"/srv/exports\" FROM SERVER %s INTO public.",
						 quote_identifier(server->servername))));
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	opts = ritual_import_options(serverid, stmt->options);

	foreach(lc, tables_of(path))
	{
		ImportTable *t = lfirst(lc);
		char	   *statement;
		ListCell   *n;
		bool		taken = false;

		if (!IsImportableForeignTable(t->name, stmt))
			continue;
		foreach(n, names)
			taken |= strcmp(lfirst(n), t->name) == 0;
		if (taken)
		{
			ereport(WARNING,
					(errmsg("\"%s\" is not imported: an earlier entry of \"%s\" makes table \"%s\" too",
							t->path, path, t->name),
					 errhint("Create its table by hand.")));
			continue;
		}
		names = lappend(names, t->name);
		statement = table_statement(t, stmt, server, opts);
		if (statement != NULL)
			statements = lappend(statements, statement);
	}
	return statements;
}

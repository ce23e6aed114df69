/*-------------------------------------------------------------------------
 *
 * csv_describe.c
 *		  A CSV file's columns guessed from its first records, for IMPORT
 *		  FOREIGN SCHEMA: the delimiter, whether the first line is a header,
 *		  the names, and each column's type.
 *
 * A guess can be wrong, and is only a start: the table it makes is an
 * ordinary table whose options and column types a user may change.  The
 * rules, documented in the README (IMPORT FOREIGN SCHEMA):
 *   - delimiter: unless given, the first of ',', tab, ';' and '|' (tab
 *     first for a .tsv file) that splits the first records into the same
 *     number of fields, the most fields winning;
 *   - types, from the values of up to SAMPLE_RECORDS records (empty fields
 *     and the null string left out), as type_guess.c guesses them;
 *   - header: unless given, the first line is a header unless each of its
 *     values fits its column's type where that type is not text, and some
 *     column's is not;
 *   - names: the header's, trimmed; without a header, or when a name is
 *     empty, repeated (but for case) or not valid text, column_1,
 *     column_2, ... are used for those, and columns match by position.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/memutils.h"

#include "csv_describe.h"
#include "csv_reader.h"
#include "values/type_guess.h"

/* records whose values decide the types */
#define SAMPLE_RECORDS		1000
/* records that decide the delimiter */
#define DELIMITER_RECORDS	20

/* Field i of a record, or NULL when empty, absent or the null string. */
static const char *
field_value(const RitualOptions *opts, const CsvRecord *record, int i)
{
	const char *value;

	if (i >= record->nfields)
		return NULL;
	value = csv_field_value(record, i);
	if (value == NULL ||
		(opts->null_string != NULL && !record->fields[i].quoted &&
		 strcmp(value, opts->null_string) == 0))
		return NULL;
	return value;
}

/*
 * The delimiter that splits the first records into the same number of
 * fields, the most; 0 when none splits them at all.
 */
static char
find_delimiter(const char *path, const RitualOptions *opts)
{
	static const char csv_order[] = {',', '\t', ';', '|'};
	static const char tsv_order[] = {'\t', ',', ';', '|'};
	const char *base = strrchr(path, '/');
	const char *candidates = strstr(base ? base : path, ".tsv") ? tsv_order : csv_order;
	char		best = 0;
	int			best_fields = 1;

	for (size_t c = 0; c < lengthof(csv_order); c++)
	{
		char		delimiter = candidates[c];
		RitualOptions trial = *opts;
		CsvReader  *reader;
		CsvRecord	record;
		int			fields = -1;
		bool		same = true;

		if (delimiter == opts->quote)
			continue;
		trial.delimiter = delimiter;
		reader = csv_reader_open(path, &trial, 0, -1);
		for (int n = 0; n < DELIMITER_RECORDS && same &&
			 csv_reader_next(reader, &record); n++)
		{
			if (record.malformed)
				same = false;
			else if (fields < 0)
				fields = record.nfields;
			else
				same = (record.nfields == fields);
		}
		csv_reader_close(reader);
		if (same && fields > best_fields)
		{
			best = delimiter;
			best_fields = fields;
		}
	}
	return best;
}

/* A header name as a column name, or NULL when it cannot be one. */
static char *
column_name(const char *value)
{
	const char *start = value;
	const char *end;

	if (value == NULL)
		return NULL;
	while (*start == ' ' || *start == '\t')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == start || end - start >= NAMEDATALEN ||
		!pg_verifymbstr(start, end - start, true))
		return NULL;
	return pnstrdup(start, end - start);
}

List *
csv_describe(const char *path, const RitualOptions *given_opts, List *given,
			 List **table_options)
{
	MemoryContext sample_context = AllocSetContextCreate(CurrentMemoryContext,
														 "ritual_fdw CSV sample",
														 ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcontext;
	RitualOptions opts = *given_opts;
	RitualTypeTrials trials;
	CsvReader  *reader;
	CsvRecord	record;
	int			nfields = -1;
	char	  **first = NULL;	/* the first record's values */
	RitualTypeGuess *rest = NULL;	/* guesses from the records after it */
	RitualTypeGuess *all = NULL;	/* ... and from all of them */
	bool		header;
	bool		by_position = false;
	List	   *columns = NIL;
	List	   *names = NIL;

	*table_options = NIL;
	ritual_type_trials_init(&trials);

	/* the readers and the sample in memory of their own */
	oldcontext = MemoryContextSwitchTo(sample_context);
	if (!ritual_has_option(given, "delimiter"))
	{
		char		delimiter = find_delimiter(path, &opts);

		if (delimiter != 0 && delimiter != opts.delimiter)
		{
			opts.delimiter = delimiter;
			MemoryContextSwitchTo(oldcontext);
			*table_options = lappend(*table_options,
									 makeDefElem("delimiter",
												 (Node *) makeString(pnstrdup(&delimiter, 1)), -1));
			MemoryContextSwitchTo(sample_context);
		}
	}
	reader = csv_reader_open(path, &opts, 0, -1);
	for (int n = 0; n < SAMPLE_RECORDS && csv_reader_next(reader, &record); n++)
	{
		if (record.malformed)
			continue;
		if (nfields < 0)
		{
			nfields = record.nfields;
			first = palloc0(sizeof(char *) * Max(nfields, 1));
			rest = palloc(sizeof(RitualTypeGuess) * Max(nfields, 1));
			all = palloc(sizeof(RitualTypeGuess) * Max(nfields, 1));
			for (int i = 0; i < nfields; i++)
			{
				const char *value = field_value(&opts, &record, i);

				first[i] = value ? pstrdup(value) : NULL;
				ritual_guess_init(&rest[i]);
				ritual_guess_init(&all[i]);
				if (value)
					ritual_guess_narrow(&all[i], &trials, value);
			}
			continue;
		}
		for (int i = 0; i < nfields; i++)
		{
			const char *value = field_value(&opts, &record, i);

			if (value == NULL)
				continue;
			ritual_guess_narrow(&rest[i], &trials, value);
			ritual_guess_narrow(&all[i], &trials, value);
		}
		CHECK_FOR_INTERRUPTS();
	}
	csv_reader_close(reader);
	MemoryContextSwitchTo(oldcontext);

	/* no record (empty, or malformed): nothing to guess from */
	if (nfields < 0)
	{
		MemoryContextDelete(sample_context);
		list_free(*table_options);
		*table_options = NIL;
		return NIL;
	}

	if (ritual_has_option(given, "header"))
		header = opts.header;
	else
	{
		bool		typed = false;
		bool		first_fits = true;

		/* data, if its first line fits the types the rest has */
		for (int i = 0; i < nfields; i++)
		{
			if (strcmp(ritual_guess_type(&rest[i]), "text") == 0)
				continue;
			typed = true;
			if (first[i] != NULL &&
				!ritual_guess_fits(&rest[i], &trials, first[i]))
				first_fits = false;
		}
		header = !(typed && first_fits);
		if (header)
			*table_options = lappend(*table_options,
									 makeDefElem("header", (Node *) makeString("true"), -1));
	}

	for (int i = 0; i < nfields; i++)
	{
		RitualFileColumn *column = palloc(sizeof(RitualFileColumn));
		char	   *name = header ? column_name(first[i]) : NULL;
		ListCell   *lc;

		foreach(lc, names)
		{
			if (name != NULL && pg_strcasecmp(lfirst(lc), name) == 0)
				name = NULL;
		}
		if (name == NULL)
		{
			name = psprintf("column_%d", i + 1);
			by_position |= header;
		}
		names = lappend(names, name);
		column->name = name;
		column->type = pstrdup(ritual_guess_type(header ? &rest[i] : &all[i]));
		columns = lappend(columns, column);
	}
	if (by_position)
		*table_options = lappend(*table_options,
								 makeDefElem("match_by", (Node *) makeString("position"), -1));
	MemoryContextDelete(sample_context);
	return columns;
}

/*-------------------------------------------------------------------------
 *
 * source.h
 *		  The one way the scan reads records, whatever the file's format: a
 *		  source reads the units of work the scan hands it (a whole file,
 *		  or a block of one in a parallel scan) and fills the table's file
 *		  columns of each record.
 *
 * The scan owns everything that does not depend on the format: which unit
 * comes next, partition and meta columns, on_error, the error context,
 * totals and whoever observes the scan.  A source owns the rest: how
 * columns are found in a file (a CSV header, a Parquet schema), how values
 * become Datums, and where in the file a record is.  A source reports a bad
 * value to the scan (RitualSourceArgs.problem) and goes on or stops the row
 * as the scan says.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_SOURCE_H
#define RITUAL_SOURCE_H

#include "values/convert.h"
#include "ritual.h"

/* How one attribute of the table is filled, as the source sees it. */
typedef struct RitualSourceColumn
{
	const char *name;			/* the attribute's name, for messages */
	const char *file_name;		/* the name to look for in the file */
	bool		from_file;		/* filled from the file by the source */
	bool		wanted;			/* the query needs its value */
	RitualConverter *conv;		/* set when wanted */
} RitualSourceColumn;

/*
 * Where the record being read is, and what is being converted: the scan's
 * error-context callback and messages read it, the source keeps it current.
 */
typedef struct RitualCursor
{
	int			attnum;			/* 0-based attribute being converted, or -1 */
	const char *value;			/* its text, when it has one */
	int			value_len;
} RitualCursor;

/*
 * A bad value or record: attnum -1 for the whole record.  Returns whether
 * the source should go on converting the row's other columns.
 */
typedef bool (*RitualProblemFn) (void *arg, int attnum, const char *message);

/* What a source is given when the scan begins. */
typedef struct RitualSourceArgs
{
	const RitualOptions *opts;
	int			natts;
	RitualSourceColumn *columns;	/* natts entries */
	RitualCursor *cursor;
	RitualProblemFn problem;
	void	   *problem_arg;
	bool		for_ingest;		/* the caller resumes files after records */
	RitualReadCounts *counts;	/* what the source read, added to */

	/*
	 * The query's conditions, for sources that know ranges of values (a
	 * Parquet row group's statistics), and the attributes (from 0) they
	 * test; NULL when there are none.
	 */
	const struct RitualRangeFilter *filter;
	Bitmapset  *filter_columns;
} RitualSourceArgs;

/* A column a file offers, as a table over the file would declare it. */
typedef struct RitualFileColumn
{
	char	   *name;
	char	   *type;			/* as SQL spells it: "bigint", "numeric(18,2)" */
} RitualFileColumn;

typedef struct RitualSourceRoutine
{
	const char *format;			/* "csv", "parquet": for messages */

	/* Prepare to read; the state lives until end. */
	void	   *(*begin) (const RitualSourceArgs *args);

	/*
	 * Open a unit.  False when it holds no record (a block of a parallel scan
	 * inside one long record).  When the unit starts with a header that the
	 * caller resuming files must know about, *header is set and its end
	 * filled.
	 */
	bool		(*open) (void *state, const RitualUnit *unit,
						 bool *header, RitualRecordEnd *header_end);

	/*
	 * Move to the next record; false at the end of the unit.  'end' is
	 * filled for callers resuming files.
	 */
	bool		(*next) (void *state, RitualRecordEnd *end);

	/*
	 * Convert the current record into values/nulls of the wanted file
	 * columns (others are left alone), reporting bad values and records
	 * through args->problem.  Values are made in the current memory context
	 * or live in the source's, until the next call of next.
	 */
	void		(*fill) (void *state, Datum *values, bool *nulls);

	/*
	 * Optional: take the unit's next rows in one go, at most 'max', when the
	 * wanted file columns of each are converted without a problem and no
	 * condition tests them row by row.  columns[i] is pointed at the rows
	 * of each attribute i the source fills (others are left alone), valid
	 * until the next call of any callback.  Returns how many rows were
	 * taken, the last of them then the current record; 0 when the next
	 * record is to go through next and fill.
	 */
	int			(*take_rows) (void *state, int max, RitualColumnRows *columns);

	/*
	 * The current record's place; may_fail false when called from an
	 * error-context callback (line -1 then if it cannot be told).
	 */
	void		(*position) (void *state, bool may_fail, RitualPosition *pos);

	/* The bytes of the current unit between two offsets, or NULL. */
	const char *(*raw) (void *state, int64 from, int64 to);

	void		(*close) (void *state);
	void		(*end) (void *state);

	/*
	 * The columns of file 'path' and the types a table over it should give
	 * them (a list of RitualFileColumn *), from the file's own schema or
	 * guessed from its first records; NIL when it has none to tell from
	 * (no record, no readable column).  'opts' are the options to read it
	 * with, of which those in 'given' (DefElem *) the user set; the others
	 * a source may find out, and *table_options gets those it found (a
	 * header, a delimiter).  For IMPORT FOREIGN SCHEMA.
	 */
	List	   *(*describe) (const char *path, const RitualOptions *opts,
							 List *given, List **table_options);
} RitualSourceRoutine;

extern const RitualSourceRoutine ritual_csv_source;
extern const RitualSourceRoutine ritual_parquet_source;

#endif							/* RITUAL_SOURCE_H */

/*-------------------------------------------------------------------------
 *
 * csv_reader.h
 *		  The CSV reader: one file's records, with their line numbers, and
 *		  the record boundaries a parallel scan splits a file at.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_CSV_READER_H
#define RITUAL_CSV_READER_H

#include "ritual.h"

typedef struct CsvReader CsvReader;

/* A parsed field: where its NUL-terminated bytes are. */
typedef struct CsvField
{
	Size		offset;			/* in the reader's chunk or its value buffer */
	int			len;
	bool		isnull;			/* empty and unquoted */
	bool		quoted;			/* written between quotes */
	bool		in_chunk;		/* split in place, not copied by libcsv */
} CsvField;

/* One parsed record; valid until the next call on the reader. */
typedef struct CsvRecord
{
	int			nfields;
	const CsvField *fields;
	char	   *chunk;			/* base of in_chunk fields */
	char	   *values;			/* base of the other fields */
	int64		line;			/* physical line where the record starts */
	const char *malformed;		/* why the record's structure is broken, or
								 * NULL */
	bool		clean_ascii;	/* every field is ASCII without NUL, so valid
								 * in any server encoding */
	int64		end_offset;		/* stream offset after the record's line end,
								 * or -1 if not known (a record closed by a
								 * lone CR within a longer line, or a reader
								 * not for ingest) */
	int64		end_line;		/* line ends from the reader's start to
								 * end_offset */
	bool		terminated;		/* a line end closes it: it cannot grow */
} CsvRecord;

/* The text of field i, or NULL for an empty unquoted field. */
static inline char *
csv_field_value(const CsvRecord *record, int i)
{
	const CsvField *field = &record->fields[i];

	if (field->isnull)
		return NULL;
	return (field->in_chunk ? record->chunk : record->values) + field->offset;
}

static inline int
csv_field_length(const CsvRecord *record, int i)
{
	return record->fields[i].len;
}

extern CsvReader *csv_reader_open(const char *path, const RitualOptions *opts,
								  int64 start, int64 stop);
extern void csv_reader_for_ingest(CsvReader *reader, int64 limit);
extern bool csv_reader_next(CsvReader *reader, CsvRecord *record);
extern const char *csv_reader_raw(CsvReader *reader, int64 from, int64 to);
extern void csv_reader_close(CsvReader *reader);

/* A count of some bytes in a file's first 'offset' bytes, carried forward. */
typedef struct CsvPrefixCount
{
	int64		offset;
	int64		count;
} CsvPrefixCount;

extern int64 csv_record_start_at_or_after(const char *path, char quote,
										  int64 offset,
										  CsvPrefixCount *cache);
extern int64 csv_count_line_ends(const char *path, int64 upto,
								 CsvPrefixCount *cache);

#endif							/* RITUAL_CSV_READER_H */

/*-------------------------------------------------------------------------
 *
 * parquet_writer.h
 *		  Write one Parquet file from rows of Datums: row groups buffered
 *		  in memory, then encoded, and a footer to finish.
 *
 * The writer does not touch files: it hands the bytes of each row group
 * and of the footer to the caller's ParquetEmit, in file order, so that the
 * caller decides where they go (src/writers/writer.c: a hidden file made
 * durable at commit).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_PARQUET_WRITER_H
#define RITUAL_PARQUET_WRITER_H

#include "access/tupdesc.h"

#include "ritual.h"

typedef struct ParquetWriter ParquetWriter;

typedef void (*ParquetEmit) (void *arg, const char *data, size_t len);

/*
 * What a file's columns are: the attributes of 'tupdesc' for which
 * in_file[i] is set, named names[i] in the file, their pages compressed
 * as 'compression' says (snappy for auto).  'table' is named in errors
 * about values that Parquet cannot hold.
 */
extern ParquetWriter *parquet_writer_create(TupleDesc tupdesc,
											const bool *in_file,
											const char *const *names,
											const char *table,
											RitualCompression compression);
extern void parquet_writer_add_row(ParquetWriter *pw, const Datum *values,
								   const bool *isnull);
extern int64 parquet_writer_buffered_rows(const ParquetWriter *pw);
extern Size parquet_writer_buffered_bytes(const ParquetWriter *pw);
extern int64 parquet_writer_size(const ParquetWriter *pw);
extern void parquet_writer_flush(ParquetWriter *pw, ParquetEmit emit, void *arg);
extern void parquet_writer_finish(ParquetWriter *pw, ParquetEmit emit, void *arg);
extern void parquet_writer_free(ParquetWriter *pw);

#endif							/* RITUAL_PARQUET_WRITER_H */

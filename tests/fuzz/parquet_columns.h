/*-------------------------------------------------------------------------
 *
 * parquet_columns.h
 *		  Driving src/readers/parquet/column.c outside a server, for the
 *		  Parquet pages fuzzer and the dump program: every flat column of
 *		  every row group of a file in memory, or one column chunk given
 *		  as raw pages.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_FUZZ_PARQUET_COLUMNS_H
#define RITUAL_FUZZ_PARQUET_COLUMNS_H

#include "readers/parquet/column.h"

/*
 * Called with each batch a column chunk gives (rows 0 at its end); 'name'
 * is the leaf's, 'row_group' and 'column' count from 0.
 */
typedef void (*ColumnBatch) (void *arg, int row_group, int column,
							 const char *name, ParquetType type,
							 const ParquetPlain *values, const bool *isnull,
							 int rows);

/*
 * Rows read of a chunk at most (all by default): a few bytes of runs can
 * say two billion NULLs, which a fuzzer cannot wait for.  A chunk read only
 * in part is not checked against its row group's rows.
 */
extern int64 parquet_max_rows;

/* bytes of a chunk-mode input before its pages */
#define CHUNK_SETTINGS	11

typedef struct ChunkSettings
{
	ParquetType type;
	int32		codec;
	int			max_definition_level;
	int32		type_length;
	int64		num_rows;
	int			batch;			/* rows asked per read */
} ChunkSettings;

extern void chunk_settings(const uint8 *data, ChunkSettings *s);

/* Read the chunk of raw pages 'data' (after its settings) as 's' says. */
extern void read_chunk_pages(const ChunkSettings *s, const char *data,
							 size_t size, ColumnBatch visit, void *arg);

/*
 * Read every flat column of the Parquet file at 'path', whose bytes are
 * 'data', 'batch' rows at a time.  Returns the count of chunks read.
 */
extern int	read_file_columns(const char *path, const char *data, size_t size,
							  int batch, ColumnBatch visit, void *arg);

#endif							/* RITUAL_FUZZ_PARQUET_COLUMNS_H */

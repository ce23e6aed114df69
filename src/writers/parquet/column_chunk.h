/*-------------------------------------------------------------------------
 *
 * column_chunk.h
 *		  One column of the Parquet file being written: how its Datums
 *		  become Parquet values, the values of the row group being
 *		  buffered, and their encoding into pages.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_PARQUET_COLUMN_CHUNK_H
#define RITUAL_PARQUET_COLUMN_CHUNK_H

#include "fmgr.h"
#include "lib/stringinfo.h"

#include "ritual.h"
#include "../../readers/parquet/parquet.h"
#include "thrift_writer.h"

/* how a Datum becomes a Parquet value */
typedef enum ValueKind
{
	KIND_BOOL,
	KIND_INT16,
	KIND_INT32,
	KIND_INT64,
	KIND_FLOAT4,
	KIND_FLOAT8,
	KIND_DATE,
	KIND_TIME,
	KIND_TIMESTAMP,				/* timestamp and timestamptz */
	KIND_DECIMAL,				/* numeric(p, s), p <= 38 */
	KIND_UUID,
	KIND_TEXT,					/* text, varchar, char, json: their bytes */
	KIND_BYTEA,
	KIND_OUTPUT					/* any other type: its output function */
} ValueKind;

/* Where the page bytes go, and the file offset they start at. */
typedef struct ChunkSink
{
	void		(*emit) (void *arg, const char *data, size_t len);
	void	   *arg;
	int64		offset;
	RitualCompression compression;	/* of the pages */
	int			codec;			/* the same, as Parquet numbers it */
} ChunkSink;

typedef struct ColumnChunk
{
	const char *name;			/* in the file, in the database's encoding */
	const char *utf8_name;		/* as the file has it */
	const char *table;			/* named in errors */
	ValueKind	kind;
	ParquetType type;
	int			type_length;	/* FIXED_LEN_BYTE_ARRAY */
	bool		utc;			/* timestamptz */
	bool		json;
	int32		precision;		/* DECIMAL */
	int32		scale;
	FmgrInfo	output;			/* KIND_OUTPUT, and numeric */
	MemoryContext row_context;	/* holds the buffers below */

	/* the row group being buffered: allocated in the writer's row context */
	StringInfoData values;		/* PLAIN bytes of the non-NULL values */
	StringInfoData levels;		/* one byte per row: 1 a value, 0 NULL */
	int64		nulls;
	bool		has_range;		/* the bounds below are set */
	union
	{
		int64		i;			/* integers, booleans, dates, times, decimals */
		float8		f;			/* floats */
#ifdef PG_INT128_TYPE
		int128		wide;		/* decimals of more than 18 digits */
#endif
	}			min_number, max_number;
	StringInfoData min_bytes;	/* strings and bytes (without a length) */
	StringInfoData max_bytes;
} ColumnChunk;

extern void column_chunk_init(ColumnChunk *c, Oid typid, int32 typmod,
							  const char *name, const char *table,
							  MemoryContext row_context);
extern void column_chunk_reset(ColumnChunk *c);
extern void column_chunk_add(ColumnChunk *c, Datum value, bool isnull);

/* The memory the buffered row group holds. */
static inline Size
column_chunk_bytes(const ColumnChunk *c)
{
	return (c->values.data ? c->values.maxlen : 0) +
		(c->levels.data ? c->levels.maxlen : 0);
}

/* The bytes of the buffered values, as PLAIN encodes them. */
static inline Size
column_chunk_data_bytes(const ColumnChunk *c)
{
	return (c->values.data ? c->values.len : 0) +
		(c->levels.data ? c->levels.len : 0);
}

extern void column_chunk_write_schema(const ColumnChunk *c, ThriftWriter *t);
extern void column_chunk_write(ColumnChunk *c, int64 rows, ChunkSink *sink,
							   ThriftWriter *row_group, int64 *uncompressed,
							   int64 *compressed);

#endif							/* RITUAL_PARQUET_COLUMN_CHUNK_H */

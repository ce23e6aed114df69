/*-------------------------------------------------------------------------
 *
 * parquet_writer.c
 *		  Write one Parquet file: rows buffered as a row group, each row
 *		  group encoded column by column when the caller flushes it, and
 *		  the footer (schema, row groups, statistics) when it finishes.
 *
 * What a file holds between flushes is its buffered row group and the
 * encoded metadata of the row groups written (a few hundred bytes each);
 * the caller bounds the first by flushing, so that memory does not grow
 * with the rows written.  A flush that fails leaves the file unfinishable:
 * finishing it then raises an error rather than write a footer that does
 * not describe the bytes before it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "column_chunk.h"
#include "encode.h"
#include "parquet_writer.h"

#define PARQUET_MAGIC		"PAR1"
#define FORMAT_VERSION		1

struct ParquetWriter
{
	MemoryContext context;		/* the writer and the row groups' metadata */
	MemoryContext row_context;	/* the buffered row group */
	MemoryContext scratch;		/* encoding a row group */
	RitualCompression compression;
	int			codec;			/* as Parquet numbers it */
	int			ncolumns;
	ColumnChunk *columns;
	int		   *attnums;		/* each column's attribute, 0-based */
	int64		rows;			/* buffered */
	Size		data_bytes;		/* buffered, as PLAIN encodes them */
	Size		memory_bytes;	/* what holds them */
	int64		rows_written;
	int64		offset;			/* bytes emitted */
	int			num_row_groups;
	StringInfoData row_groups;	/* their RowGroup structs, encoded */
	bool		broken;			/* a flush failed half-way */
};

/*
 * parquet_writer_create
 *		A writer of a file of the columns in_file selects, in the current
 *		memory context.
 */
ParquetWriter *
parquet_writer_create(TupleDesc tupdesc, const bool *in_file,
					  const char *const *names, const char *table,
					  RitualCompression compression)
{
	MemoryContext context = AllocSetContextCreate(CurrentMemoryContext,
												  "ritual Parquet file",
												  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcontext = MemoryContextSwitchTo(context);
	ParquetWriter *pw = palloc0(sizeof(ParquetWriter));

	pw->context = context;
	/* small until rows come: a statement may write many partitions */
	pw->row_context = AllocSetContextCreate(context, "ritual Parquet row group",
											ALLOCSET_SMALL_MINSIZE,
											ALLOCSET_SMALL_INITSIZE,
											ALLOCSET_DEFAULT_MAXSIZE);
	pw->scratch = AllocSetContextCreate(context, "ritual Parquet encoding",
										ALLOCSET_SMALL_MINSIZE,
										ALLOCSET_SMALL_INITSIZE,
										ALLOCSET_DEFAULT_MAXSIZE);
	pw->compression = compression == RITUAL_COMPRESSION_AUTO ?
		RITUAL_COMPRESSION_SNAPPY : compression;
	pw->codec = compression == RITUAL_COMPRESSION_NONE ? PARQUET_CODEC_UNCOMPRESSED :
		compression == RITUAL_COMPRESSION_GZIP ? PARQUET_CODEC_GZIP :
		compression == RITUAL_COMPRESSION_ZSTD ? PARQUET_CODEC_ZSTD :
		PARQUET_CODEC_SNAPPY;
	pw->columns = palloc0(sizeof(ColumnChunk) * Max(tupdesc->natts, 1));
	pw->attnums = palloc(sizeof(int) * Max(tupdesc->natts, 1));
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);

		if (!in_file[i])
			continue;
		column_chunk_init(&pw->columns[pw->ncolumns], attr->atttypid,
						  attr->atttypmod, names[i], table, pw->row_context);
		pw->attnums[pw->ncolumns++] = i;
	}
	initStringInfo(&pw->row_groups);
	MemoryContextSwitchTo(oldcontext);
	return pw;
}

/*
 * parquet_writer_add_row
 *		Buffer one row: values and isnull are indexed by attribute.
 */
void
parquet_writer_add_row(ParquetWriter *pw, const Datum *values,
					   const bool *isnull)
{
	for (int i = 0; i < pw->ncolumns; i++)
	{
		ColumnChunk *c = &pw->columns[i];
		Size		data_before = column_chunk_data_bytes(c);
		Size		memory_before = column_chunk_bytes(c);

		column_chunk_add(c, values[pw->attnums[i]], isnull[pw->attnums[i]]);
		pw->data_bytes += column_chunk_data_bytes(c) - data_before;
		pw->memory_bytes += column_chunk_bytes(c) - memory_before;
	}
	pw->rows++;
}

int64
parquet_writer_buffered_rows(const ParquetWriter *pw)
{
	return pw->rows;
}

/* The memory the buffered row group holds. */
Size
parquet_writer_buffered_bytes(const ParquetWriter *pw)
{
	return pw->memory_bytes;
}

/*
 * About the size the file will have: the bytes handed to the caller so far,
 * and the buffered values as they are before encoding and compression.
 */
int64
parquet_writer_size(const ParquetWriter *pw)
{
	return pw->offset + pw->data_bytes;
}

static void
emit_magic(ParquetWriter *pw, ChunkSink *sink)
{
	if (pw->offset == 0)
	{
		sink->emit(sink->arg, PARQUET_MAGIC, 4);
		sink->offset = 4;
	}
}

/*
 * parquet_writer_flush
 *		Encode the buffered rows as a row group and hand its bytes to
 *		'emit' (after the file's leading magic number, the first time).
 */
void
parquet_writer_flush(ParquetWriter *pw, ParquetEmit emit, void *arg)
{
	ChunkSink	sink = {emit, arg, pw->offset, pw->compression, pw->codec};
	MemoryContext oldcontext;
	ThriftWriter t;
	int64		uncompressed = 0;
	int64		compressed = 0;
	int64		start;

	if (pw->rows == 0)
		return;
	if (pw->broken)
		elog(ERROR, "cannot write into a Parquet file whose earlier write failed");
	pw->broken = true;
	emit_magic(pw, &sink);
	start = sink.offset;

	oldcontext = MemoryContextSwitchTo(pw->scratch);
	thrift_writer_init(&t, &pw->row_groups);
	thrift_write_struct_begin(&t);
	thrift_write_field_list(&t, 1, THRIFT_STRUCT, pw->ncolumns);
	for (int i = 0; i < pw->ncolumns; i++)
		column_chunk_write(&pw->columns[i], pw->rows, &sink, &t,
						   &uncompressed, &compressed);
	thrift_write_field_i64(&t, 2, uncompressed);
	thrift_write_field_i64(&t, 3, pw->rows);
	thrift_write_field_i64(&t, 5, start);
	thrift_write_field_i64(&t, 6, compressed);
	if (pw->num_row_groups <= PG_INT16_MAX)
		thrift_write_field_i16(&t, 7, (int16) pw->num_row_groups);
	thrift_write_struct_end(&t);
	MemoryContextSwitchTo(oldcontext);
	MemoryContextReset(pw->scratch);

	MemoryContextReset(pw->row_context);
	for (int i = 0; i < pw->ncolumns; i++)
		column_chunk_reset(&pw->columns[i]);
	pw->offset = sink.offset;
	pw->rows_written += pw->rows;
	pw->rows = 0;
	pw->data_bytes = 0;
	pw->memory_bytes = 0;
	pw->num_row_groups++;
	pw->broken = false;
}

/*
 * parquet_writer_finish
 *		Flush the buffered rows, then hand the footer to 'emit': the file
 *		is complete.
 */
void
parquet_writer_finish(ParquetWriter *pw, ParquetEmit emit, void *arg)
{
	ChunkSink	sink = {emit, arg, pw->offset, pw->compression, pw->codec};
	StringInfoData footer;
	ThriftWriter t;
	char		length[4];

	parquet_writer_flush(pw, emit, arg);
	if (pw->broken)
		elog(ERROR, "cannot finish a Parquet file whose earlier write failed");
	sink.offset = pw->offset;
	emit_magic(pw, &sink);

	initStringInfo(&footer);
	thrift_writer_init(&t, &footer);
	thrift_write_struct_begin(&t);
	thrift_write_field_i32(&t, 1, FORMAT_VERSION);
	thrift_write_field_list(&t, 2, THRIFT_STRUCT, pw->ncolumns + 1);
	thrift_write_struct_begin(&t);
	thrift_write_field_string(&t, 4, "schema");
	thrift_write_field_i32(&t, 5, pw->ncolumns);
	thrift_write_struct_end(&t);
	for (int i = 0; i < pw->ncolumns; i++)
		column_chunk_write_schema(&pw->columns[i], &t);
	thrift_write_field_i64(&t, 3, pw->rows_written);
	thrift_write_field_list(&t, 4, THRIFT_STRUCT, pw->num_row_groups);
	appendBinaryStringInfo(&footer, pw->row_groups.data, pw->row_groups.len);
	thrift_write_field_string(&t, 6, "ritual version " RITUAL_VERSION);
	thrift_write_struct_end(&t);

	for (int i = 0; i < 4; i++)
		length[i] = (char) ((footer.len >> (8 * i)) & 0xFF);
	appendBinaryStringInfo(&footer, length, 4);
	appendStringInfoString(&footer, PARQUET_MAGIC);
	emit(arg, footer.data, footer.len);
	pw->offset = sink.offset + footer.len;
	pfree(footer.data);
}

/* Free all the writer holds. */
void
parquet_writer_free(ParquetWriter *pw)
{
	MemoryContextDelete(pw->context);
}

/*-------------------------------------------------------------------------
 *
 * column.h
 *		  Reading the values of one column chunk of a Parquet row group:
 *		  its pages read, decompressed and decoded into plain values and
 *		  NULL flags, a batch at a time.
 *
 * Only flat columns are read (no repetition levels): one value per row.
 * The caller (the scan's Parquet source) knows the table; this layer knows
 * only the chunk, the physical type and the file's bytes, which it reaches
 * through a callback so that it can be driven from memory.  Problems in
 * the bytes raise an ERROR (ERRCODE_DATA_CORRUPTED or
 * ERRCODE_FEATURE_NOT_SUPPORTED) that says what is wrong; the caller's
 * error-context callback names the file, row group and column.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_PARQUET_COLUMN_H
#define RITUAL_PARQUET_COLUMN_H

#include "parquet.h"

/*
 * Read exactly 'len' bytes at 'offset' into 'buffer', or raise an ERROR
 * (a short read included).
 */
typedef void (*ParquetReadAt) (void *arg, char *buffer, size_t len,
							   int64 offset);

/* How the column reader reaches the file's bytes. */
typedef struct ParquetFileAccess
{
	ParquetReadAt read_at;
	void	   *arg;
	int64		size;			/* of the file: no offset or length beyond it
								 * is believed */
} ParquetFileAccess;

/* One plain value, by physical type. */
typedef union ParquetPlain
{
	int32		i32;			/* BOOLEAN (0 or 1), INT32 */
	int64		i64;			/* INT64 */
	float4		f32;			/* FLOAT */
	float8		f64;			/* DOUBLE */
	struct
	{
		const char *data;
		int32		len;
	}			bytes;			/* BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96
								 * (12 bytes, as written) */
} ParquetPlain;

/*
 * Memory for a column's pages that outlives one chunk's reader: a column
 * read row group after row group keeps its page buffers, rather than
 * allocating fresh ones for each chunk (large allocations go back to the
 * system when freed, and the kernel faults them in again, page by page).
 * Either zeroed, its buffers then allocated in 'context', or borrowed from
 * the backend's pool (page_buffers.c), which keeps them for the next scan.
 */
typedef struct ParquetPageBuffers
{
	MemoryContext context;
	bool		pooled;			/* borrowed: buffers from and to the pool */
	char	   *stored;			/* a page as stored (compressed) */
	size_t		stored_size;
	char	   *plain;			/* a page decompressed */
	size_t		plain_size;
} ParquetPageBuffers;

/*
 * An empty set of page buffers lent by the backend's pool until 'borrower'
 * is reset or deleted; the pool keeps what comes back, up to a bound, for
 * the next scan.
 */
extern ParquetPageBuffers *parquet_page_buffers_borrow(MemoryContext borrower);

/*
 * One of the buffers of a set (*buffer, of *size bytes) made at least 'len'
 * bytes long; its old bytes are not kept when it has to grow.
 */
extern char *parquet_page_buffer(ParquetPageBuffers *buffers, char **buffer,
								 size_t *size, size_t len);

typedef struct ParquetColumnReader ParquetColumnReader;

/*
 * Prepare to read 'chunk' (of a row group of 'num_rows' rows), whose leaf
 * has physical type 'type' (type_length for FIXED_LEN_BYTE_ARRAY) and
 * definition levels up to 'max_definition_level' (0: REQUIRED).  Nothing is
 * read yet.  Pages are read into 'buffers' (NULL: the reader's own); the
 * rest of its memory lives in a child of the current memory context.
 */
extern ParquetColumnReader *parquet_column_open(const ParquetFileAccess *file,
												const ParquetColumnChunk *chunk,
												ParquetType type,
												int32 type_length,
												int max_definition_level,
												int64 num_rows,
												ParquetPageBuffers *buffers);

/*
 * Decode the next rows, at most 'max': values[i] is set when !isnull[i].
 * Byte values point into the reader's memory, valid until the next call.
 * With 'dictionary_index', each row's index in the chunk's dictionary
 * instead where it has one (values[i] is not set then), or -1 (a NULL, or
 * a value of a page that is not dictionary-encoded: a writer may fall back
 * to plain pages mid-chunk), so that a caller can convert each dictionary
 * value once.  Returns the count, 0 once num_rows
 * rows are read; a chunk whose pages hold fewer or more values than
 * num_rows is an ERROR.
 */
extern int	parquet_column_read(ParquetColumnReader *reader, int max,
								ParquetPlain *values, bool *isnull,
								int32 *dictionary_index);

/*
 * Values in the chunk's dictionary (0 before its dictionary page is read,
 * and for a chunk without one): every index read is below it.
 */
extern int32 parquet_column_dictionary_size(const ParquetColumnReader *reader);

/* The value of the dictionary at an index below its size. */
extern const ParquetPlain *parquet_column_dictionary_value(const ParquetColumnReader *reader,
														   int32 index);

/* Bytes of the file read so far (page headers and pages). */
extern int64 parquet_column_bytes_read(const ParquetColumnReader *reader);

extern void parquet_column_close(ParquetColumnReader *reader);

#endif							/* RITUAL_PARQUET_COLUMN_H */

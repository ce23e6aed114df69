/*-------------------------------------------------------------------------
 *
 * page_buffers.c
 *		  Page buffers kept by the backend from one scan to the next.
 *
 * A column's pages are read and decompressed into two buffers that grow
 * to the largest page (column.h).  A scan keeps them from row group to row
 * group; this pool keeps them from scan to scan: a buffer of a megabyte
 * or more is memory the kernel maps afresh at each allocation and faults
 * in page by page as it is written, which cost a query that reads one row
 * group of a file twice the time of its reading.  The pool is bounded:
 * what a scan gives back beyond KEPT_BYTES in all is freed.
 *
 * Buffers are lent to a memory context and come back when it is reset or
 * deleted, so that a scan that an error ends gives them back as well.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "column.h"

/* the most the pool keeps, in buffer sets and in bytes */
#define KEPT_SETS		32
#define KEPT_BYTES		(32 * 1024 * 1024)

static MemoryContext pool_context = NULL;
static ParquetPageBuffers *kept[KEPT_SETS];
static int	nkept = 0;
static size_t kept_bytes = 0;

/* A set of buffers lent to a memory context, until it is reset or deleted. */
typedef struct PageBuffersLoan
{
	MemoryContextCallback callback;
	ParquetPageBuffers *buffers;
} PageBuffersLoan;

static size_t
buffers_size(const ParquetPageBuffers *buffers)
{
	return buffers->stored_size + buffers->plain_size;
}

/* Keep a set the borrower is done with, or free it; allocates nothing. */
static void
give_back(void *arg)
{
	PageBuffersLoan *loan = arg;
	ParquetPageBuffers *buffers = loan->buffers;
	size_t		size = buffers_size(buffers);

	if (nkept < KEPT_SETS && size <= KEPT_BYTES - kept_bytes)
	{
		kept[nkept++] = buffers;
		kept_bytes += size;
		return;
	}
	if (buffers->stored != NULL)
		pfree(buffers->stored);
	if (buffers->plain != NULL)
		pfree(buffers->plain);
	pfree(buffers);
}

/*
 * parquet_page_buffers_borrow
 *		A set of page buffers, lent to 'borrower' until it is reset or
 *		deleted: one a scan before gave back (the largest), or a new one.
 */
ParquetPageBuffers *
parquet_page_buffers_borrow(MemoryContext borrower)
{
	PageBuffersLoan *loan;
	ParquetPageBuffers *buffers;

	if (pool_context == NULL)
		pool_context = AllocSetContextCreate(TopMemoryContext,
											 "ritual_fdw Parquet page buffers",
											 ALLOCSET_DEFAULT_SIZES);
	loan = MemoryContextAlloc(borrower, sizeof(PageBuffersLoan));
	if (nkept > 0)
	{
		int			largest = 0;

		for (int i = 1; i < nkept; i++)
		{
			if (buffers_size(kept[i]) > buffers_size(kept[largest]))
				largest = i;
		}
		buffers = kept[largest];
		kept[largest] = kept[--nkept];
		kept_bytes -= buffers_size(buffers);
	}
	else
	{
		buffers = MemoryContextAllocZero(pool_context,
										 sizeof(ParquetPageBuffers));
		buffers->context = pool_context;
	}
	loan->buffers = buffers;
	loan->callback.func = give_back;
	loan->callback.arg = loan;
	MemoryContextRegisterResetCallback(borrower, &loan->callback);
	return buffers;
}

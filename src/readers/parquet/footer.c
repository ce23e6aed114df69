/*-------------------------------------------------------------------------
 *
 * footer.c
 *		  Find and read the footer of a Parquet file: its "PAR1" magic at
 *		  both ends and the FileMetaData before the last eight bytes.
 *
 * A Parquet file ends with the encoded FileMetaData, its length as a
 * 4-byte little-endian integer, and "PAR1".  The length is checked against
 * the file's size before anything is allocated, so a lying file costs no
 * more memory than its own size.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "parquet.h"
#include "storage/fd.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#define PARQUET_MAGIC		"PAR1"
#define PARQUET_MAGIC_ENCRYPTED "PARE"
#define MAGIC_LEN			4
/* magic, footer length, magic */
#define MIN_FILE_LEN		(MAGIC_LEN + 4 + MAGIC_LEN)

static void
not_parquet(const char *path, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("file \"%s\" is not Parquet: %s", path, why)));
}

/*
 * parquet_file_open
 *		Open the Parquet file at 'path' and read its footer, in the current
 *		memory context.  The file stays open (a transient file, closed at
 *		transaction end if an error comes first) until parquet_file_close.
 */
ParquetFile *
parquet_file_open(const char *path)
{
	ParquetFile *file = palloc0(sizeof(ParquetFile));
	struct stat st;
	char		tail[MAGIC_LEN + 4];
	char		head[MAGIC_LEN];
	uint32		footer_len;
	char	   *footer;

	/* before opening: opening a FIFO would wait for a writer */
	if (stat(path, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a directory, not a Parquet file", path)));
	if (!S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a regular file", path)));

	file->path = path;
	file->fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (file->fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	/* the size of what was opened, which a rename may have replaced */
	if (fstat(file->fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (!S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a regular file", path)));
	if (st.st_size < MIN_FILE_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("file \"%s\" is not Parquet: it has %lld bytes, fewer than the %d of an empty Parquet file",
						path, (long long) st.st_size, MIN_FILE_LEN)));
	file->size = st.st_size;
	file->modified = time_t_to_timestamptz(st.st_mtim.tv_sec) +
		st.st_mtim.tv_nsec / 1000;

	parquet_file_read_at(file, head, MAGIC_LEN, 0);
	parquet_file_read_at(file, tail, sizeof(tail), st.st_size - sizeof(tail));
	if (memcmp(tail + 4, PARQUET_MAGIC_ENCRYPTED, MAGIC_LEN) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("file \"%s\" is an encrypted Parquet file, which ritual cannot read",
						path)));
	if (memcmp(head, PARQUET_MAGIC, MAGIC_LEN) != 0)
		not_parquet(path, "no PAR1 magic at its start");
	if (memcmp(tail + 4, PARQUET_MAGIC, MAGIC_LEN) != 0)
		not_parquet(path, "no PAR1 magic at its end");

	footer_len = (uint32) (uint8) tail[0] |
		((uint32) (uint8) tail[1] << 8) |
		((uint32) (uint8) tail[2] << 16) |
		((uint32) (uint8) tail[3] << 24);
	if (footer_len > st.st_size - MIN_FILE_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("footer length %u of Parquet file \"%s\" exceeds file size",
						footer_len, path),
				 errdetail("The file has %lld bytes, so its footer can have %lld at most.",
						   (long long) st.st_size,
						   (long long) st.st_size - MIN_FILE_LEN)));
	if (footer_len == 0)
		not_parquet(path, "its footer is empty");
	if (!AllocSizeIsValid(footer_len))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("footer of Parquet file \"%s\" is too large: %u bytes",
						path, footer_len)));

	footer = palloc(footer_len);
	parquet_file_read_at(file, footer, footer_len,
						 st.st_size - sizeof(tail) - footer_len);
	file->meta = parquet_decode_metadata(footer, footer_len, path);
	pfree(footer);
	return file;
}

/*
 * parquet_file_read_at
 *		Read exactly 'len' bytes at 'offset' (a ParquetReadAt for the column
 *		readers), or raise an ERROR.
 */
void
parquet_file_read_at(void *arg, char *buffer, size_t len, int64 offset)
{
	ParquetFile *file = arg;
	size_t		done = 0;

	if (offset < 0 || offset > file->size || len > (size_t) (file->size - offset))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("file \"%s\" has " INT64_FORMAT " bytes, but " INT64_FORMAT " bytes at offset " INT64_FORMAT " were to be read",
						file->path, file->size, (int64) len, offset)));
	while (done < len)
	{
		ssize_t		n;

		CHECK_FOR_INTERRUPTS();
		n = pg_pread(file->fd, buffer + done, len - done, offset + done);
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", file->path)));
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("file \"%s\" is shorter than it was: it changed while being read",
							file->path)));
		done += n;
	}
	file->bytes_read += len;
}

void
parquet_file_close(ParquetFile *file)
{
	if (file->fd >= 0)
		CloseTransientFile(file->fd);
	file->fd = -1;
}

/*
 * parquet_read_footer
 *		The footer of the Parquet file at 'path', in the current memory
 *		context.
 */
ParquetFileMetaData *
parquet_read_footer(const char *path)
{
	ParquetFile *file = parquet_file_open(path);

	parquet_file_close(file);
	return file->meta;
}

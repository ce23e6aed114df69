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

#include "parquet.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#define PARQUET_MAGIC		"PAR1"
#define PARQUET_MAGIC_ENCRYPTED "PARE"
#define MAGIC_LEN			4
/* magic, footer length, magic */
#define MIN_FILE_LEN		(MAGIC_LEN + 4 + MAGIC_LEN)

static void
read_exactly(int fd, const char *path, char *buffer, size_t len, off_t offset)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = pg_pread(fd, buffer + done, len - done, offset + done);

		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("file \"%s\" is shorter than it was: it changed while being read",
							path)));
		done += n;
	}
}

static void
not_parquet(const char *path, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("file \"%s\" is not Parquet: %s", path, why)));
}

/*
 * Read and decode the footer of the Parquet file at 'path', in the current
 * memory context.
 */
ParquetFileMetaData *
parquet_read_footer(const char *path)
{
	struct stat st;
	int			fd;
	char		tail[MAGIC_LEN + 4];
	char		head[MAGIC_LEN];
	uint32		footer_len;
	char	   *footer;
	ParquetFileMetaData *md;

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

	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	/* the size of what was opened, which a rename may have replaced */
	if (fstat(fd, &st) != 0)
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

	read_exactly(fd, path, head, MAGIC_LEN, 0);
	read_exactly(fd, path, tail, sizeof(tail), st.st_size - sizeof(tail));
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
	read_exactly(fd, path, footer, footer_len,
				 st.st_size - sizeof(tail) - footer_len);
	CloseTransientFile(fd);

	md = parquet_decode_metadata(footer, footer_len, path);
	pfree(footer);
	return md;
}

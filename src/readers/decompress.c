/*-------------------------------------------------------------------------
 *
 * decompress.c
 *		  Decompress gzip (zlib) and zstd files as the reader reads them.
 *
 * The reader asks for bytes; a decompressor pulls compressed bytes from the
 * file through the reader's own read function and hands back plain ones.
 * Concatenated gzip members and zstd frames are read one after another.  A
 * corrupt or truncated file is an error naming it, never a short read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <zlib.h>
#include <zstd.h>

#include "utils/memutils.h"

#include "ritual.h"

/* tests/fuzz builds the decompressors with a buffer of a few bytes */
#ifndef COMPRESSED_BUFFER_SIZE
#define COMPRESSED_BUFFER_SIZE	(256 * 1024)
#endif

struct Decompressor
{
	RitualCompression kind;
	const char *path;
	char	   *input;			/* compressed bytes read, not yet used */
	Size		input_len;
	Size		input_pos;
	bool		input_done;		/* the file has no more bytes */
	MemoryContextCallback cleanup;

	/* gzip */
	z_stream	zs;
	bool		member_open;	/* inside a gzip member */

	/* zstd */
	ZSTD_DStream *zds;
	size_t		frame_left;		/* ZSTD_decompressStream's last hint; 0 at
								 * a frame's end */
};

/*
 * ritual_compression_of
 *		How file 'path' is read: as its name's ending says (.gz, .zst or
 *		.zstd, and .csv for none), else as option compression says.  A name
 *		decides first, so that a table that writes one compression still
 *		reads the files it wrote before with another.
 */
RitualCompression
ritual_compression_of(RitualCompression option, const char *path)
{
	size_t		len = strlen(path);

	if (len > 3 && strcmp(path + len - 3, ".gz") == 0)
		return RITUAL_COMPRESSION_GZIP;
	if ((len > 4 && strcmp(path + len - 4, ".zst") == 0) ||
		(len > 5 && strcmp(path + len - 5, ".zstd") == 0))
		return RITUAL_COMPRESSION_ZSTD;
	if (len > 4 && strcmp(path + len - 4, ".csv") == 0)
		return RITUAL_COMPRESSION_NONE;
	/* snappy compresses Parquet pages, never a whole file */
	return option == RITUAL_COMPRESSION_AUTO ||
		option == RITUAL_COMPRESSION_SNAPPY ? RITUAL_COMPRESSION_NONE : option;
}

/* zlib allocates in the decompressor's memory context. */
static voidpf
zlib_alloc(voidpf opaque, uInt items, uInt size)
{
	return MemoryContextAllocExtended((MemoryContext) opaque,
									  (Size) items * size, MCXT_ALLOC_NO_OOM);
}

static void
zlib_free(pg_attribute_unused() voidpf opaque, voidpf address)
{
	pfree(address);
}

/* libzstd allocates with malloc: free it with the memory it belongs to. */
static void
free_zstd_stream(void *arg)
{
	Decompressor *d = arg;

	if (d->zds != NULL)
		ZSTD_freeDStream(d->zds);
	d->zds = NULL;
}

/*
 * decompress_begin
 *		A decompressor for 'path', or NULL when the file is not compressed.
 */
Decompressor *
decompress_begin(RitualCompression kind, const char *path)
{
	Decompressor *d;

	if (kind == RITUAL_COMPRESSION_NONE)
		return NULL;
	d = palloc0(sizeof(Decompressor));
	d->kind = kind;
	d->path = path;
	d->input = palloc(COMPRESSED_BUFFER_SIZE);
	if (kind == RITUAL_COMPRESSION_GZIP)
	{
		d->zs.zalloc = zlib_alloc;
		d->zs.zfree = zlib_free;
		d->zs.opaque = CurrentMemoryContext;
		/* 16 + MAX_WBITS: a gzip header, not a raw zlib stream */
		if (inflateInit2(&d->zs, 16 + MAX_WBITS) != Z_OK)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not start decompressing file \"%s\"", path)));
	}
	else
	{
		d->cleanup.func = free_zstd_stream;
		d->cleanup.arg = d;
		MemoryContextRegisterResetCallback(CurrentMemoryContext, &d->cleanup);
		d->zds = ZSTD_createDStream();
		if (d->zds == NULL || ZSTD_isError(ZSTD_initDStream(d->zds)))
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not start decompressing file \"%s\"", path)));
	}
	return d;
}

/* Make compressed input available; false once the file is used up. */
static bool
fill_input(Decompressor *d, RitualReadRaw read_raw, void *arg)
{
	ssize_t		nread;

	if (d->input_pos < d->input_len)
		return true;
	if (d->input_done)
		return false;
	nread = read_raw(arg, d->input, COMPRESSED_BUFFER_SIZE);
	d->input_pos = 0;
	d->input_len = nread;
	if (nread == 0)
		d->input_done = true;
	return nread > 0;
}

static void
report_corrupt(Decompressor *d, const char *format_name, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("file \"%s\" is not valid %s data", d->path, format_name),
			 detail ? errdetail("%s", detail) : 0,
			 errhint("Check the file, or set option compression to match how it was written.")));
}

static void
report_truncated(Decompressor *d, const char *format_name)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("file \"%s\" ends in the middle of its %s data", d->path,
					format_name),
			 errhint("The file may be truncated, or still being written.")));
}

static Size
gzip_read(Decompressor *d, char *out, Size len, RitualReadRaw read_raw,
		  void *arg)
{
	d->zs.next_out = (Bytef *) out;
	d->zs.avail_out = len;
	while (d->zs.avail_out > 0)
	{
		int			ret;

		if (!fill_input(d, read_raw, arg))
		{
			if (!d->member_open)
				break;
			/* no input left, but inflate may hold some: let it finish */
			d->zs.next_in = (Bytef *) d->input;
			d->zs.avail_in = 0;
			ret = inflate(&d->zs, Z_NO_FLUSH);
			if (ret == Z_STREAM_END)
				d->member_open = false;
			else if (ret == Z_BUF_ERROR)
				report_truncated(d, "gzip");
			else if (ret != Z_OK)
				report_corrupt(d, "gzip", d->zs.msg);
			continue;
		}
		if (!d->member_open)
		{
			/* a new member, concatenated after the last one */
			if (inflateReset(&d->zs) != Z_OK)
				report_corrupt(d, "gzip", d->zs.msg);
			d->member_open = true;
		}
		d->zs.next_in = (Bytef *) d->input + d->input_pos;
		d->zs.avail_in = d->input_len - d->input_pos;
		ret = inflate(&d->zs, Z_NO_FLUSH);
		d->input_pos = d->input_len - d->zs.avail_in;
		if (ret == Z_STREAM_END)
			d->member_open = false;
		else if (ret != Z_OK && ret != Z_BUF_ERROR)
			report_corrupt(d, "gzip", d->zs.msg);
	}
	return len - d->zs.avail_out;
}

static Size
zstd_read(Decompressor *d, char *out, Size len, RitualReadRaw read_raw,
		  void *arg)
{
	ZSTD_outBuffer output = {out, len, 0};

	while (output.pos < output.size)
	{
		ZSTD_inBuffer input;
		size_t		ret;

		if (!fill_input(d, read_raw, arg))
		{
			size_t		before = output.pos;

			if (d->frame_left == 0)
				break;
			/* no input left, but the frame may still have output to give */
			input.src = d->input;
			input.size = input.pos = 0;
			ret = ZSTD_decompressStream(d->zds, &output, &input);
			if (ZSTD_isError(ret))
				report_corrupt(d, "zstd", ZSTD_getErrorName(ret));
			if (output.pos == before && ret != 0)
				report_truncated(d, "zstd");
			d->frame_left = ret;
			continue;
		}
		input.src = d->input;
		input.size = d->input_len;
		input.pos = d->input_pos;
		ret = ZSTD_decompressStream(d->zds, &output, &input);
		d->input_pos = input.pos;
		if (ZSTD_isError(ret))
			report_corrupt(d, "zstd", ZSTD_getErrorName(ret));
		d->frame_left = ret;
	}
	return output.pos;
}

/*
 * decompress_read
 *		Up to 'len' decompressed bytes into 'out'; 0 at the end of the file.
 *		Compressed bytes come from read_raw(arg, buffer, size).
 */
Size
decompress_read(Decompressor *d, char *out, Size len, RitualReadRaw read_raw,
				void *arg)
{
	if (d->kind == RITUAL_COMPRESSION_GZIP)
		return gzip_read(d, out, len, read_raw, arg);
	return zstd_read(d, out, len, read_raw, arg);
}

/*
 * decompress_end
 *		Free the decompressor.
 */
void
decompress_end(Decompressor *d)
{
	if (d->kind == RITUAL_COMPRESSION_GZIP)
		inflateEnd(&d->zs);
	else
		free_zstd_stream(d);
	pfree(d->input);
}

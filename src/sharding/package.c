/*-------------------------------------------------------------------------
 *
 * package.c
 *		  What a worker sends its coordinator, packed: a text (its
 *		  aggregates as JSON) compressed with zstd and written in base64,
 *		  so that one value crosses the network per worker and query, a
 *		  fraction of the rows' size (postgres_fdw and dblink move values
 *		  as text: base64 costs a third, a bytea's hex twice).
 *
 * ritual.pack_text(text) and ritual.unpack_text(text), internal to the
 * coordinator's builds (src/sql/code/shards.sql, coordinator.sql).  What
 * unpack_text reads comes from another server: it is bounded, checked,
 * and refused with an error when it is not a package of valid text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <zstd.h>

#include "common/base64.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "writers/compress.h"

PG_FUNCTION_INFO_V1(ritual_pack_text);
PG_FUNCTION_INFO_V1(ritual_unpack_text);

Datum
ritual_pack_text(PG_FUNCTION_ARGS)
{
	text	   *plain = PG_GETARG_TEXT_PP(0);
	StringInfoData packed;
	int			encoded_len;
	text	   *result;

	initStringInfo(&packed);
	ritual_compress(RITUAL_COMPRESSION_ZSTD, VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain),
					&packed);
	if ((Size) pg_b64_enc_len(packed.len) > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a package of %d compressed bytes is too large", packed.len)));
	result = palloc(VARHDRSZ + pg_b64_enc_len(packed.len));
	encoded_len = pg_b64_encode(packed.data, packed.len, VARDATA(result),
								pg_b64_enc_len(packed.len));
	if (encoded_len < 0)
		elog(ERROR, "could not encode a package in base64");
	SET_VARSIZE(result, VARHDRSZ + encoded_len);
	PG_RETURN_TEXT_P(result);
}

static void
report_bad_package(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid package from a worker"),
			 errdetail("%s", detail)));
}

Datum
ritual_unpack_text(PG_FUNCTION_ARGS)
{
	text	   *encoded = PG_GETARG_TEXT_PP(0);
	int			encoded_len = VARSIZE_ANY_EXHDR(encoded);
	int			packed_room = pg_b64_dec_len(encoded_len);
	char	   *packed = palloc(packed_room + 1);
	int			packed_len;
	unsigned long long plain_len;
	text	   *result;
	size_t		written;

	packed_len = pg_b64_decode(VARDATA_ANY(encoded), encoded_len, packed, packed_room);
	if (packed_len < 0)
		report_bad_package("It is not base64.");
	plain_len = ZSTD_getFrameContentSize(packed, packed_len);
	if (plain_len == ZSTD_CONTENTSIZE_ERROR || plain_len == ZSTD_CONTENTSIZE_UNKNOWN)
		report_bad_package("It is not one zstd frame that says its size.");
	if (plain_len > MaxAllocSize - VARHDRSZ)
		report_bad_package("Its text would exceed 1 GB.");
	result = palloc(VARHDRSZ + plain_len);
	written = ZSTD_decompress(VARDATA(result), plain_len, packed, packed_len);
	if (ZSTD_isError(written))
		report_bad_package(ZSTD_getErrorName(written));
	if (written != plain_len)
		report_bad_package("Its text is shorter than its frame says.");
	/* it becomes a text of this database: valid in its encoding */
	(void) pg_verify_mbstr(GetDatabaseEncoding(), VARDATA(result), (int) written, false);
	SET_VARSIZE(result, VARHDRSZ + written);
	pfree(packed);
	PG_RETURN_TEXT_P(result);
}

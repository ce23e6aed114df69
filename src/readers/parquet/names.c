/*-------------------------------------------------------------------------
 *
 * names.c
 *		  The names parquet.thrift gives the values of its enums, for
 *		  showing metadata to people.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "parquet.h"

static const char *
name_in(const char *const *names, int count, int value)
{
	if (value < 0 || value >= count)
		return NULL;
	return names[value];
}

const char *
parquet_type_name(int type)
{
	static const char *const names[] = {
		"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY",
		"FIXED_LEN_BYTE_ARRAY"
	};

	return name_in(names, lengthof(names), type);
}

const char *
parquet_converted_type_name(int converted_type)
{
	static const char *const names[] = {
		"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE",
		"TIME_MILLIS", "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS",
		"UINT_8", "UINT_16", "UINT_32", "UINT_64", "INT_8", "INT_16", "INT_32",
		"INT_64", "JSON", "BSON", "INTERVAL"
	};

	return name_in(names, lengthof(names), converted_type);
}

const char *
parquet_repetition_name(int repetition_type)
{
	static const char *const names[] = {"REQUIRED", "OPTIONAL", "REPEATED"};

	return name_in(names, lengthof(names), repetition_type);
}

const char *
parquet_codec_name(int codec)
{
	static const char *const names[] = {
		"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD",
		"LZ4_RAW"
	};

	return name_in(names, lengthof(names), codec);
}

const char *
parquet_encoding_name(int encoding)
{
	/* 1 was GROUP_VAR_INT, never used */
	static const char *const names[] = {
		"PLAIN", NULL, "PLAIN_DICTIONARY", "RLE", "BIT_PACKED",
		"DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
		"RLE_DICTIONARY", "BYTE_STREAM_SPLIT", "ALP"
	};

	return name_in(names, lengthof(names), encoding);
}

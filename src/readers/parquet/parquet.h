/*-------------------------------------------------------------------------
 *
 * parquet.h
 *		  Parquet's file metadata (the footer) as ritual reads it: the parts
 *		  of parquet.thrift's FileMetaData that planning and inspecting a
 *		  file need, decoded into plain structs.
 *
 * Optional fields the file left out are flagged by a has_ member (or are
 * NULL); numbers are as the file says, unchecked beyond their width.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_PARQUET_H
#define RITUAL_PARQUET_H

#include "datatype/timestamp.h"

/* parquet.thrift's enum Type */
typedef enum ParquetType
{
	PARQUET_BOOLEAN = 0,
	PARQUET_INT32 = 1,
	PARQUET_INT64 = 2,
	PARQUET_INT96 = 3,
	PARQUET_FLOAT = 4,
	PARQUET_DOUBLE = 5,
	PARQUET_BYTE_ARRAY = 6,
	PARQUET_FIXED_LEN_BYTE_ARRAY = 7
} ParquetType;

/* parquet.thrift's union LogicalType: the member's field id, or 0 for none */
typedef enum ParquetLogicalKind
{
	PARQUET_LOGICAL_NONE = 0,
	PARQUET_LOGICAL_STRING = 1,
	PARQUET_LOGICAL_MAP = 2,
	PARQUET_LOGICAL_LIST = 3,
	PARQUET_LOGICAL_ENUM = 4,
	PARQUET_LOGICAL_DECIMAL = 5,
	PARQUET_LOGICAL_DATE = 6,
	PARQUET_LOGICAL_TIME = 7,
	PARQUET_LOGICAL_TIMESTAMP = 8,
	PARQUET_LOGICAL_INTEGER = 10,
	PARQUET_LOGICAL_UNKNOWN = 11,
	PARQUET_LOGICAL_JSON = 12,
	PARQUET_LOGICAL_BSON = 13,
	PARQUET_LOGICAL_UUID = 14,
	PARQUET_LOGICAL_FLOAT16 = 15,
	PARQUET_LOGICAL_VARIANT = 16,
	PARQUET_LOGICAL_GEOMETRY = 17,
	PARQUET_LOGICAL_GEOGRAPHY = 18
} ParquetLogicalKind;

/* TimeUnit's members */
typedef enum ParquetTimeUnit
{
	PARQUET_UNIT_NONE = 0,
	PARQUET_MILLIS = 1,
	PARQUET_MICROS = 2,
	PARQUET_NANOS = 3
} ParquetTimeUnit;

typedef struct ParquetLogicalType
{
	int			kind;			/* ParquetLogicalKind, or another member's id */
	int32		scale;			/* DECIMAL */
	int32		precision;		/* DECIMAL */
	bool		adjusted_to_utc;	/* TIME, TIMESTAMP */
	ParquetTimeUnit unit;		/* TIME, TIMESTAMP */
	int			bit_width;		/* INTEGER */
	bool		is_signed;		/* INTEGER */
} ParquetLogicalType;

typedef struct ParquetSchemaElement
{
	char	   *name;
	bool		has_type;
	ParquetType type;
	bool		has_type_length;
	int32		type_length;
	bool		has_repetition_type;
	int32		repetition_type;	/* 0 REQUIRED, 1 OPTIONAL, 2 REPEATED */
	bool		has_num_children;
	int32		num_children;
	bool		has_converted_type;
	int32		converted_type;
	bool		has_scale;
	int32		scale;
	bool		has_precision;
	int32		precision;
	bool		has_field_id;
	int32		field_id;
	ParquetLogicalType logical_type;
} ParquetSchemaElement;

/* a min or max as written: raw bytes in the column's physical encoding */
typedef struct ParquetValue
{
	char	   *data;			/* NULL when absent */
	int			len;
} ParquetValue;

typedef struct ParquetStatistics
{
	ParquetValue max;			/* deprecated: sorted as signed values */
	ParquetValue min;
	bool		has_null_count;
	int64		null_count;
	bool		has_distinct_count;
	int64		distinct_count;
	ParquetValue max_value;
	ParquetValue min_value;
} ParquetStatistics;

typedef struct ParquetColumnMetaData
{
	ParquetType type;
	int			num_encodings;
	int32	   *encodings;
	int			path_length;
	char	  **path_in_schema;
	int32		codec;
	int64		num_values;
	int64		total_uncompressed_size;
	int64		total_compressed_size;
	int64		data_page_offset;
	bool		has_index_page_offset;
	int64		index_page_offset;
	bool		has_dictionary_page_offset;
	int64		dictionary_page_offset;
	bool		has_statistics;
	ParquetStatistics statistics;
} ParquetColumnMetaData;

typedef struct ParquetColumnChunk
{
	char	   *file_path;		/* NULL: in this file */
	int64		file_offset;
	bool		has_meta_data;
	ParquetColumnMetaData meta_data;
} ParquetColumnChunk;

typedef struct ParquetRowGroup
{
	int			num_columns;
	ParquetColumnChunk *columns;
	int64		total_byte_size;
	int64		num_rows;
} ParquetRowGroup;

typedef struct ParquetKeyValue
{
	char	   *key;
	char	   *value;			/* NULL when absent */
} ParquetKeyValue;

typedef struct ParquetFileMetaData
{
	int32		version;
	int			num_schema;
	ParquetSchemaElement *schema;
	int64		num_rows;
	int			num_row_groups;
	ParquetRowGroup *row_groups;
	int			num_key_value;
	ParquetKeyValue *key_value_metadata;
	char	   *created_by;		/* NULL when absent */
} ParquetFileMetaData;

/* metadata.c */
extern ParquetFileMetaData *parquet_decode_metadata(const char *data, size_t len,
													const char *file);

/* footer.c */
typedef struct ParquetFile
{
	const char *path;
	int			fd;
	int64		size;
	TimestampTz modified;		/* as discovery tells it */
	ParquetFileMetaData *meta;
	int64		bytes_read;		/* by parquet_file_read_at */
} ParquetFile;

extern ParquetFile *parquet_file_open(const char *path);
extern void parquet_file_read_at(void *arg, char *buffer, size_t len,
								 int64 offset);
extern void parquet_file_close(ParquetFile *file);
extern ParquetFileMetaData *parquet_read_footer(const char *path);

/* row_counts.c */
extern void parquet_remember_rows(const char *path, int64 size,
								  TimestampTz modified, int64 rows);
extern bool parquet_known_rows(const char *path, int64 size,
							   TimestampTz modified, int64 *rows);

/* values.c: what a leaf's values mean, by its LogicalType or ConvertedType */
typedef struct ParquetMeaning
{
	ParquetLogicalKind kind;	/* NONE when neither says anything */
	int32		scale;			/* DECIMAL */
	bool		utc;			/* TIME, TIMESTAMP: adjusted to UTC */
	ParquetTimeUnit unit;		/* TIME, TIMESTAMP */
	bool		is_unsigned;	/* INTEGER */
	int			bit_width;		/* INTEGER: 8, 16, 32 or 64; 0 unsaid */
	int32		precision;		/* DECIMAL; 0 unsaid */
} ParquetMeaning;

extern ParquetMeaning parquet_meaning(const ParquetSchemaElement *leaf);
extern char *parquet_value_text(const ParquetSchemaElement *leaf, ParquetType type,
								const ParquetValue *value);
extern bool parquet_signed_order(const ParquetSchemaElement *leaf);

/* names.c: names of parquet.thrift's enums' values, or NULL for a value it lacks */
extern const char *parquet_type_name(int type);
extern const char *parquet_converted_type_name(int converted_type);
extern const char *parquet_repetition_name(int repetition_type);
extern const char *parquet_codec_name(int codec);
extern const char *parquet_encoding_name(int encoding);

#endif							/* RITUAL_PARQUET_H */

/*-------------------------------------------------------------------------
 *
 * page.c
 *		  Decode a Parquet PageHeader (Thrift's compact protocol) into a
 *		  ParquetPageHeader: the page's type and sizes, and its data page
 *		  (v1 or v2) or dictionary page header.
 *
 * Field ids follow parquet.thrift.  Statistics, CRCs and index pages are
 * skipped; a required field that is missing is an error.  What the values
 * mean (sizes against the chunk, encodings against the type) is checked by
 * column.c, which knows the chunk.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pages.h"

/* one integer (or boolean) field of a page's header and where it goes */
typedef struct HeaderField
{
	int			id;
	size_t		offset;			/* in ParquetPageHeader */
	bool		boolean;
} HeaderField;

/* decoding one of the headers inside a PageHeader, by its table */
typedef struct HeaderDecoding
{
	ParquetPageHeader *header;
	const HeaderField *fields;
	int			count;
} HeaderDecoding;

#define INT_FIELD(id, member) {id, offsetof(ParquetPageHeader, member), false}

static const HeaderField data_page_fields[] = {
	INT_FIELD(1, num_values),
	INT_FIELD(2, encoding),
	INT_FIELD(3, definition_level_encoding),
	INT_FIELD(4, repetition_level_encoding),
};

static const HeaderField data_page_v2_fields[] = {
	INT_FIELD(1, num_values),
	INT_FIELD(2, num_nulls),
	INT_FIELD(4, encoding),
	INT_FIELD(5, definition_levels_byte_length),
	INT_FIELD(6, repetition_levels_byte_length),
	{7, offsetof(ParquetPageHeader, is_compressed), true},
};

static const HeaderField dictionary_page_fields[] = {
	INT_FIELD(1, num_values),
	INT_FIELD(2, encoding),
};

static bool
header_field(ThriftReader *r, void *element, const ThriftField *f)
{
	HeaderDecoding *d = element;

	for (int i = 0; i < d->count; i++)
	{
		char	   *member = (char *) d->header + d->fields[i].offset;

		if (d->fields[i].id != f->id)
			continue;
		if (d->fields[i].boolean)
			*(bool *) member = thrift_read_bool(r, f->type);
		else
			*(int32 *) member = thrift_read_i32(r, f->type);
		return true;
	}
	return false;
}

/* the header of a page of type 'type', by its table */
static void
decode_header(ThriftReader *r, ParquetPageHeader *h, const ThriftField *f,
			  int32 type, const HeaderField *fields, int count,
			  uint64 required, const char *name)
{
	HeaderDecoding d = {h, fields, count};

	if (f->type != THRIFT_STRUCT)
		thrift_error(r, "%s has type %d, not a struct", name, f->type);
	h->header_of = type;
	thrift_decode_struct(r, &d, header_field, required, name);
}

static bool
page_header_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetPageHeader *h = element;

	switch (f->id)
	{
		case 1:
			h->type = thrift_read_i32(r, f->type);
			return true;
		case 2:
			h->uncompressed_page_size = thrift_read_i32(r, f->type);
			return true;
		case 3:
			h->compressed_page_size = thrift_read_i32(r, f->type);
			return true;
		case 5:
			decode_header(r, h, f, PARQUET_PAGE_DATA, data_page_fields,
						  lengthof(data_page_fields),
						  THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(2) |
						  THRIFT_FIELD_BIT(3) | THRIFT_FIELD_BIT(4),
						  "DataPageHeader");
			return true;
		case 7:
			decode_header(r, h, f, PARQUET_PAGE_DICTIONARY, dictionary_page_fields,
						  lengthof(dictionary_page_fields),
						  THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(2),
						  "DictionaryPageHeader");
			return true;
		case 8:
			decode_header(r, h, f, PARQUET_PAGE_DATA_V2, data_page_v2_fields,
						  lengthof(data_page_v2_fields),
						  THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(2) |
						  THRIFT_FIELD_BIT(3) | THRIFT_FIELD_BIT(4) |
						  THRIFT_FIELD_BIT(5) | THRIFT_FIELD_BIT(6),
						  "DataPageHeaderV2");
			return true;
		default:
			return false;
	}
}

/*
 * Decode the PageHeader at r's position; r->pos is left after it.  The
 * header of the page's type must be there.
 */
void
parquet_decode_page_header(ThriftReader *r, ParquetPageHeader *h)
{
	memset(h, 0, sizeof(*h));
	h->type = -1;
	h->header_of = -1;
	h->is_compressed = true;
	thrift_decode_struct(r, h, page_header_field,
						 THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(2) | THRIFT_FIELD_BIT(3),
						 "PageHeader");
	if ((h->type == PARQUET_PAGE_DATA || h->type == PARQUET_PAGE_DATA_V2 ||
		 h->type == PARQUET_PAGE_DICTIONARY) && h->header_of != h->type)
		thrift_error(r, "a page of type %d lacks its %s", h->type,
					 h->type == PARQUET_PAGE_DATA ? "DataPageHeader" :
					 h->type == PARQUET_PAGE_DATA_V2 ? "DataPageHeaderV2" :
					 "DictionaryPageHeader");
}

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

static bool
data_page_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetPageHeader *h = element;

	switch (f->id)
	{
		case 1:
			h->num_values = thrift_read_i32(r, f->type);
			return true;
		case 2:
			h->encoding = thrift_read_i32(r, f->type);
			return true;
		case 3:
			h->definition_level_encoding = thrift_read_i32(r, f->type);
			return true;
		case 4:
			h->repetition_level_encoding = thrift_read_i32(r, f->type);
			return true;
		default:
			return false;
	}
}

static bool
data_page_v2_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetPageHeader *h = element;

	switch (f->id)
	{
		case 1:
			h->num_values = thrift_read_i32(r, f->type);
			return true;
		case 2:
			h->num_nulls = thrift_read_i32(r, f->type);
			return true;
		case 4:
			h->encoding = thrift_read_i32(r, f->type);
			return true;
		case 5:
			h->definition_levels_byte_length = thrift_read_i32(r, f->type);
			return true;
		case 6:
			h->repetition_levels_byte_length = thrift_read_i32(r, f->type);
			return true;
		case 7:
			h->is_compressed = thrift_read_bool(r, f->type);
			return true;
		default:
			return false;
	}
}

static bool
dictionary_page_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetPageHeader *h = element;

	switch (f->id)
	{
		case 1:
			h->num_values = thrift_read_i32(r, f->type);
			return true;
		case 2:
			h->encoding = thrift_read_i32(r, f->type);
			return true;
		default:
			return false;
	}
}

static void
expect_struct(ThriftReader *r, const ThriftField *f, const char *what)
{
	if (f->type != THRIFT_STRUCT)
		thrift_error(r, "%s has type %d, not a struct", what, f->type);
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
			expect_struct(r, f, "DataPageHeader");
			h->header_of = PARQUET_PAGE_DATA;
			thrift_decode_struct(r, h, data_page_field,
								 THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(2) |
								 THRIFT_FIELD_BIT(3) | THRIFT_FIELD_BIT(4),
								 "DataPageHeader");
			return true;
		case 7:
			expect_struct(r, f, "DictionaryPageHeader");
			h->header_of = PARQUET_PAGE_DICTIONARY;
			thrift_decode_struct(r, h, dictionary_page_field,
								 THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(2),
								 "DictionaryPageHeader");
			return true;
		case 8:
			expect_struct(r, f, "DataPageHeaderV2");
			h->header_of = PARQUET_PAGE_DATA_V2;
			thrift_decode_struct(r, h, data_page_v2_field,
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

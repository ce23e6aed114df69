/*-------------------------------------------------------------------------
 *
 * ritual.h
 *		  Declarations shared by the parts of ritual_fdw: options, file
 *		  discovery, the CSV reader and the row converter.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_H
#define RITUAL_H

#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "nodes/bitmapset.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"
#include "utils/relcache.h"

/*
 * The bytes a record may hold: by default, and at most (option
 * max_record_size); and the fields it may have.
 */
#define RITUAL_DEFAULT_RECORD_BYTES	((int64) 64 * 1024 * 1024)
#define RITUAL_MAX_RECORD_BYTES		((int64) 1024 * 1024 * 1024)
#define RITUAL_MAX_FIELDS			100000

/* rows of a Parquet row group ritual writes: DuckDB's default, and a cap */
#define RITUAL_DEFAULT_ROW_GROUP_ROWS	122880
#define RITUAL_MAX_ROW_GROUP_ROWS		100000000

/* How many bytes of an offending value error messages show. */
#define RITUAL_SHOWN_VALUE_BYTES	40

typedef enum RitualOnError
{
	RITUAL_ON_ERROR_STOP,		/* raise an ERROR (the default) */
	RITUAL_ON_ERROR_NULL,		/* bad field becomes NULL, the row is kept */
	RITUAL_ON_ERROR_SKIP		/* the row is dropped */
} RitualOnError;

typedef enum RitualCompression
{
	RITUAL_COMPRESSION_AUTO,	/* by the file name's ending */
	RITUAL_COMPRESSION_NONE,
	RITUAL_COMPRESSION_GZIP,
	RITUAL_COMPRESSION_ZSTD,
	RITUAL_COMPRESSION_SNAPPY	/* Parquet's pages only */
} RitualCompression;

typedef enum RitualFormat
{
	RITUAL_FORMAT_AUTO,			/* by the file name's ending */
	RITUAL_FORMAT_CSV,
	RITUAL_FORMAT_PARQUET
} RitualFormat;

typedef enum RitualMeta
{
	RITUAL_META_NONE,			/* an ordinary column read from the file */
	RITUAL_META_FILENAME,		/* the file the row came from */
	RITUAL_META_LINE,			/* the physical line where the record starts */
	RITUAL_META_ERRORS			/* what on_error 'null' replaced, or NULL */
} RitualMeta;

/* How one table column is filled. */
typedef struct RitualColumn
{
	bool		dropped;		/* attribute is dropped: always NULL */
	RitualMeta	meta;			/* filled by the reader, not from the file */
	char	   *header_name;	/* name to look for in a header */
	const char *partition_key;	/* filled from key=value directories, or
								 * NULL */
} RitualColumn;

/* The options of one foreign table, merged with its server's. */
typedef struct RitualOptions
{
	List	   *paths;			/* absolute paths or globs, as given */
	bool		missing_ok;		/* a path that matches nothing is no error */
	RitualFormat format;
	bool		header;			/* first line of each file names the columns */
	bool		match_by_name;	/* map columns by header name, not position */
	char		delimiter;
	char		quote;
	char		escape;
	char	   *null_string;	/* NULL means: an empty unquoted field */
	RitualOnError on_error;
	int64		reject_limit;	/* -1: no limit */
	RitualCompression compression;
	int			hive_partitioning;	/* 1, 0, or -1: when paths have keys */
	List	   *partition_by;	/* column names, for writing */
	int64		max_file_size;	/* bytes a written file may grow to */
	int64		row_group_size; /* rows of a written Parquet row group */
	int64		max_record_size;	/* bytes a record read may hold */
	int			natts;
	RitualColumn *columns;		/* one per attribute of the table */
} RitualOptions;

/* Whether 'options' (DefElem *, as a user gave them) has one named 'name'. */
static inline bool
ritual_has_option(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		if (strcmp(lfirst_node(DefElem, lc)->defname, name) == 0)
			return true;
	}
	return false;
}

/* fdw/options.c */
extern RitualOptions *ritual_get_options(Oid foreigntableid);
extern RitualOptions *ritual_import_options(Oid serverid, List *import_options);
extern List *ritual_split_paths(const char *value);
extern const char *ritual_meta_name(RitualMeta meta);
extern RitualFormat ritual_format_of(const RitualOptions *opts,
									 const char *path);
extern const char *ritual_closest_word(const char *value,
									   const char *const *words);

/* lake/discovery.c */
typedef struct RitualFile
{
	char	   *path;
	int64		size;
	TimestampTz modified;
	List	   *partition_keys; /* char *, from key=value directories */
	List	   *partition_values;	/* char *, decoded; NULL for NULL */
} RitualFile;

/*
 * choose, if set, is asked by the walk before it enters any key=value
 * directory: with the partitions of the directory being read (keys and
 * values of its path, deepest last, as a file's) and the keys and decoded
 * values (NULL for a NULL value) of its n entries named key=value, it sets
 * may[i] for each entry whose partitions may hold what the caller wants;
 * the walk never reads the others.  'listing' names those entries while
 * they stay the same, for the caller to keep what it works out of them
 * (the generation of a kept listing, see dir_cache.c), or is 0.
 */
typedef struct RitualDirFilter
{
	void		(*choose) (List *dir_keys, List *dir_values, int n,
						   char *const *keys, char *const *values,
						   uint64 listing, bool *may, void *arg);
	void	   *arg;
	bool		pass_unreadable;	/* a directory that does not open is
									 * passed over, not an error */
	int			skipped;		/* directories ruled out */
	int			unreadable;		/* directories passed over */
} RitualDirFilter;

extern List *ritual_discover_files(List *patterns, bool missing_ok);
extern List *ritual_discover_files_filtered(List *patterns, bool missing_ok,
											RitualDirFilter *filter);
extern int64 ritual_total_size(List *files);

/* lake/dir_cache.c */
struct stat;

typedef struct RitualDirEntry
{
	char	   *name;
	unsigned char type;			/* its d_type, or 0 (DT_UNKNOWN) */
	char	   *key;			/* a key=value name's, decoded, once
								 * ritual_dir_partitions has run; else NULL */
	char	   *value;			/* NULL also for a NULL value */
} RitualDirEntry;

typedef struct RitualDirListing
{
	int			nentries;
	RitualDirEntry *entries;	/* in readdir() order */
	char	   *names;			/* the entries' names, one after another */
	Size		names_len;
	bool		parsed;			/* each entry's key and value are set */
	uint64		generation;		/* names the listing while it is kept; 0
								 * when it is not */
	MemoryContext context;		/* a kept listing's, or NULL */
} RitualDirListing;

extern bool ritual_keep_listings;

extern void ritual_dir_cache_begin_walk(void);
extern void ritual_dir_cache_end_walk(void);
extern RitualDirListing *ritual_read_dir(const char *path,
										 const struct stat *st,
										 bool pass_unreadable);
extern void ritual_dir_partitions(RitualDirListing *listing);
extern void ritual_release_dir(RitualDirListing *listing);

/* fdw/import.c */
struct ImportForeignSchemaStmt;
extern List *ritual_import_schema(struct ImportForeignSchemaStmt *stmt,
								  Oid serverid);

/* lake/pending_files.c */
extern char *ritual_pending_name(const char *final_name);
extern char *ritual_settle_pending(const char *dir, const char *name,
								   char **final_name);

/* readers/decompress.c */
typedef struct Decompressor Decompressor;
typedef ssize_t (*RitualReadRaw) (void *arg, char *buffer, Size len);

extern RitualCompression ritual_compression_of(RitualCompression option,
											   const char *path);
extern Decompressor *decompress_begin(RitualCompression kind, const char *path);
extern Size decompress_read(Decompressor *d, char *out, Size len,
							RitualReadRaw read_raw, void *arg);
extern void decompress_end(Decompressor *d);

/* values/ranges.c */
struct ForeignScanState;
struct PlannerInfo;

/*
 * What is known of one column over some rows (a directory's, a Parquet row
 * group's).  Only whether there are no NULLs, some, or only NULLs matters
 * of the counts.
 */
typedef struct RitualColumnRange
{
	bool		known;			/* false: nothing is known (may be anything) */
	bool		has_bounds;		/* every non-NULL value is in [min, max];
								 * false: nothing is known of them, but that
								 * there are none when null_count equals
								 * row_count */
	Datum		min,			/* in the column's type, inclusive; text */
				max;			/* in byte order (see ranges.c) */
	int64		null_count;		/* NULLs among the rows; -1: unknown */
	int64		row_count;		/* rows the range covers; -1: unknown */
} RitualColumnRange;

typedef struct RitualRangeFilter RitualRangeFilter;

extern RitualRangeFilter *ritual_range_filter_begin(struct ForeignScanState *node,
													List *clauses,
													const RitualOptions *opts);
extern RitualRangeFilter *ritual_range_filter_plan(struct PlannerInfo *root,
												   List *clauses, Index relid,
												   const RitualOptions *opts);
extern bool ritual_range_filter_agrees(const RitualRangeFilter *planned,
									   const RitualRangeFilter *filter);
extern Bitmapset *ritual_range_filter_columns(const RitualRangeFilter *filter);
extern bool ritual_range_may_match(const RitualRangeFilter *filter,
								   const RitualColumnRange *ranges);
extern bool ritual_contains_param(Node *node, bool exec_only);

/* lake/partitions.c */
struct RitualConverter;

/* The files of a table, listed with its partition directories pruned. */
typedef struct RitualListing
{
	List	   *files;			/* RitualFile *, sorted by path */
	int			dirs_skipped;	/* key=value directories ruled out */
	bool		complete;		/* no directory was passed over unread */
	Bitmapset  *key_columns;	/* 0-based attributes the filter uses that
								 * the key of a directory met names */
	const RitualRangeFilter *filter;	/* what ruled them out, or NULL */
} RitualListing;

extern bool ritual_parse_partition_name(const char *name, int len, char **key,
										char **value);
extern void ritual_parse_dir_partitions(const char *path, List **keys,
										List **values);
extern void ritual_parse_partitions(RitualFile *file);
extern bool ritual_file_has_partition(const RitualFile *file,
									  const char *key);
extern bool ritual_convert_partition_value(struct RitualConverter *conv,
										   const RitualFile *file,
										   const char *key, Datum *value,
										   bool *isnull, char **message);
extern void ritual_find_partition_columns(RitualOptions *opts, List *files);
extern List *ritual_scan_conditions(List *clauses);
extern List *ritual_partition_conditions(List *conditions, Index relid,
										 const RitualOptions *opts);
extern RitualListing *ritual_list_files(const RitualOptions *opts, Oid relid,
										const RitualRangeFilter *filter,
										bool pass_unreadable);
extern List *ritual_plan_files(struct PlannerInfo *root, List *clauses,
							   Index relid, const RitualOptions *opts,
							   List *files);
extern List *ritual_prune_files(struct ForeignScanState *node, List *clauses,
								const RitualOptions *opts, List *files,
								bool explain_only);

/* fdw/listing.c */
extern MemoryContext ritual_listing_context(void);
extern int	ritual_listing_keep(MemoryContext context, RitualListing *listing);
extern RitualListing *ritual_listing_take(int token);

/* writers/writer.c */
typedef struct RitualWriter RitualWriter;

extern RitualWriter *ritual_writer_begin(Relation rel,
										 const RitualOptions *opts);
extern void ritual_writer_insert(RitualWriter *writer,
								 TupleTableSlot *slot);

/* ingest/batch.c: one file's share of a ritual.ingest batch */
typedef struct RitualIngestFile
{
	char	   *path;
	RitualFile *file;			/* as the scan found it */
	int64		start;			/* stream offset where reading resumes */
	int64		start_line;		/* line ends before 'start' */
	int64		limit;			/* read nothing from here on (the size when
								 * listed), or -1: to the end */
	int64		size;			/* the file's size when listed */
	TimestampTz modified;		/* and its modification time */

	/* what the scan took: records up to 'end' */
	int64		end;
	int64		end_line;		/* line ends before 'end' */
	int64		rows;
	int64		rejects;
	bool		ends_unknown;	/* records were taken after 'end' whose end
								 * is not known */
} RitualIngestFile;

/* A batch of ritual.ingest, handed to the scan of its source that its insert runs. */
typedef struct RitualIngestScan
{
	Oid			relid;
	int			nfiles;
	RitualIngestFile *files;
	bool		files_complete; /* a last record with no line end is whole */
	int64		reject_limit;	/* -1: none */
	struct Tuplestorestate *rejects;	/* (path, line, record, error) */
	struct TupleTableSlot *reject_slot; /* to read them back */
	int			files_done;
	int64		bytes_done;
	int64		rows_done;
	int64		rejects_done;

	/* while the scan reads a file: which, and where its next record starts */
	RitualIngestFile *current;
	int64		record_start;
} RitualIngestScan;

/* ingest/batch.c */
extern RitualIngestScan *ritual_ingest_batch_begin(Oid source, Oid target,
												   int64 batch, int nfiles,
												   int64 bytes_total);
extern void ritual_ingest_batch_insert(RitualIngestScan *ingest, Oid target,
									   const char *insert);
extern bool ritual_ingest_next_reject(RitualIngestScan *ingest, bool first,
									  Datum *path, Datum *line,
									  Datum *record, Datum *error);
extern void ritual_ingest_batch_end(RitualIngestScan *ingest);
extern RitualIngestScan *ritual_ingest_claim(Oid relid, bool parallel_aware,
											 List **files);
extern const struct RitualScanObserver *ritual_ingest_observer(RitualIngestScan *ingest,
															   RitualOptions **opts);
extern bool ritual_ingest_pending(Oid relid);

/* What a scan read of columnar files, for EXPLAIN ANALYZE. */
typedef struct RitualReadCounts
{
	int64		row_groups_read;
	int64		row_groups_skipped; /* ruled out by the query's conditions */
	int64		rows_skipped;	/* in row groups read, ruled out by them */
	int64		bytes_read;		/* of Parquet files: footers, page headers,
								 * pages */
} RitualReadCounts;

/* fdw/parallel.c */
typedef struct RitualParallelState RitualParallelState;

extern int	ritual_parallel_block_kb;

extern Size ritual_parallel_size(List *files);
extern void ritual_parallel_init(RitualParallelState *ps, List *files,
								 const RitualOptions *opts);
extern void ritual_parallel_reinit(RitualParallelState *ps);
extern List *ritual_parallel_files(RitualParallelState *ps);
extern bool ritual_parallel_next_unit(RitualParallelState *ps,
									  int *file_index, int64 *start,
									  int64 *end);
extern int64 ritual_parallel_count_bad_row(RitualParallelState *ps);
extern void ritual_parallel_count_file_read(RitualParallelState *ps);
extern void ritual_parallel_report_first_bad(RitualParallelState *ps,
											 int file_index, int64 line,
											 const char *where);
extern void ritual_parallel_add_counts(RitualParallelState *ps,
									   const RitualReadCounts *counts);
extern void ritual_parallel_totals(RitualParallelState *ps, int64 *bad_rows,
								   int *files_read, char **first_bad,
								   RitualReadCounts *counts);

/* fdw/scan.c */
/* A record's place in its file. */
typedef struct RitualPosition
{
	int64		line;			/* CSV: physical line where it starts;
								 * Parquet: row number in the file; both
								 * from 1.  -1 when it cannot be told. */
	int			row_group;		/* Parquet: row group from 0; else -1 */
	int64		row_in_group;	/* Parquet: row in the row group, from 1 */
} RitualPosition;

/* Where a record ends, for callers that resume a file after it. */
typedef struct RitualRecordEnd
{
	int64		end_offset;		/* offset after the record, or -1 if it
								 * cannot be told */
	int64		end_line;		/* line ends from the unit's start to there */
	bool		terminated;		/* complete: it cannot grow */
} RitualRecordEnd;

/* A unit of work: a byte range of one file (stop -1: to its end). */
typedef struct RitualUnit
{
	int			file_index;
	const char *path;
	int64		start;
	int64		stop;
	int64		limit;			/* read nothing from here on, or -1 */
	int64		start_line;		/* line ends before 'start', if known, or -1 */
} RitualUnit;

typedef struct RitualScan RitualScan;

/* How a caller follows a scan: ritual.ingest keeps its batch's books so. */
typedef enum RitualTaken
{
	RITUAL_TAKEN_HEADER,		/* a file's header */
	RITUAL_TAKEN_ROW,			/* a record became a row */
	RITUAL_TAKEN_REJECT			/* a bad record was set aside */
} RitualTaken;

typedef struct RitualScanObserver
{
	void	   *arg;
	/* a file is about to be read: set where, and up to where */
	void		(*file_begin) (void *arg, RitualUnit *unit);
	/* a record was reached: false leaves it, and the rest of the file */
	bool		(*record_read) (void *arg, const RitualRecordEnd *end);
	/* a record read was taken; 'line' and 'reason' for rejects */
	void		(*record_taken) (void *arg, RitualScan *scan,
								 RitualTaken kind, const RitualRecordEnd *end,
								 int64 line, const char *reason);
	/* the scan is done with the file */
	void		(*file_end) (void *arg);
} RitualScanObserver;

extern bool ritual_scan_converts_all(const RitualOptions *opts,
									 const bool *needed);
extern RitualScan *ritual_scan_begin(Relation rel, RitualOptions *opts,
									 List *files, const bool *needed,
									 RitualParallelState *parallel,
									 const RitualScanObserver *observer);
extern bool ritual_scan_next(RitualScan *scan, Datum *values, bool *nulls);

/* the most rows ritual_scan_next_rows hands over at a time */
#define RITUAL_SCAN_ROWS 1024

/*
 * A column's rows handed over a batch at a time: values[r] and nulls[r] of
 * row r.  Where a file stores the column as codes into a dictionary of its
 * distinct values, 'codes' says so: a row not NULL has the very Datum
 * dictionary[codes[r]], so that what depends only on the value can be
 * worked out once a distinct value.  Entries no row of the batch codes may
 * be 0.
 */
typedef struct RitualColumnRows
{
	Datum	   *values;
	bool	   *nulls;
	const int32 *codes;			/* NULL when the rows are not coded */
	const Datum *dictionary;
	int			dictionary_size;
} RitualColumnRows;

extern int	ritual_scan_next_rows(RitualScan *scan, int max,
								  RitualColumnRows *columns);
extern void ritual_scan_rescan(RitualScan *scan);
extern void ritual_scan_end(RitualScan *scan);
extern void ritual_scan_report(RitualScan *scan);
extern void ritual_scan_collect_parallel_totals(RitualScan *scan);
extern int64 ritual_scan_rows_rejected(RitualScan *scan);
extern int	ritual_scan_files_read(RitualScan *scan);
extern const char *ritual_scan_raw(RitualScan *scan, int64 from, int64 to);
extern const RitualReadCounts *ritual_scan_read_counts(RitualScan *scan);
extern void ritual_scan_set_filter(RitualScan *scan,
								   const RitualRangeFilter *filter);

/* fdw/aggregates.c */
typedef struct RitualAggregates RitualAggregates;

extern bool ritual_aggregates_plan(List *exprs, Index relid, List **tlist,
								   List **specs, List **columns);
extern List *ritual_aggregates_describe(List *tlist, Index relid,
										Oid foreigntableid);
extern RitualAggregates *ritual_aggregates_begin(List *specs);
extern void ritual_aggregates_add(RitualAggregates *state, int nrows,
								  const RitualColumnRows *columns);
extern void ritual_aggregates_result(RitualAggregates *state, Datum *values,
									 bool *nulls);
extern void ritual_aggregates_reset(RitualAggregates *state);

#endif							/* RITUAL_H */

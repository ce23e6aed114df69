# Makefile for ritual (PGXS).  `make`, `make install`, `make installcheck`;
# set PG_CONFIG to build against another PostgreSQL.

MODULE_big = ritual
OBJS = \
	ritual_fdw.o \
	src/analytics/bulk_insert.o \
	src/analytics/event_pass.o \
	src/analytics/event_rows.o \
	src/analytics/flag_counts.o \
	src/analytics/functions.o \
	src/analytics/funnels.o \
	src/analytics/new_events.o \
	src/analytics/refresh_pass.o \
	src/analytics/segment_counts.o \
	src/analytics/session_paths.o \
	src/analytics/spike_scores.o \
	src/analytics/text_hash.o \
	src/analytics/user_activity.o \
	src/fdw/aggregates.o \
	src/fdw/import.o \
	src/fdw/listing.o \
	src/fdw/options.o \
	src/fdw/parallel.o \
	src/fdw/scan.o \
	src/ingest/batch.o \
	src/ingest/ingest.o \
	src/lake/dir_cache.o \
	src/lake/discovery.o \
	src/lake/partitions.o \
	src/lake/pending_files.o \
	src/readers/csv/csv_describe.o \
	src/readers/csv/csv_reader.o \
	src/readers/csv/csv_source.o \
	src/readers/decompress.o \
	src/readers/parquet/codecs.o \
	src/readers/parquet/column.o \
	src/readers/parquet/delta.o \
	src/readers/parquet/encodings.o \
	src/readers/parquet/footer.o \
	src/readers/parquet/inspect.o \
	src/readers/parquet/metadata.o \
	src/readers/parquet/names.o \
	src/readers/parquet/page.o \
	src/readers/parquet/page_buffers.o \
	src/readers/parquet/rle.o \
	src/readers/parquet/row_counts.o \
	src/readers/parquet/source.o \
	src/readers/parquet/thrift.o \
	src/readers/parquet/values.o \
	src/removed_functions.o \
	src/sharding/package.o \
	src/sharding/user_shard.o \
	src/values/convert.o \
	src/values/ranges.o \
	src/values/type_guess.o \
	src/writers/compress.o \
	src/writers/parquet/column_chunk.o \
	src/writers/parquet/encode.o \
	src/writers/parquet/parquet_writer.o \
	src/writers/parquet/thrift_writer.o \
	src/writers/writer.o

EXTENSION = ritual
# The version is said once, in ritual.control.
EXTVERSION := $(shell sed -n "s/^default_version = '\([^']*\)'$$/\1/p" ritual.control)

# What CREATE EXTENSION makes, in two kinds of pieces: tables (what users
# keep; made once, changed only by migrations) and code (functions and
# views, written to be run again: every upgrade replaces all of it).
TABLES_SQL = src/sql/tables/fdw.sql src/sql/tables/reporting.sql src/sql/tables/ingest.sql \
	src/sql/tables/coordinator.sql
CODE_SQL = src/sql/code/functions.sql src/sql/code/reporting.sql src/sql/code/breakdowns.sql \
	src/sql/code/looker.sql src/sql/code/shards.sql src/sql/code/coordinator.sql \
	src/sql/code/ingest.sql src/sql/code/parquet.sql src/sql/code/dashboard.sql
# Migrations between released versions, oldest first.  Each released
# version upgrades to this one in one step: the migrations from it on, then
# the code.
MIGRATIONS = src/sql/upgrades/0.1--0.2.sql
RELEASED := $(shell sed -n 's/^\([0-9][^ ]*\) .*/\1/p' src/sql/upgrades/releases.txt)
UPGRADE_SQL = $(foreach v,$(RELEASED),ritual--$(v)--$(EXTVERSION).sql)
DATA_built = ritual--$(EXTVERSION).sql $(UPGRADE_SQL)
PGFILEDESC = "ritual - app-event analytics from raw CSV files"

SHLIB_LINK = -lcsv -lz -lzstd -lsnappy -llz4 -lbrotlidec
# PostgreSQL's headers are read as system headers, so that -Wextra judges
# only this project's code.
PG_CFLAGS = -Wall -Wextra
PG_CPPFLAGS = -Isrc -isystem $(shell $(PG_CONFIG) --includedir-server) \
	-DRITUAL_VERSION='"$(EXTVERSION)"'

# pg_regress suites; tests/pg_regress_launcher masks the test-data path so
# that expected output is the same on every machine.
REGRESS = options discovery reading types on_error meta explain security roles fast_paths parallel functions reporting refresh lake write ingest chunk_boundaries looker parquet import parquet_write aggregates sharding
REGRESS_OPTS = --launcher=$(CURDIR)/tests/pg_regress_launcher

# the sample-data generator, a program of its own
GENERATOR = src/generator/ritual-generate
GENERATOR_SOURCES = $(wildcard src/generator/*.c)
EXTRA_CLEAN = $(GENERATOR)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

all: $(GENERATOR)

ritual--$(EXTVERSION).sql: $(TABLES_SQL) $(CODE_SQL) Makefile ritual.control
	cat $(TABLES_SQL) $(CODE_SQL) > $@

$(UPGRADE_SQL): ritual--%--$(EXTVERSION).sql: $(MIGRATIONS) $(CODE_SQL) Makefile ritual.control
	@from=; for m in $(MIGRATIONS); do \
		case "$$m" in */$*--*) from=yes;; esac; \
		if [ -n "$$from" ]; then cat "$$m"; fi; \
	done > $@.tmp; \
	[ -s $@.tmp ] || { echo "no migration from version $*" >&2; rm -f $@.tmp; exit 1; }
	cat $@.tmp $(CODE_SQL) > $@ && rm -f $@.tmp

$(GENERATOR): $(GENERATOR_SOURCES) $(wildcard src/generator/*.h)
	$(CC) -std=gnu99 -O2 -Wall -Wextra -o $@ $(GENERATOR_SOURCES) -lpthread -lm

# bench/scan.sh: ritual_fdw against file_fdw, COPY and DuckDB (not a test)
bench: all
	bash bench/scan.sh

.PHONY: bench

# each object is rebuilt when a header it may include changes
$(OBJS): src/ritual.h src/values/convert.h src/values/type_guess.h $(wildcard src/readers/*.h src/readers/*/*.h) \
	$(wildcard src/writers/*.h src/writers/*/*.h src/analytics/*.h)

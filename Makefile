# Makefile for ritual (PGXS).  `make`, `make install`, `make installcheck`;
# set PG_CONFIG to build against another PostgreSQL.

MODULE_big = ritual
OBJS = \
	ritual_fdw.o \
	src/convert.o \
	src/csv_reader.o \
	src/decompress.o \
	src/discovery.o \
	src/functions.o \
	src/ingest.o \
	src/options.o \
	src/parallel.o \
	src/partitions.o \
	src/scan.o \
	src/writer.o

EXTENSION = ritual
# the install script is made of one piece per part of the extension
DATA_built = ritual--0.1.sql
INSTALL_SQL = src/sql/fdw.sql src/sql/functions.sql src/sql/reporting.sql src/sql/looker.sql \
	src/sql/ingest.sql
PGFILEDESC = "ritual - app-event analytics from raw CSV files"

SHLIB_LINK = -lcsv -lz -lzstd
# PostgreSQL's headers are read as system headers, so that -Wextra judges
# only this project's code.
PG_CFLAGS = -Wall -Wextra
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server)

# pg_regress suites; tests/pg_regress_launcher masks the test-data path so
# that expected output is the same on every machine.
REGRESS = options discovery reading types on_error meta explain security fast_paths parallel functions reporting refresh lake write ingest chunk_boundaries looker
REGRESS_OPTS = --launcher=$(CURDIR)/tests/pg_regress_launcher

# the sample-data generator, a program of its own
GENERATOR = src/generator/ritual-generate
GENERATOR_SOURCES = $(wildcard src/generator/*.c)
EXTRA_CLEAN = $(GENERATOR)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

all: $(GENERATOR)

ritual--0.1.sql: $(INSTALL_SQL) Makefile
	cat $(INSTALL_SQL) > $@

$(GENERATOR): $(GENERATOR_SOURCES) $(wildcard src/generator/*.h)
	$(CC) -std=gnu99 -O2 -Wall -Wextra -o $@ $(GENERATOR_SOURCES) -lpthread -lm

# bench/scan.sh: ritual_fdw against file_fdw, COPY and DuckDB (not a test)
bench: all
	bash bench/scan.sh

.PHONY: bench

$(OBJS): src/ritual.h src/convert.h

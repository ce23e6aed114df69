# Makefile for ritual (PGXS).  `make`, `make install`, `make installcheck`;
# set PG_CONFIG to build against another PostgreSQL.

MODULE_big = ritual
OBJS = \
	ritual_fdw.o \
	src/convert.o \
	src/csv_reader.o \
	src/discovery.o \
	src/options.o \
	src/parallel.o \
	src/scan.o

EXTENSION = ritual
DATA = src/ritual--0.1.sql
PGFILEDESC = "ritual - app-event analytics from raw CSV files"

SHLIB_LINK = -lcsv
# PostgreSQL's headers are read as system headers, so that -Wextra judges
# only this project's code.
PG_CFLAGS = -Wall -Wextra
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server)

# pg_regress suites; tests/pg_regress_launcher masks the test-data path so
# that expected output is the same on every machine.
REGRESS = options discovery reading types on_error meta explain security fast_paths parallel
REGRESS_OPTS = --launcher=$(CURDIR)/tests/pg_regress_launcher

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): src/ritual.h src/convert.h

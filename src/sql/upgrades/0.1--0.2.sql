/*
 * src/sql/upgrades/0.1--0.2.sql: what changes in the tables (and in the
 * objects that are not replaced as code) from version 0.1 to 0.2.  The
 * Makefile appends the current code (src/sql/code/) to make
 * ritual--0.1--0.2.sql; tests/upgrade.sh proves that an upgraded 0.1
 * keeps its data and equals a fresh install of 0.2.
 */

\echo Use "ALTER EXTENSION ritual UPDATE" to load this file. \quit

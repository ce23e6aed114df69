/*-------------------------------------------------------------------------
 *
 * removed_functions.c
 *		  The C entry points of SQL functions that an earlier version of the
 *		  extension declared and a later one dropped.
 *
 * Until ALTER EXTENSION ritual UPDATE runs, a database upgraded from that
 * version still declares them, and so do its install script and a
 * pg_upgrade or pg_dump --binary-upgrade of it: PostgreSQL resolves their
 * symbols when it creates them.  Kept, each says what happened instead of
 * leaving "could not find function" (PostgreSQL's contrib modules do the
 * same).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#define REMOVED_FUNCTION(symbol, sql_name, version) \
PG_FUNCTION_INFO_V1(symbol); \
Datum \
symbol(PG_FUNCTION_ARGS) \
{ \
	ereport(ERROR, \
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED), \
			 errmsg("function %s was removed in ritual %s", sql_name, version), \
			 errhint("Run ALTER EXTENSION ritual UPDATE."))); \
	PG_RETURN_NULL(); \
}

/* ritual.ingest's internal steps, which 0.2 moved into ritual.ingest itself */
REMOVED_FUNCTION(ritual_ingest_list_files, "ritual.ingest_list_files", "0.2")
REMOVED_FUNCTION(ritual_ingest_prepare_batch, "ritual.ingest_prepare_batch", "0.2")
REMOVED_FUNCTION(ritual_ingest_insert, "ritual.ingest_insert", "0.2")
REMOVED_FUNCTION(ritual_ingest_batch_rejects, "ritual.ingest_batch_rejects", "0.2")
REMOVED_FUNCTION(ritual_ingest_batch_results, "ritual.ingest_batch_results", "0.2")

/*-------------------------------------------------------------------------
 *
 * pending_files.c
 *		  The files a transaction writes, kept under a hidden name that
 *		  carries the transaction until its fate is known, and settled by
 *		  whichever backend finds them next.
 *
 * A file is written as .ritual-tmp-<system>-<xid>-<final name>: the
 * cluster's system identifier and the full (epoch and xid) id of the
 * (sub)transaction that wrote it.  Readers pass over hidden names, so the
 * rows are invisible until the file is renamed to its final name, which the
 * writing backend does once its commit is recorded.  A crash can stop that
 * at any point, so every listing of a directory settles the hidden files it
 * finds, by the commit log: a committed transaction's file is renamed (or,
 * where the server may not rename it, read in place), an aborted or crashed
 * one's is removed, a running one's is left alone.  A file another cluster
 * wrote is never judged by this one's commit log.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <unistd.h>

#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "replication/message.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/xid8.h"

#include "ritual.h"

#define PENDING_PREFIX	".ritual-tmp-"

/* The newest transaction id of this backend known to survive a crash. */
static FullTransactionId durable_upto = {0};

/*
 * ritual_pending_name
 *		The hidden name under which the current (sub)transaction writes the
 *		file to be named 'final_name' once it commits.  Naming the
 *		subtransaction, not the top one, keeps a file that a rolled-back
 *		savepoint wrote out of the lake even if its removal is lost.
 *
 * An id that no WAL record carries is handed out again after a crash, and
 * a file named by it would then take the fate of another transaction; so
 * before the first file is made, a record carrying the id is flushed.
 */
char *
ritual_pending_name(const char *final_name)
{
	FullTransactionId fxid = GetCurrentFullTransactionId();

	if (FullTransactionIdFollows(fxid, durable_upto))
	{
		static const char message[] = "files pending";

#if PG_VERSION_NUM >= 170000
		XLogFlush(LogLogicalMessage("ritual_fdw", message, sizeof(message),
									true, false));
#else
		XLogFlush(LogLogicalMessage("ritual_fdw", message, sizeof(message),
									true));
#endif
		durable_upto = fxid;
	}
	return psprintf("%s" UINT64_FORMAT "-" UINT64_FORMAT "-%s", PENDING_PREFIX,
					GetSystemIdentifier(), U64FromFullTransactionId(fxid),
					final_name);
}

/*
 * The commit log's word on 'fxid': "committed", "aborted" (or crashed),
 * "in progress", or NULL when it cannot tell: a transaction older than the
 * commit log kept, or one this cluster has not reached (a file written by a
 * cluster restored from the same backup).
 */
static const char *
transaction_status(FullTransactionId fxid)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		status;

	if (!FullTransactionIdPrecedes(fxid, ReadNextFullTransactionId()))
		return NULL;
	InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = FullTransactionIdGetDatum(fxid);
	fcinfo->args[0].isnull = false;
	status = pg_xact_status(fcinfo);
	if (fcinfo->isnull)
		return NULL;
	return text_to_cstring(DatumGetTextPP(status));
}

/*
 * ritual_settle_pending
 *		Settle the hidden file 'name' of directory 'dir' if this cluster wrote
 *		it: the path to read its rows from if its transaction committed (the
 *		final name, or the hidden one where the server may not rename it),
 *		else NULL.  *final_name is set to the name the file has or will have
 *		once settled; NULL for a file that is not a pending one of ours.
 */
char *
ritual_settle_pending(const char *dir, const char *name, char **final_name)
{
	const char *p = name + strlen(PENDING_PREFIX);
	char	   *end;
	uint64		system;
	FullTransactionId fxid;
	const char *status;
	char	   *pending_path;
	char	   *final_path;

	*final_name = NULL;
	if (strncmp(name, PENDING_PREFIX, strlen(PENDING_PREFIX)) != 0 ||
		!isdigit((unsigned char) *p))
		return NULL;
	errno = 0;
	system = strtou64(p, &end, 10);
	if (errno != 0 || *end != '-' || !isdigit((unsigned char) end[1]))
		return NULL;
	fxid = FullTransactionIdFromU64(strtou64(end + 1, &end, 10));
	if (errno != 0 || *end != '-' || strncmp(end + 1, "part-", 5) != 0 ||
		system != GetSystemIdentifier() ||
		!TransactionIdIsNormal(XidFromFullTransactionId(fxid)))
		return NULL;
	*final_name = pstrdup(end + 1);

	pending_path = psprintf("%s/%s", dir, name);
	final_path = psprintf("%s/%s", dir, *final_name);
	status = transaction_status(fxid);
	if (status == NULL)
	{
		ereport(WARNING,
				(errmsg("cannot tell whether the transaction that wrote file \"%s\" committed",
						pending_path),
				 errdetail("Transaction " UINT64_FORMAT " is older than the oldest transaction whose outcome the server keeps, or newer than the newest.",
						   U64FromFullTransactionId(fxid)),
				 errhint("Rename the file to \"%s\" if its rows belong in the table, or remove it.",
						 *final_name)));
		return NULL;
	}
	if (strcmp(status, "in progress") == 0)
		return NULL;

	/* a standby's view of the commit log lags: it only reads */
	if (strcmp(status, "committed") != 0)
	{
		if (!RecoveryInProgress() && unlink(pending_path) != 0 &&
			errno != ENOENT && errno != EACCES && errno != EPERM &&
			errno != EROFS)
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not remove file \"%s\" of an aborted transaction: %m",
							pending_path)));
		return NULL;
	}
	if (RecoveryInProgress())
		return pending_path;
	if (rename(pending_path, final_path) == 0 || errno == ENOENT)
		return final_path;		/* renamed, by us or by another backend */
	if (errno == EACCES || errno == EPERM || errno == EROFS)
		return pending_path;
	ereport(ERROR,
			(errcode_for_file_access(),
			 errmsg("could not rename file \"%s\" to \"%s\": %m",
					pending_path, final_path)));
	return NULL;				/* keep compiler quiet */
}

/*-------------------------------------------------------------------------
 *
 * convert.h
 *		  Field-to-value conversion for ritual_fdw.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_CONVERT_H
#define RITUAL_CONVERT_H

#include "ritual.h"

/* The types whose common spellings are converted without the fmgr. */
typedef enum RitualFastPath
{
	FAST_NONE,
	FAST_INT2,
	FAST_INT4,
	FAST_INT8,
	FAST_FLOAT4,
	FAST_FLOAT8,
	FAST_BOOL,
	FAST_TEXT,
	FAST_DATE,
	FAST_TIMESTAMP,
	FAST_TIMESTAMPTZ
} RitualFastPath;

/* How one column's text becomes a value. */
typedef struct RitualConverter
{
	Oid			typid;
	int32		typmod;
	FmgrInfo	in_func;
	Oid			typioparam;
	bool		is_domain;		/* NULL must pass the domain's checks too */
	RitualFastPath fast;
	int32		max_bytes;		/* FAST_TEXT: longest value that surely fits
								 * the typmod, or -1 */
} RitualConverter;

extern void ritual_converter_init(RitualConverter *conv, Oid typid,
								  int32 typmod);
extern bool ritual_convert_fast(RitualConverter *conv, const char *str,
								int len, Datum *result);
extern Datum ritual_convert(RitualConverter *conv, char *str, int len);
extern bool ritual_convert_soft(RitualConverter *conv, char *str, int len,
								Datum *result, char **message);
extern char *ritual_shown_value(const char *value, int len);

#endif							/* RITUAL_CONVERT_H */

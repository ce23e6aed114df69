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

/*
 * Memory for the text values of one row, used again for the next: the
 * executor is done with a row's values when it asks for the next row.  The
 * scan sizes it for the row before converting, so it never moves while a
 * row's values point into it.
 */
typedef struct RitualRowArena
{
	char	   *data;
	Size		used;
	Size		size;
} RitualRowArena;

/* How one column's text becomes a value. */
typedef struct RitualConverter
{
	Oid			typid;
	int32		typmod;
	FmgrInfo	in_func;
	Oid			typioparam;
	bool		is_domain;		/* NULL must pass the domain's checks too */
	bool		soft_needs_subtransaction;	/* see
											 * ritual_soft_input_needs_subtransaction */
	RitualFastPath fast;
	int32		max_bytes;		/* FAST_TEXT: longest value that surely fits
								 * the typmod, or -1 */
	RitualRowArena *arena;		/* FAST_TEXT: where values go; NULL: palloc */
	char		last_date[10];	/* FAST_DATE and timestamps: the last date */
	int32		last_days;		/* ... and its days since 2000-01-01 */
} RitualConverter;

/* Arena bytes a FAST_TEXT value of 'len' bytes takes. */
#define RITUAL_ARENA_TEXT_SIZE(len) MAXALIGN(VARHDRSZ + (len))

extern bool ritual_soft_input_needs_subtransaction(Oid typid);
extern void ritual_converter_init(RitualConverter *conv, Oid typid,
								  int32 typmod);
extern bool ritual_convert_fast(RitualConverter *conv, const char *str,
								int len, Datum *result);
extern Datum ritual_convert(RitualConverter *conv, char *str, int len);
extern bool ritual_convert_soft(RitualConverter *conv, char *str, int len,
								Datum *result, char **message);
extern char *ritual_printable_text(const char *value, int len, int max_bytes,
								   bool escape_controls);
extern char *ritual_shown_value(const char *value, int len);

#endif							/* RITUAL_CONVERT_H */

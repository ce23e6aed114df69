/*
 * events.h
 *		Events rows: simulated events spelt as CSV, some damaged or injected,
 *		each flagged by the rules as it is written.
 */
#ifndef RITUAL_GENERATOR_EVENTS_H
#define RITUAL_GENERATOR_EVENTS_H

#include "model.h"
#include "output.h"
#include "rules.h"

#define EVENTS_HEADER "user_id,event_type,event_date\n"

/* One thread's state for writing the rows of ranges of users. */
typedef struct EventWriter
{
	const Model *model;
	const int32_t *signup_of_user;	/* from the profiles as written */
	EventRules	rules;
	SimEventList events;
	OutBuffer	out;			/* rows written since the caller last emptied it */
	uint64_t	rows;
	uint64_t	flag_rows[EVENT_FLAG_COMBINATIONS];	/* rows by flags */
} EventWriter;

/* Build the read-only tables of spellings; once, before any writer. */
extern void events_prepare(const Model *model);

extern void event_writer_init(EventWriter *writer, const Model *model,
							  const int32_t *signup_of_user);
extern void event_writer_free(EventWriter *writer);

/* Append the rows of users first..end-1 (and of their ghosts) to out. */
extern void event_writer_add_users(EventWriter *writer, int64_t first, int64_t end);

#endif							/* RITUAL_GENERATOR_EVENTS_H */

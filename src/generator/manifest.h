/*
 * manifest.h
 *		manifest.json: what a run was asked for and what its files contain.
 */
#ifndef RITUAL_GENERATOR_MANIFEST_H
#define RITUAL_GENERATOR_MANIFEST_H

#include "model.h"
#include "profiles.h"

#define MANIFEST_FILE "manifest.json"

typedef struct OutputFile
{
	char		name[64];
	const char *kind;			/* "profiles" or "events" */
	uint64_t	rows;			/* data rows, header excluded */
} OutputFile;

typedef struct RunSummary
{
	const ProfileSummary *profiles;
	OutputFile *files;
	int			file_count;
	uint64_t	event_rows;
	uint64_t	event_rows_by_flags[EVENT_FLAG_COMBINATIONS];
} RunSummary;

/* The command line that makes the same files (into DIR). */
extern void manifest_command_line(const GeneratorConfig *config, char *dst, size_t size);

/* Write the manifest at path; false with errno set on failure. */
extern bool manifest_write(const char *path, const Model *model, const RunSummary *run);

#endif							/* RITUAL_GENERATOR_MANIFEST_H */

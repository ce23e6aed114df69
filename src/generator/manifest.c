/*
 * manifest.c
 *		manifest.json: what a run was asked for and what its files contain.
 *
 * The anomaly counts are rows carrying each flag, as the rules flagged the
 * rows written (a row with several flags counts once under each), so they
 * are what the reporting layer's data-quality counts must equal.  The
 * manifest names no path of the machine, so that two runs into different
 * directories write the same bytes.
 */
#include "manifest.h"

#include "calendar.h"

#include <stdio.h>
#include <string.h>

/* Notes on the rules, where docs/metrics.md leaves a combination open. */
static const char *const rule_notes[] = {
	"counts are rows carrying the flag; a row with several flags counts under each",
	"user_id is missing when NULL, empty or not a bigint; event_date when NULL, empty or not a timestamp",
	"unknown_event_type applies only to a non-blank event_type: lower(btrim(event_type)) not in event_types",
	"unknown_user applies only to a present user_id with no profile that has a valid signup_date",
	"event_before_signup needs a user with a usable profile and an event_date; it compares event_date::date with the earliest valid signup_date",
	"future_event needs an event_date strictly later than reference_time",
	"duplicate needs user_id, event_type and event_date all present, and compares values: user_id as bigint, lower(btrim(event_type)), event_date as timestamp; the first row by file then line is not a duplicate",
	"conflicting_profile flags every profile row of a user whose valid signup_dates differ; no such user has a row with a missing signup_date",
	"missing_signup_date flags a profile row whose signup_date is NULL, empty or not a date; every such row is its user's only row",
	"files are read in name order; event rows are grouped by user, ghost ids (users + id) have no profile",
};

static void
print_json_string(FILE *file, const char *text)
{
	fputc('"', file);
	for (const char *p = text; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			fprintf(file, "\\%c", *p);
		else if ((unsigned char) *p < 0x20)
			fprintf(file, "\\u%04x", (unsigned char) *p);
		else
			fputc(*p, file);
	}
	fputc('"', file);
}

/* Shortest text that reads back as the same rate. */
static void
format_rate(char *dst, size_t size, double rate)
{
	for (int digits = 1; digits <= 17; digits++)
	{
		double		back;

		snprintf(dst, size, "%.*g", digits, rate);
		if (sscanf(dst, "%lf", &back) == 1 && back == rate)
			return;
	}
}

void
manifest_command_line(const GeneratorConfig *config, char *dst, size_t size)
{
	char		start[11],
				reference[20];
	size_t		len;

	format_date_text(start, config->start_day);
	format_timestamp_text(reference, config->reference_time);
	len = (size_t) snprintf(dst, size,
							GENERATOR_NAME " --out DIR --seed %llu --days %d --start-date %s",
							(unsigned long long) config->seed, config->days, start);
	if (config->users_given || config->target_events == 0)
		len += (size_t) snprintf(dst + len, size - len, " --users %lld",
								 (long long) config->users);
	if (config->target_events > 0)
		len += (size_t) snprintf(dst + len, size - len, " --target-events %lld",
								 (long long) config->target_events);
	if (config->events_files > 1)
		len += (size_t) snprintf(dst + len, size - len, " --events-files %d",
								 config->events_files);
	if (config->spike_days > 0)
		len += (size_t) snprintf(dst + len, size - len, " --spike-days %d",
								 config->spike_days);
	if (config->drop_days > 0)
		len += (size_t) snprintf(dst + len, size - len, " --drop-days %d",
								 config->drop_days);
	if (config->reference_given)
		len += (size_t) snprintf(dst + len, size - len, " --reference-time '%s'",
								 reference);
	if (config->no_anomalies)
		snprintf(dst + len, size - len, " --no-anomalies");
	else
	{
		for (int k = 0; k < ANOMALY_KIND_COUNT && len < size; k++)
		{
			char		rate[32];

			format_rate(rate, sizeof(rate), config->anomaly_rate[k]);
			len += (size_t) snprintf(dst + len, size - len, " --anomaly-rate %s=%s",
									 anomaly_kind_names[k], rate);
		}
	}
}

bool
manifest_write(const char *path, const Model *model, const RunSummary *run)
{
	const GeneratorConfig *config = model->config;
	const ProfileSummary *profiles = run->profiles;
	FILE	   *file = fopen(path, "w");
	char		text[32];
	char		command[2048];
	uint64_t	event_counts[EVENT_ANOMALY_KIND_COUNT] = {0};
	bool		first;

	if (file == NULL)
		return false;
	for (int flags = 0; flags < EVENT_FLAG_COMBINATIONS; flags++)
		for (int k = 0; k < EVENT_ANOMALY_KIND_COUNT; k++)
			if (flags & (1 << k))
				event_counts[k] += run->event_rows_by_flags[flags];

	fprintf(file, "{\n");
	fprintf(file, "  \"generator\": \"%s\",\n", GENERATOR_NAME);
	fprintf(file, "  \"version\": \"%s\",\n", GENERATOR_VERSION);
	manifest_command_line(config, command, sizeof(command));
	fprintf(file, "  \"command\": ");
	print_json_string(file, command);
	fprintf(file, ",\n");

	fprintf(file, "  \"arguments\": {\n");
	fprintf(file, "    \"seed\": %llu,\n", (unsigned long long) config->seed);
	fprintf(file, "    \"users\": %lld,\n", (long long) config->users);
	fprintf(file, "    \"users_from_target\": %s,\n",
			config->target_events > 0 && !config->users_given ? "true" : "false");
	fprintf(file, "    \"days\": %d,\n", config->days);
	format_date_text(text, config->start_day);
	fprintf(file, "    \"start_date\": \"%s\",\n", text);
	fprintf(file, "    \"events_files\": %d,\n", config->events_files);
	if (config->target_events > 0)
		fprintf(file, "    \"target_events\": %lld,\n", (long long) config->target_events);
	else
		fprintf(file, "    \"target_events\": null,\n");
	fprintf(file, "    \"spike_days\": %d,\n", config->spike_days);
	fprintf(file, "    \"drop_days\": %d,\n", config->drop_days);
	format_timestamp_text(text, config->reference_time);
	fprintf(file, "    \"reference_time\": \"%s\",\n", text);
	fprintf(file, "    \"reference_time_given\": %s,\n",
			config->reference_given ? "true" : "false");
	fprintf(file, "    \"no_anomalies\": %s,\n", config->no_anomalies ? "true" : "false");
	if (config->segment_effects)
		fprintf(file, "    \"segment_effects\": true,\n");
	fprintf(file, "    \"anomaly_rates\": {\n");
	for (int k = 0; k < ANOMALY_KIND_COUNT; k++)
	{
		format_rate(text, sizeof(text), config->anomaly_rate[k]);
		fprintf(file, "      \"%s\": %s%s\n", anomaly_kind_names[k], text,
				k + 1 < ANOMALY_KIND_COUNT ? "," : "");
	}
	fprintf(file, "    }\n");
	fprintf(file, "  },\n");

	fprintf(file, "  \"seed\": %llu,\n", (unsigned long long) config->seed);
	format_timestamp_text(text, config->reference_time);
	fprintf(file, "  \"reference_time\": \"%s\",\n", text);
	format_date_text(text, model->start_day);
	fprintf(file, "  \"period\": {\"first_day\": \"%s\", ", text);
	format_date_text(text, model->start_day + model->days - 1);
	fprintf(file, "\"last_day\": \"%s\", \"days\": %d},\n", text, model->days);
	fprintf(file, "  \"activity_scale\": %.6f,\n", model->activity_scale);
	if (config->segment_effects)
	{
		/* the truth breakdowns by platform and country should find */
		fprintf(file, "  \"segment_effects\": {\"ritual_completion\": "
				"{\"platform\": \"%s\", \"chance\": %.2f, \"others\": %.2f}, "
				"\"weekly_churn\": {\"country\": \"%s\", \"rate\": %.2f, \"others\": %.2f}},\n",
				model_platforms[SLOW_PLATFORM], SLOW_PLATFORM_COMPLETION, RITUAL_COMPLETION,
				model_countries[FAST_CHURN_COUNTRY], FAST_CHURN_PER_WEEK, CHURN_PER_WEEK);
	}

	fprintf(file, "  \"event_types\": [");
	for (int t = 0; t < CATALOGUE_TYPE_COUNT; t++)
		fprintf(file, "%s\"%s\"", t ? ", " : "", event_type_names[t]);
	fprintf(file, "],\n");

	fprintf(file, "  \"files\": [\n");
	for (int f = 0; f < run->file_count; f++)
	{
		fprintf(file, "    {\"name\": ");
		print_json_string(file, run->files[f].name);
		fprintf(file, ", \"kind\": \"%s\", \"rows\": %llu}%s\n", run->files[f].kind,
				(unsigned long long) run->files[f].rows,
				f + 1 < run->file_count ? "," : "");
	}
	fprintf(file, "  ],\n");

	fprintf(file, "  \"users\": %lld,\n", (long long) model->users);
	fprintf(file, "  \"profile_rows\": %llu,\n", (unsigned long long) profiles->rows);
	fprintf(file, "  \"event_rows\": %llu,\n", (unsigned long long) run->event_rows);
	fprintf(file, "  \"clean_events\": %llu,\n",
			(unsigned long long) run->event_rows_by_flags[0]);
	fprintf(file, "  \"users_with_conflicting_profiles\": %llu,\n",
			(unsigned long long) profiles->users_with_conflicts);
	fprintf(file, "  \"users_without_usable_profile\": %llu,\n",
			(unsigned long long) profiles->users_without_usable_signup);

	fprintf(file, "  \"anomalies\": {\n");
	for (int k = 0; k < ANOMALY_KIND_COUNT; k++)
	{
		uint64_t	count = k < EVENT_ANOMALY_KIND_COUNT ? event_counts[k] :
			k == ANOMALY_CONFLICTING_PROFILE ? profiles->conflicting_rows :
			profiles->missing_signup_rows;

		fprintf(file, "    \"%s\": %llu%s\n", anomaly_kind_names[k],
				(unsigned long long) count, k + 1 < ANOMALY_KIND_COUNT ? "," : "");
	}
	fprintf(file, "  },\n");
	fprintf(file, "  \"anomaly_bits\": {");
	for (int k = 0; k < ANOMALY_KIND_COUNT; k++)
		fprintf(file, "%s\"%s\": %u", k ? ", " : "", anomaly_kind_names[k],
				ANOMALY_BIT(k));
	fprintf(file, "},\n");

	/* event rows by their whole set of flags, for checks of combinations */
	fprintf(file, "  \"event_rows_by_flags\": {");
	first = true;
	for (int flags = 0; flags < EVENT_FLAG_COMBINATIONS; flags++)
	{
		if (run->event_rows_by_flags[flags] == 0)
			continue;
		fprintf(file, "%s\"%d\": %llu", first ? "" : ", ", flags,
				(unsigned long long) run->event_rows_by_flags[flags]);
		first = false;
	}
	fprintf(file, "},\n");

	fprintf(file, "  \"injected_days\": [");
	for (int i = 0; i < model->injected_count; i++)
	{
		const InjectedDay *day = &model->injected[i];

		format_date_text(text, model->start_day + day->day);
		fprintf(file, "%s\n    {\"date\": \"%s\", \"kind\": \"%s\", \"multiplier\": %.1f}",
				i ? "," : "", text, day->kind == DAY_SPIKE ? "spike" : "drop_off",
				day->kind == DAY_SPIKE ? SPIKE_MULTIPLIER : DROP_OFF_MULTIPLIER);
	}
	fprintf(file, "%s],\n", model->injected_count ? "\n  " : "");

	fprintf(file, "  \"rules\": [\n");
	for (size_t i = 0; i < sizeof(rule_notes) / sizeof(rule_notes[0]); i++)
	{
		fprintf(file, "    ");
		print_json_string(file, rule_notes[i]);
		fprintf(file, "%s\n", i + 1 < sizeof(rule_notes) / sizeof(rule_notes[0]) ? "," : "");
	}
	fprintf(file, "  ]\n");
	fprintf(file, "}\n");

	if (ferror(file))
	{
		fclose(file);
		return false;
	}
	return fclose(file) == 0;
}

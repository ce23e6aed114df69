/*
 * main.c
 *		ritual-generate: raw exports of the Ritual app (user_profiles.csv,
 *		user_events*.csv) with anomalies whose exact counts it writes in
 *		manifest.json, for ritual's demo, tests and benchmarks.
 *
 * The small dataset of the demo and tests (300 users, 90 days from
 * 2024-01-01, seed 1, default anomaly rates) is made by:
 *
 *		src/generator/ritual-generate --out tests/data/generated
 *
 * Same arguments, same bytes: every user draws from random streams of its
 * own (prng.h), so neither --jobs nor the machine's speed changes a byte.
 * The work is cut into ranges of users; threads simulate ranges at once and
 * write them in order.
 */
#define _POSIX_C_SOURCE 200809L

#include "calendar.h"
#include "events.h"
#include "generator.h"
#include "manifest.h"
#include "model.h"
#include "profiles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Users per unit of work: big enough to amortise, small enough to share. */
#define UNIT_USERS 512
#define MAX_EVENTS_FILES 10000
#define MAX_USERS 100000000
#define MAX_DAYS 36500

static const double default_anomaly_rate[ANOMALY_KIND_COUNT] = {
	0.003,						/* missing_user_id */
	0.002,						/* missing_event_type */
	0.003,						/* missing_event_date */
	0.003,						/* unknown_event_type */
	0.002,						/* unknown_user */
	0.003,						/* event_before_signup */
	0.002,						/* future_event */
	0.005,						/* duplicate */
	0.02,						/* conflicting_profile */
	0.005,						/* missing_signup_date */
};

static void
print_help(void)
{
	printf(
		   "ritual-generate writes a sample raw export of the Ritual app: user profiles\n"
		   "and app events as CSV, with anomalies of every kind that ritual reports,\n"
		   "and manifest.json with the exact count of each.\n"
		   "\n"
		   "Usage:\n"
		   "  ritual-generate --out DIR [OPTION]...\n"
		   "\n"
		   "Options:\n"
		   "  --out DIR              directory to write into (made if missing); required\n"
		   "  --seed N               random seed (default 1); same arguments, same bytes\n"
		   "  --users N              users, each with a profile (default 300; with\n"
		   "                         --target-events, derived from it unless given)\n"
		   "  --days N               days of activity (default 90)\n"
		   "  --start-date DATE      first day, YYYY-MM-DD (default 2024-01-01)\n"
		   "  --events-files N       split events by user into N files user_events_000.csv,\n"
		   "                         ... (default 1: user_events.csv)\n"
		   "  --target-events N      scale activity to about N event rows\n"
		   "  --anomaly-rate KIND=RATE\n"
		   "                         rate of an anomaly kind, a fraction from 0 to 1; KIND\n"
		   "                         'all' sets every kind; repeatable.  Event kinds are per\n"
		   "                         simulated event, profile kinds per user.  Kinds and\n"
		   "                         defaults:\n");
	for (int k = 0; k < ANOMALY_KIND_COUNT; k++)
		printf("                           %-22s %g\n", anomaly_kind_names[k],
			   default_anomaly_rate[k]);
	printf(
		   "  --no-anomalies         no anomalies at all (messy but valid spellings stay)\n"
		   "  --spike-days N         days with about 3 times the activity (default 0)\n"
		   "  --drop-days N          days with about 0.3 times the activity (default 0);\n"
		   "                         injected days are from day 85 on, 8 days apart\n"
		   "  --segment-effects      segments that behave apart, for breakdowns to find:\n"
		   "                         android users complete fewer rituals they start, users\n"
		   "                         in Brazil churn three times as fast (the manifest says\n"
		   "                         so); without it, no segment differs\n"
		   "  --reference-time 'YYYY-MM-DD HH:MM:SS'\n"
		   "                         later events are future_event (default: midnight\n"
		   "                         after the last day; no simulated event is later)\n"
		   "  --jobs N               threads (default: processors, at most 8); the output\n"
		   "                         does not depend on it\n"
		   "  --help                 show this help and exit\n"
		   "  --version              show the version and exit\n"
		   "\n"
		   "Files written in DIR:\n"
		   "  user_profiles.csv      user_id,signup_date,country,platform\n"
		   "  user_events.csv        user_id,event_type,event_date (or user_events_NNN.csv)\n"
		   "  manifest.json          arguments, files and row counts, event-type catalogue,\n"
		   "                         rows per anomaly kind, spike and drop-off days\n"
		   "\n"
		   "Valid but messy values are not anomalies: event types in other cases, padded\n"
		   "with spaces or quoted; dates as YYYY-MM-DDTHH:MM:SSZ or a bare date (midnight).\n"
		   "The manifest's counts follow the rules of docs/metrics.md, applied to the rows as\n"
		   "written.\n"
		   "\n"
		   "Exit status: 0 on success, 1 on failure, 2 on invalid arguments.\n"
		   "\n"
		   "Examples:\n"
		   "  ritual-generate --out tests/data/generated\n"
		   "      the small dataset of the demo and tests\n"
		   "  ritual-generate --out big --target-events 100000000 --days 365 --events-files 8\n"
		   "      about 100 million events, for benchmarks\n");
}

/* Print a message and exit: 2 for a bad argument (with a hint), 1 else. */
static void
exit_with(int code, const char *format, va_list args)
{
	fprintf(stderr, GENERATOR_NAME ": ");
	vfprintf(stderr, format, args);
	if (code == 2)
		fprintf(stderr, "\nTry \"" GENERATOR_NAME " --help\" for more information.\n");
	else
		fprintf(stderr, "\n");
	exit(code);
}

static void
usage_error(const char *format,...)
{
	va_list		args;

	va_start(args, format);
	exit_with(2, format, args);
}

static void
fail(const char *format,...)
{
	va_list		args;

	va_start(args, format);
	exit_with(1, format, args);
}

static int64_t
parse_count(const char *option, const char *text, int64_t min, int64_t max)
{
	int64_t		value;

	/* digits only: no sign, no spaces, no 1e6 */
	for (const char *p = text; *p; p++)
		if (*p < '0' || *p > '9')
			usage_error("invalid value for %s: \"%s\" (expected a whole number)",
						option, text);
	if (!parse_bigint(text, strlen(text), &value))
		usage_error("invalid value for %s: \"%s\" (expected a whole number)",
					option, text);
	if (value < min || value > max)
		usage_error("%s must be from %lld to %lld, not %s", option,
					(long long) min, (long long) max, text);
	return value;
}

static uint64_t
parse_seed(const char *text)
{
	uint64_t	value = 0;

	if (*text == '\0' || strlen(text) > 20)
		usage_error("invalid value for --seed: \"%s\"", text);
	for (const char *p = text; *p; p++)
	{
		uint64_t	digit = (uint64_t) (*p - '0');

		if (*p < '0' || *p > '9' || value > (UINT64_MAX - digit) / 10)
			usage_error("invalid value for --seed: \"%s\" (expected 0 to %llu)",
						text, (unsigned long long) UINT64_MAX);
		value = value * 10 + digit;
	}
	return value;
}

static void
parse_anomaly_rate(GeneratorConfig *config, const char *text)
{
	const char *equals = strchr(text, '=');
	char	   *end;
	double		rate;
	int			kind = -1;

	if (equals == NULL)
		usage_error("invalid value for --anomaly-rate: \"%s\" (expected KIND=RATE)", text);
	for (int k = 0; k < ANOMALY_KIND_COUNT; k++)
		if (strlen(anomaly_kind_names[k]) == (size_t) (equals - text) &&
			strncmp(anomaly_kind_names[k], text, (size_t) (equals - text)) == 0)
			kind = k;
	if (kind < 0 && strncmp(text, "all=", 4) != 0)
		usage_error("unknown anomaly kind in --anomaly-rate: \"%.*s\"",
					(int) (equals - text), text);
	errno = 0;
	rate = strtod(equals + 1, &end);
	if (equals[1] == '\0' || *end != '\0' || errno != 0 || !(rate >= 0 && rate <= 1))
		usage_error("invalid rate in --anomaly-rate: \"%s\" (expected 0 to 1)", equals + 1);
	for (int k = 0; k < ANOMALY_KIND_COUNT; k++)
		if (kind < 0 || k == kind)
			config->anomaly_rate[k] = rate;
}

static void
parse_arguments(GeneratorConfig *config, int argc, char **argv)
{
	static const char *const with_value[] = {
		"--out", "--seed", "--users", "--days", "--start-date", "--events-files",
		"--target-events", "--anomaly-rate", "--spike-days", "--drop-days",
		"--reference-time", "--jobs"
	};
	bool		rates_given = false;
	const char *reference_text = NULL;
	long		processors = 1;

	memset(config, 0, sizeof(*config));
	config->seed = 1;
	config->users = 300;
	config->days = 90;
	config->start_day = days_from_civil(2024, 1, 1);
	config->events_files = 1;
	memcpy(config->anomaly_rate, default_anomaly_rate, sizeof(default_anomaly_rate));
#ifdef _SC_NPROCESSORS_ONLN
	processors = sysconf(_SC_NPROCESSORS_ONLN);
#endif
	config->jobs = processors < 1 ? 1 : processors > 8 ? 8 : (int) processors;

	for (int i = 1; i < argc; i++)
	{
		const char *arg = argv[i];
		char		name[64];
		const char *value = NULL;
		const char *equals = strchr(arg, '=');
		bool		takes_value = false;

		if (strncmp(arg, "--", 2) != 0)
			usage_error("unexpected argument \"%s\"", arg);
		if (equals != NULL && (size_t) (equals - arg) < sizeof(name))
		{
			memcpy(name, arg, (size_t) (equals - arg));
			name[equals - arg] = '\0';
			value = equals + 1;
		}
		else
			snprintf(name, sizeof(name), "%s", arg);

		for (size_t o = 0; o < sizeof(with_value) / sizeof(with_value[0]); o++)
			if (strcmp(name, with_value[o]) == 0)
				takes_value = true;
		if (takes_value && value == NULL)
		{
			if (i + 1 >= argc)
				usage_error("option %s needs a value", name);
			value = argv[++i];
		}
		else if (!takes_value && value != NULL)
			usage_error("option %s takes no value", name);

		if (strcmp(name, "--help") == 0)
		{
			print_help();
			exit(0);
		}
		else if (strcmp(name, "--version") == 0)
		{
			printf("%s %s\n", GENERATOR_NAME, GENERATOR_VERSION);
			exit(0);
		}
		else if (strcmp(name, "--out") == 0)
		{
			if (*value == '\0')
				usage_error("--out needs a directory");
			config->out_dir = value;
		}
		else if (strcmp(name, "--seed") == 0)
			config->seed = parse_seed(value);
		else if (strcmp(name, "--users") == 0)
		{
			config->users = parse_count(name, value, 1, MAX_USERS);
			config->users_given = true;
		}
		else if (strcmp(name, "--days") == 0)
			config->days = (int) parse_count(name, value, 1, MAX_DAYS);
		else if (strcmp(name, "--start-date") == 0)
		{
			int64_t		day;

			if (!parse_date(value, strlen(value), &day))
				usage_error("invalid value for --start-date: \"%s\" (expected YYYY-MM-DD)",
							value);
			config->start_day = day;
		}
		else if (strcmp(name, "--events-files") == 0)
			config->events_files = (int) parse_count(name, value, 1, MAX_EVENTS_FILES);
		else if (strcmp(name, "--target-events") == 0)
			config->target_events = parse_count(name, value, 1, INT64_C(100000000000));
		else if (strcmp(name, "--anomaly-rate") == 0)
		{
			parse_anomaly_rate(config, value);
			rates_given = true;
		}
		else if (strcmp(name, "--no-anomalies") == 0)
			config->no_anomalies = true;
		else if (strcmp(name, "--segment-effects") == 0)
			config->segment_effects = true;
		else if (strcmp(name, "--spike-days") == 0)
			config->spike_days = (int) parse_count(name, value, 0, MAX_INJECTED_DAYS);
		else if (strcmp(name, "--drop-days") == 0)
			config->drop_days = (int) parse_count(name, value, 0, MAX_INJECTED_DAYS);
		else if (strcmp(name, "--reference-time") == 0)
			reference_text = value;
		else if (strcmp(name, "--jobs") == 0)
			config->jobs = (int) parse_count(name, value, 1, 256);
		else
			usage_error("unknown option \"%s\"", name);
	}

	if (config->out_dir == NULL)
		usage_error("--out DIR is required");
	if (config->no_anomalies && rates_given)
		usage_error("--no-anomalies and --anomaly-rate cannot be combined");
	if (config->no_anomalies)
		memset(config->anomaly_rate, 0, sizeof(config->anomaly_rate));
	{
		int64_t		first_year,
					last_year;
		int			month,
					day;

		/* dates stay four-digit, even for rows injected around the period */
		civil_from_days(config->start_day, &first_year, &month, &day);
		civil_from_days(config->start_day + config->days, &last_year, &month, &day);
		if (first_year < 1900 || last_year > 9000)
			usage_error("the period must lie between the years 1900 and 9000");
	}
	if (reference_text != NULL)
	{
		if (!parse_timestamp(reference_text, strlen(reference_text),
							 &config->reference_time))
			usage_error("invalid value for --reference-time: \"%s\" "
						"(expected 'YYYY-MM-DD HH:MM:SS')", reference_text);
		config->reference_given = true;
	}
	else
		config->reference_time = (config->start_day + config->days) * SECONDS_PER_DAY;
}

/* Names of the events files: zero-padded so that name order is id order. */
static void
events_file_name(const GeneratorConfig *config, int index, char *dst, size_t size)
{
	/* MAX_EVENTS_FILES is 10000: indexes have at most 4 digits */
	int			width = config->events_files > 1000 ? 4 : 3;

	if (config->events_files == 1)
		snprintf(dst, size, "user_events.csv");
	else
		snprintf(dst, size, "user_events_%0*d.csv", width, index % MAX_EVENTS_FILES);
}

static void
join_path(char *dst, size_t size, const char *dir, const char *name)
{
	if ((size_t) snprintf(dst, size, "%s/%s", dir, name) >= size)
		fail("path too long: %s/%s", dir, name);
}

/*
 * Make the directory, and refuse one that holds events files this run would
 * not rewrite: a reader of the directory would take them for part of it.
 */
static void
prepare_directory(const GeneratorConfig *config, OutputFile *files, int file_count)
{
	DIR		   *dir;
	struct dirent *entry;
	char		path[4096];

	if (mkdir(config->out_dir, 0755) != 0 && errno != EEXIST)
		fail("cannot create directory \"%s\": %s", config->out_dir, strerror(errno));
	dir = opendir(config->out_dir);
	if (dir == NULL)
		fail("cannot open directory \"%s\": %s", config->out_dir, strerror(errno));
	while ((entry = readdir(dir)) != NULL)
	{
		const char *name = entry->d_name;
		size_t		len = strlen(name);
		bool		ours = false;

		if (strncmp(name, "user_events", 11) != 0 || len < 15 ||
			strcmp(name + len - 4, ".csv") != 0)
			continue;
		for (int f = 0; f < file_count; f++)
			if (strcmp(files[f].name, name) == 0)
				ours = true;
		if (!ours)
			fail("directory \"%s\" holds %s, which this run would not rewrite; "
				 "remove it or choose another directory", config->out_dir, name);
	}
	closedir(dir);
	/* a manifest left from an earlier run must not describe these files */
	join_path(path, sizeof(path), config->out_dir, MANIFEST_FILE);
	if (unlink(path) != 0 && errno != ENOENT)
		fail("cannot remove \"%s\": %s", path, strerror(errno));
}

/* A range of users of one events file. */
typedef struct WorkUnit
{
	int			file;
	int64_t		first_user;
	int64_t		end_user;
	bool		opens_file;
	bool		closes_file;
} WorkUnit;

/* The events pass: threads take units in order and write them in order. */
typedef struct Pipeline
{
	const Model *model;
	const int32_t *signup_of_user;
	const char *out_dir;
	OutputFile *files;			/* events files, by index */
	WorkUnit   *units;
	size_t		unit_count;
	pthread_mutex_t lock;
	pthread_cond_t turn_changed;
	size_t		next_unit;		/* next to simulate */
	size_t		next_to_write;	/* units are written in this order */
	int			fd;				/* the events file being written */
	uint64_t	rows_by_flags[EVENT_FLAG_COMBINATIONS];
	bool		failed;
	char		error[512];
} Pipeline;

static void
write_unit(Pipeline *pipeline, const WorkUnit *unit, EventWriter *writer)
{
	char		path[4096];

	if (pipeline->failed)
		return;
	join_path(path, sizeof(path), pipeline->out_dir, pipeline->files[unit->file].name);
	if (unit->opens_file)
	{
		pipeline->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (pipeline->fd < 0 ||
			!write_all(pipeline->fd, EVENTS_HEADER, sizeof(EVENTS_HEADER) - 1))
			goto failed;
	}
	if (!write_all(pipeline->fd, writer->out.data, writer->out.len))
		goto failed;
	if (unit->closes_file)
	{
		int			fd = pipeline->fd;

		pipeline->fd = -1;
		if (close(fd) != 0)
			goto failed;
	}
	return;

failed:
	snprintf(pipeline->error, sizeof(pipeline->error), "cannot write \"%.400s\": %s",
			 path, strerror(errno));
	pipeline->failed = true;
}

static void *
pipeline_worker(void *arg)
{
	Pipeline   *pipeline = arg;
	EventWriter writer;

	event_writer_init(&writer, pipeline->model, pipeline->signup_of_user);
	for (;;)
	{
		size_t		index;
		const WorkUnit *unit;

		pthread_mutex_lock(&pipeline->lock);
		index = pipeline->next_unit++;
		pthread_mutex_unlock(&pipeline->lock);
		if (index >= pipeline->unit_count)
			break;
		unit = &pipeline->units[index];

		writer.out.len = 0;
		writer.rows = 0;
		memset(writer.flag_rows, 0, sizeof(writer.flag_rows));
		event_writer_add_users(&writer, unit->first_user, unit->end_user);

		pthread_mutex_lock(&pipeline->lock);
		while (pipeline->next_to_write != index)
			pthread_cond_wait(&pipeline->turn_changed, &pipeline->lock);
		pthread_mutex_unlock(&pipeline->lock);

		/* only the unit whose turn it is writes, so no lock is needed */
		write_unit(pipeline, unit, &writer);

		pthread_mutex_lock(&pipeline->lock);
		pipeline->files[unit->file].rows += writer.rows;
		for (int f = 0; f < EVENT_FLAG_COMBINATIONS; f++)
			pipeline->rows_by_flags[f] += writer.flag_rows[f];
		pipeline->next_to_write++;
		pthread_cond_broadcast(&pipeline->turn_changed);
		pthread_mutex_unlock(&pipeline->lock);
	}
	event_writer_free(&writer);
	return NULL;
}

static void
write_events(Pipeline *pipeline, int jobs)
{
	const Model *model = pipeline->model;
	int			file_count = model->config->events_files;
	size_t		capacity = (size_t) (model->users / UNIT_USERS) + (size_t) file_count + 1;
	pthread_t  *threads;
	int			thread_count;

	pipeline->units = calloc(capacity, sizeof(WorkUnit));
	if (pipeline->units == NULL)
		fail("out of memory");
	for (int f = 0; f < file_count; f++)
	{
		/* contiguous ranges of user ids, as even as can be */
		int64_t		first = 1 + model->users * f / file_count;
		int64_t		end = 1 + model->users * (f + 1) / file_count;
		int64_t		from = first;

		do
		{
			WorkUnit   *unit = &pipeline->units[pipeline->unit_count++];

			unit->file = f;
			unit->first_user = from;
			unit->end_user = end - from > UNIT_USERS ? from + UNIT_USERS : end;
			unit->opens_file = from == first;
			unit->closes_file = unit->end_user == end;
			from = unit->end_user;
		} while (from < end);
	}

	pthread_mutex_init(&pipeline->lock, NULL);
	pthread_cond_init(&pipeline->turn_changed, NULL);
	pipeline->fd = -1;
	thread_count = (size_t) jobs < pipeline->unit_count ? jobs : (int) pipeline->unit_count;
	threads = calloc((size_t) thread_count, sizeof(pthread_t));
	if (threads == NULL)
		fail("out of memory");
	for (int t = 0; t < thread_count; t++)
		if (pthread_create(&threads[t], NULL, pipeline_worker, pipeline) != 0)
			fail("cannot start a thread");
	for (int t = 0; t < thread_count; t++)
		pthread_join(threads[t], NULL);
	free(threads);
	free(pipeline->units);
	pthread_mutex_destroy(&pipeline->lock);
	pthread_cond_destroy(&pipeline->turn_changed);
	if (pipeline->failed)
		fail("%s", pipeline->error);
}

static double
seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double) (now.tv_sec - start->tv_sec) +
		(double) (now.tv_nsec - start->tv_nsec) / 1e9;
}

int
main(int argc, char **argv)
{
	GeneratorConfig config;
	Model		model;
	char		error[512];
	char		path[4096];
	int			status;
	OutputFile *files;
	int32_t    *signup_of_user;
	ProfileSummary profiles;
	Pipeline	pipeline;
	RunSummary	run;
	struct timespec started;

	clock_gettime(CLOCK_MONOTONIC, &started);
	parse_arguments(&config, argc, argv);
	status = model_build(&model, &config, error, sizeof(error));
	if (status == 2)
		usage_error("%s", error);
	else if (status != 0)
		fail("%s", error);

	/* files[0] is the profiles file, then the events files */
	files = calloc((size_t) config.events_files + 1, sizeof(OutputFile));
	if (files == NULL)
		fail("out of memory");
	snprintf(files[0].name, sizeof(files[0].name), "%s", PROFILES_FILE);
	files[0].kind = "profiles";
	for (int f = 0; f < config.events_files; f++)
	{
		events_file_name(&config, f, files[f + 1].name, sizeof(files[f + 1].name));
		files[f + 1].kind = "events";
	}
	prepare_directory(&config, files + 1, config.events_files);

	signup_of_user = malloc(sizeof(int32_t) * (size_t) (model.users + 1));
	if (signup_of_user == NULL)
		fail("out of memory for %lld users", (long long) model.users);
	join_path(path, sizeof(path), config.out_dir, PROFILES_FILE);
	if (!profiles_write(&model, path, signup_of_user, &profiles))
		fail("cannot write \"%s\": %s", path, strerror(errno));
	files[0].rows = profiles.rows;

	events_prepare(&model);
	memset(&pipeline, 0, sizeof(pipeline));
	pipeline.model = &model;
	pipeline.signup_of_user = signup_of_user;
	pipeline.out_dir = config.out_dir;
	pipeline.files = files + 1;
	write_events(&pipeline, config.jobs);

	memset(&run, 0, sizeof(run));
	run.profiles = &profiles;
	run.files = files;
	run.file_count = config.events_files + 1;
	for (int f = 0; f < config.events_files; f++)
		run.event_rows += files[f + 1].rows;
	memcpy(run.event_rows_by_flags, pipeline.rows_by_flags, sizeof(run.event_rows_by_flags));
	join_path(path, sizeof(path), config.out_dir, MANIFEST_FILE);
	if (!manifest_write(path, &model, &run))
		fail("cannot write \"%s\": %s", path, strerror(errno));

	{
		double		elapsed = seconds_since(&started);

		printf("%s: %lld users, %llu profile rows, %llu event rows in %d file%s, "
			   "%llu clean; %.2f s (%.0f events/s) into %s\n",
			   GENERATOR_NAME, (long long) model.users,
			   (unsigned long long) profiles.rows, (unsigned long long) run.event_rows,
			   config.events_files, config.events_files == 1 ? "" : "s",
			   (unsigned long long) run.event_rows_by_flags[0], elapsed,
			   elapsed > 0 ? (double) run.event_rows / elapsed : 0.0, config.out_dir);
	}
	free(signup_of_user);
	free(files);
	model_free(&model);
	return 0;
}

# tests/ingest_crash.pl: ritual.ingest is exactly-once across crashes.
#
# A lake of ~45 event files (some gzip) is ingested 20 times; each time the
# ingesting backend is killed with SIGKILL at a random point (before the
# batch starts, while it reads, or once it has read every file and is about
# to write its checkpoint and commit), and the postmaster recovers.  Between
# rounds files are added, plain files grow by whole lines, a gzip file grows
# by a gzip member, and a record is left half-written to be finished later.
# After every recovery the checkpoint must agree with the target; after the
# 20 rounds ingest runs until nothing is left, and the target must hold every
# record of the files exactly once: each (source_file, source_line) once,
# the same rows a plain scan of the files returns, and with the rejects
# every data line of every file.
#
# Run by tests/ingest_crash.sh (as the OS user postgres, with PATH, PG_REGRESS,
# TESTDIR, RITUAL_GENERATOR and RITUAL_SERVER_ENV set); RITUAL_CRASH_SEED
# repeats a run.
# RITUAL_CRASH_SABOTAGE=unlogged_target or unlogged_checkpoint makes the
# target or the checkpoint not crash-safe, to see the test fail.
use strict;
use warnings;
use File::Copy qw(move);
use IO::Uncompress::Gunzip qw($GunzipError);
use IO::Compress::Gzip qw(gzip $GzipError);
use IPC::Run;
use Time::HiRes qw(usleep time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $ROUNDS = 20;
my $full_seconds = 0.5;    # how long a batch of the whole lake takes
my $seed = $ENV{RITUAL_CRASH_SEED} // int(time() * 1000) % 1000000;
srand($seed);
note "seed $seed (RITUAL_CRASH_SEED=$seed repeats this run)";

my $generator = $ENV{RITUAL_GENERATOR}
  or BAIL_OUT('RITUAL_GENERATOR must name src/generator/ritual-generate');

my $node = PostgreSQL::Test::Cluster->new('ingest_crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
restart_after_crash = on
max_parallel_workers_per_gather = 0
log_min_messages = warning
});

# RITUAL_SERVER_ENV (see tests/cluster.sh): NAME=VALUE words for the
# server's environment only, such as a sanitizer runtime to preload; the
# postmaster passes them on to the backends it restarts after each crash.
{
	local %ENV = %ENV;
	for my $word (split ' ', $ENV{RITUAL_SERVER_ENV} // '')
	{
		my ($name, $value) = split /=/, $word, 2;
		$ENV{$name} = $value;
	}
	$node->start;
}

my $lake = PostgreSQL::Test::Utils::tempdir('lake');

# --- the lake -----------------------------------------------------------
sub generate
{
	my ($dir, $users, $files, $gen_seed) = @_;
	system($generator, '--out', $dir, '--users', $users, '--days', 40,
		'--seed', $gen_seed, '--events-files', $files) == 0
	  or BAIL_OUT("ritual-generate failed");
	unlink "$dir/user_profiles.csv", "$dir/manifest.json";
}

sub gzip_file
{
	my ($path) = @_;
	gzip($path => "$path.gz") or die "gzip $path: $GzipError";
	unlink $path;
}

# 45 files: 40 first, gzip every fifth
generate("$lake/tmp", 2500, 40, 3);
for my $f (glob "$lake/tmp/user_events_*.csv")
{
	(my $name = $f) =~ s{.*/}{};
	move($f, "$lake/$name") or die;
	gzip_file("$lake/$name") if $name =~ /_\d\d[05]\.csv$/;
}
rmdir "$lake/tmp";

my @plain = sort glob "$lake/user_events_*.csv";
my @gzipped = sort glob "$lake/user_events_*.csv.gz";
ok(@plain >= 20 && @gzipped >= 5,
	scalar(@plain) . " plain and " . scalar(@gzipped) . " gzip files to start");

$node->safe_psql('postgres', qq{
CREATE EXTENSION ritual;
CREATE SERVER files FOREIGN DATA WRAPPER ritual_fdw;
CREATE FOREIGN TABLE events_raw (user_id bigint, event_type text,
    event_date timestamptz,
    source_file text OPTIONS (meta 'filename'),
    source_line bigint OPTIONS (meta 'line'))
  SERVER files OPTIONS (path '$lake/*.csv*', header 'true', on_error 'skip');
CREATE TABLE events (user_id bigint, event_type text, event_date timestamptz,
    source_file text, source_line bigint);
});
my $sabotage = $ENV{RITUAL_CRASH_SABOTAGE} // '';
if ($sabotage eq 'unlogged_target')
{
	$node->safe_psql('postgres', 'ALTER TABLE events SET UNLOGGED');
}
elsif ($sabotage eq 'unlogged_checkpoint')
{
	$node->safe_psql('postgres',
		'ALTER TABLE ritual.ingest_files SET UNLOGGED');
}
note "sabotage: $sabotage" if $sabotage;

my $ingest = q{SELECT batch FROM ritual.ingest('events_raw', 'events')};

# --- growing the lake between rounds -----------------------------------
my %half_written;    # path => the rest of its last record

sub append_lines
{
	my ($path, $text) = @_;
	open my $fh, '>>', $path or die "$path: $!";
	print $fh $text;
	close $fh;
}

sub some_lines
{
	my ($round, $n) = @_;
	my $text = '';
	for my $i (1 .. $n)
	{
		if ($i % 50 == 0)
		{
			$text .= "not-a-user,app_opened,2024-02-01 10:00:00\n";  # a reject
		}
		else
		{
			$text .= sprintf("%d,ritual_completed,2024-02-%02d %02d:%02d:00\n",
				$round * 1000 + $i, 1 + $i % 28, $i % 24, $i % 60);
		}
	}
	return $text;
}

sub grow_lake
{
	my ($round) = @_;

	# finish the records left half-written
	for my $path (keys %half_written)
	{
		append_lines($path, delete $half_written{$path});
	}
	# whole lines at the end of three plain files
	for (1 .. 3)
	{
		my $path = $plain[ int(rand(@plain)) ];
		append_lines($path, some_lines($round, 20 + int(rand(300))));
	}
	# a new gzip member at the end of a gzip file
	if ($round % 3 == 0)
	{
		my $path = $gzipped[ int(rand(@gzipped)) ];
		my $member;
		my $text = some_lines($round, 100);
		gzip(\$text => \$member) or die $GzipError;
		append_lines($path, $member);
	}
	# two new files, one of them gzip
	if ($round < $ROUNDS)
	{
		generate("$lake/tmp", 400, 2, 100 + $round);
		my @new = sort glob "$lake/tmp/user_events_*.csv";
		for my $i (0 .. $#new)
		{
			my $path = sprintf("%s/round_%02d_%d.csv", $lake, $round, $i);
			move($new[$i], $path) or die;
			if ($i == 1) { gzip_file($path); push @gzipped, "$path.gz"; }
			else { push @plain, $path; }
		}
		rmdir "$lake/tmp";
	}
	# a record whose line end is not written yet
	if ($round % 4 == 1)
	{
		my $path = $plain[ int(rand(@plain)) ];
		append_lines($path, "777$round,journal_en");
		$half_written{$path} = "try,2024-02-03 04:05:06\n";
	}
}

# --- one round: start an ingest, kill its backend -------------------------
# a session that watches ritual.ingest_progress (BackgroundPsql would log
# each of its many queries)
my ($watch_in, $watch_out, $watch_h) = ('', '');

# Send a query to the watching session and return its output, or undef
# when the session is gone (psql exits when its connection fails: a
# connection made while the server still recovers from a kill, or one the
# crash of another backend ended).
sub watch_query
{
	my ($query) = @_;
	local $SIG{PIPE} = 'IGNORE';    # writing to a psql that is gone is an error
	$watch_in .= "$query;\n\\echo END\n";
	my $ok = eval { $watch_h->pump until $watch_out =~ /END\n/; 1 };
	my ($r) = $watch_out =~ /^(.*?)\n?END\n/s;
	$watch_out = '';
	return $ok ? $r // '' : undef;
}

# (Re)start the watching session, until it answers.
sub watch_connect
{
	local $SIG{PIPE} = 'IGNORE';
	for (1 .. 300)
	{
		# the old session may be gone already, with its input unwritten
		eval { $watch_h->kill_kill } if $watch_h;
		($watch_in, $watch_out) = ('', '');
		$watch_h = IPC::Run::start(
			[ 'psql', '-XAtq', '-d', $node->connstr('postgres') ],
			\$watch_in, \$watch_out, \my $watch_err);
		return if defined watch_query('SELECT 1');
		usleep(100_000);
	}
	BAIL_OUT('the watching session could not connect');
}

sub running_batch
{
	my ($pid) = @_;
	my $r = watch_query("SELECT files_done || '/' || files_total FROM ritual.ingest_progress"
		  . " WHERE pid = $pid");
	return $r if defined $r;
	watch_connect();
	return '';
}
watch_connect();

sub kill_round
{
	my ($round, $mode) = @_;
	my ($in, $out, $err) = ('', '', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres') ],
		\$in, \$out, \$err);
	$in .= "SELECT pg_backend_pid();\n";
	$h->pump until $out =~ /^(\d+)\n/m;
	my $pid = $1;
	$in .= "BEGIN;\n$ingest;\nCOMMIT;\n\\echo committed\n";
	$h->pump_nb;
	my $seen = '';
	if ($mode eq 'start')
	{
		usleep(int(rand(20_000)));
	}
	elsif ($mode eq 'during' || $mode eq 'after')
	{
		# 'after': once the batch is committed
		my $until = time() + ($mode eq 'after' ? 10 : rand($full_seconds * 1.2));
		while (time() < $until)
		{
			$h->pump_nb;
			last if $out =~ /^committed$/m;
			my $r = running_batch($pid);
			$seen = $r if $r ne '';
		}
	}
	else    # 'commit': once every file of the batch is read
	{
		my $until = time() + 10;
		while (time() < $until)
		{
			$h->pump_nb;
			my $r = running_batch($pid);
			$seen = $r if $r ne '';
			last if $r =~ m{^(\d+)/(\d+)$} && $1 == $2;
			last if length($out) > length("$pid\n");    # read and written
		}
	}
	kill 'KILL', $pid;
	# the postmaster has seen the crash once it has reaped the backend
	my $gone = time() + 30;
	usleep(10_000) while kill(0, $pid) && time() < $gone;
	$h->finish;    # psql loses its connection
	return $seen;
}

sub checkpoint_agrees
{
	my ($what) = @_;
	my $r = $node->safe_psql('postgres', q{
SELECT (SELECT count(*) FROM events) || ' rows, checkpoint ' ||
       (SELECT coalesce(sum(rows), 0) FROM ritual.ingest_files) || ', log ' ||
       (SELECT coalesce(sum(rows), 0) FROM ritual.ingest_batches) || ', rejects ' ||
       (SELECT count(*) FROM ritual.ingest_rejects) || '/' ||
       (SELECT coalesce(sum(rejects), 0) FROM ritual.ingest_files) || ' dup ' ||
       (SELECT count(*) - count(DISTINCT (source_file, source_line)) FROM events)});
	my ($rows, $ck, $log, $rj, $rjck, $dup) =
	  $r =~ /^(\d+) rows, checkpoint (\d+), log (\d+), rejects (\d+)\/(\d+) dup (\d+)$/
	  or return fail("$what: $r");
	ok($rows == $ck && $rows == $log && $rj == $rjck && $dup == 0,
		"$what: $r");
	return $rows;
}

# how long a batch of the whole lake takes, in a transaction rolled back
my $t0 = time();
$node->safe_psql('postgres', "BEGIN; $ingest; ROLLBACK");
$full_seconds = time() - $t0;
note sprintf('a batch of the whole lake takes %.2f s', $full_seconds);

my @modes = (('start') x 4, ('during') x 8, ('commit') x 4, ('after') x 4);
@modes = map { $_->[1] } sort { $a->[0] <=> $b->[0] } map { [ rand(), $_ ] } @modes;
my ($committed, $lost) = (0, 0);
for my $round (1 .. $ROUNDS)
{
	my $mode = $modes[ $round - 1 ];
	my $batches_before = $node->safe_psql('postgres',
		'SELECT count(*) FROM ritual.ingest_batches');
	my $seen = kill_round($round, $mode);
	$node->poll_query_until('postgres', 'SELECT true')
	  or BAIL_OUT("the server did not come back after round $round");
	watch_connect();
	my $batches_after = $node->safe_psql('postgres',
		'SELECT count(*) FROM ritual.ingest_batches');
	my $outcome = $batches_after > $batches_before ? 'committed' : 'rolled back';
	$batches_after > $batches_before ? $committed++ : $lost++;
	# the next batch takes about as long as the last, or longer if rolled back
	$full_seconds = $node->safe_psql('postgres',
		'SELECT seconds FROM ritual.ingest_batches ORDER BY batch DESC LIMIT 1')
	  if $outcome eq 'committed';
	checkpoint_agrees("round $round, killed at $mode"
		  . ($seen ne '' ? " (seen $seen files)" : '') . ", $outcome");
	grow_lake($round);
}
note "$committed batches committed before their kill, $lost rolled back";
ok($lost >= 5 && $committed >= 4,
	"kills hit running batches ($lost) and committed ones ($committed)");

# --- the rerun: everything, exactly once --------------------------------
for my $path (keys %half_written)
{
	append_lines($path, delete $half_written{$path});
}
my $reruns = 0;
while ($node->safe_psql('postgres', $ingest) ne '')
{
	last if ++$reruns > 5;
}
ok($reruns >= 1 && $reruns <= 2, "the rerun took $reruns batch(es)");
my $total = checkpoint_agrees('after the rerun');

# the files' lines, counted here
my ($lines, $headers) = (0, 0);
my %file_lines;
for my $path (sort glob "$lake/*.csv*")
{
	my $fh;
	if ($path =~ /\.gz$/)
	{
		$fh = IO::Uncompress::Gunzip->new($path, MultiStream => 1)
		  or die "$path: $GunzipError";
	}
	else
	{
		open $fh, '<', $path or die "$path: $!";
	}
	my $n = 0;
	$n++ while <$fh>;
	close $fh;
	$file_lines{$path} = $n;
	$lines += $n;
	$headers++;
}
my $rejects = $node->safe_psql('postgres', 'SELECT count(*) FROM ritual.ingest_rejects');
is($total + $rejects, $lines - $headers,
	"rows ($total) and rejects ($rejects) are the files' "
	  . ($lines - $headers) . " data lines");

my %taken = map { my @f = split /\|/; ($f[0] => join(' ', @f[1 .. 5])) }
  split /\n/, $node->safe_psql('postgres', q{
SELECT l.path, count(*), count(DISTINCT l.line), min(l.line), max(l.line), min(f.lines)
  FROM (SELECT source_file AS path, source_line AS line FROM events
        UNION ALL
        SELECT path, line FROM ritual.ingest_rejects) l
  LEFT JOIN ritual.ingest_files f USING (path)
 GROUP BY l.path});
my $wrong_files = 0;
for my $path (sort keys %file_lines)
{
	my $n = $file_lines{$path};
	my $want = join(' ', $n - 1, $n - 1, 2, $n, $n);
	my $r = delete $taken{$path} // 'nothing';
	if ($r ne $want)
	{
		diag("$path: lines taken (count, distinct, first, last, checkpoint) $r, want $want");
		$wrong_files++;
	}
}
$wrong_files += keys %taken;    # rows of no file of the lake
is($wrong_files, 0, "every data line of each of " . scalar(keys %file_lines)
	  . " files is in the target or a reject, once, and the checkpoint ends at its last line");

is($node->safe_psql('postgres', q{
SELECT count(*) FROM (
  (SELECT user_id, event_type, event_date, source_file, source_line FROM events_raw
   EXCEPT ALL
   SELECT user_id, event_type, event_date, source_file, source_line FROM events)
  UNION ALL
  (SELECT user_id, event_type, event_date, source_file, source_line FROM events
   EXCEPT ALL
   SELECT user_id, event_type, event_date, source_file, source_line FROM events_raw)) d}),
	'0', 'the target holds the very rows a plain scan of the files returns');

is($node->safe_psql('postgres', $ingest), '', 'one more ingest finds nothing new');

$watch_h->kill_kill;
$node->stop;
done_testing();

#!/usr/bin/perl
# tests/doc_examples.pl DOC SANDBOX: run the ```sql blocks of one document
# in order, in one psql session to database analytics (the server from PG*
# variables), paths that start with /srv/ read below SANDBOX,
# and compare what each prints with the ```text block shown after it.  The
# conventions are in docs/testing.md (Examples in the docs).  Prints
# "ok - DOC:LINE" or "not ok - DOC:LINE: reason" per block that runs and
# "# not run - DOC:LINE: reason" per block marked so, then a last line
# "BLOCKS N passed, M failed, K not run".  tests/doc_examples.sh runs it.
use strict;
use warnings;
use File::Temp qw(tempdir);

my ($doc, $sandbox) = @ARGV;
die "usage: doc_examples.pl DOC SANDBOX\n" unless defined $sandbox;

# The Looker Studio date range that a custom query's parameters stand for:
# the last 28 days of the demo's export.
my %looker_params = (DS_START_DATE => '20240502', DS_END_DATE => '20240529');

open my $fh, '<', $doc or die "$doc: $!\n";
my @lines = <$fh>;
close $fh;
chomp @lines;

# Fenced blocks: lang, first and last line numbers (1-based, of the fences),
# the lines between, with the fence's indentation removed.
my @fences;
for (my $i = 0; $i < @lines; $i++)
{
    next unless $lines[$i] =~ /^(\s*)```(\S*)\s*$/;
    my ($indent, $lang) = (length $1, $2);
    my @body;
    my $j = $i + 1;
    while ($j < @lines && $lines[$j] !~ /^\s*```\s*$/)
    {
        push @body, substr($lines[$j], 0, $indent) =~ /^\s*$/
          ? substr($lines[$j], $indent) : $lines[$j];
        $j++;
    }
    die "$doc:" . ($i + 1) . ": a fence that is never closed\n" if $j >= @lines;
    push @fences, { lang => $lang, open => $i + 1, close => $j + 1, body => \@body };
    $i = $j;
}

my @problems;    # mistakes in the markers: each fails the document
my @blocks;
for my $k (0 .. $#fences)
{
    my $f = $fences[$k];
    next unless $f->{lang} eq 'sql';
    my $where = "$doc:$f->{open}";
    my %b = (line => $f->{open}, sql => $f->{body});

    # markers: HTML comments on the lines right before the fence
    for (my $i = $f->{open} - 2; $i >= 0 && $lines[$i] =~ /^\s*<!--.*-->\s*$/; $i--)
    {
        if ($lines[$i] =~ /^\s*<!-- not run(?::\s*(.*?))?\s*-->\s*$/)
        {
            push @problems, "$where: a block marked not run must say why"
              unless defined $1 && $1 ne '';
            $b{not_run} = $1 // '';
        }
        elsif ($lines[$i] =~ /^\s*<!-- looker custom query -->\s*$/)
        {
            $b{looker} = 1;
        }
        elsif ($lines[$i] =~ /^\s*<!-- as role: (\w+) -->\s*$/)
        {
            $b{role} = $1;
        }
        else
        {
            push @problems, "$where: an unknown marker: " . ($lines[$i] =~ s/^\s+//r);
        }
    }

    # the output: a ```text block after it, with only blank lines and
    # markers between
    my $next = $fences[$k + 1];
    if ($next)
    {
        my @between = @lines[$f->{close} .. $next->{open} - 2];
        if (!grep { !/^\s*$/ && !/^\s*<!--.*-->\s*$/ } @between)
        {
            if ($next->{lang} eq 'text')
            {
                $b{expected} = $next->{body};
                for (@between)
                {
                    $b{volatile} = [split /\s*,\s*/, $1]
                      if /^\s*<!-- volatile:\s*(.*?)\s*-->\s*$/;
                }
            }
            elsif ($next->{lang} eq '')
            {
                push @problems, "$where: the block right after it has no language: "
                  . "```text if it is this block's output, else text between them";
            }
        }
    }
    push @blocks, \%b;
}

# A block that runs must end its last statement, or the next block's first
# statement would be joined to it; a custom query must not (Looker Studio
# wraps it in a subselect).
for my $b (grep { !defined $_->{not_run} } @blocks)
{
    my @code = grep { !/^\s*(--.*)?$/ } @{ $b->{sql} };
    my $last = @code ? $code[-1] : '';
    $last =~ s/\s*--[^']*$//;
    if ($b->{looker})
    {
        push @problems, "$doc:$b->{line}: a custom query must not end with a semicolon"
          if $last =~ /;\s*$/;
    }
    elsif ($last !~ /;\s*$/ && $last !~ /^\s*\\/)
    {
        push @problems, "$doc:$b->{line}: the last statement does not end with a semicolon";
    }
}

my ($passed, $failed, $not_run) = (0, 0, 0);
for my $b (grep { defined $_->{not_run} } @blocks)
{
    print "# not run - $doc:$b->{line}: $b->{not_run}\n";
    $not_run++;
}
if (@problems)
{
    print "not ok - $_\n" for @problems;
    $failed += @problems;
}
my @run = grep { !defined $_->{not_run} } @blocks;
if (@problems || !@run)
{
    print "BLOCKS $passed passed, $failed failed, $not_run not run\n";
    exit 0;
}

# One psql script: a marker line on stdout before each block, so that its
# output can be cut out, and a map from script lines to document lines.
my $tmp = tempdir(CLEANUP => 1);
my (@script, @origin);
sub emit { my ($text, $origin) = @_; push @script, $text; push @origin, $origin; }
emit('\pset footer off', 0);
emit('SELECT current_user AS doc_user \gset', 0);
# a document that does not create the extension is read in a database that
# has it
emit('CREATE EXTENSION ritual;', 0)
  unless grep { /^\s*CREATE EXTENSION (IF NOT EXISTS )?ritual\b/i } map { @{ $_->{sql} } } @run;
for my $n (0 .. $#run)
{
    my $b = $run[$n];
    emit("\\c - $b->{role}", $b->{line}) if $b->{role};
    emit("\\echo '\@\@block $n\@\@'", $b->{line});
    emit('SELECT * FROM (', $b->{line}) if $b->{looker};
    for my $i (0 .. $#{ $b->{sql} })
    {
        my $l = $b->{sql}[$i];
        $l =~ s{(?<=['"])/srv/}{$sandbox/srv/}g;
        $l =~ s/\@(DS_START_DATE|DS_END_DATE)\b/'$looker_params{$1}'/g if $b->{looker};
        emit($l, $b->{line} + 1 + $i);
    }
    emit(') AS t0 LIMIT 10;', $b->{line}) if $b->{looker};
    emit('\c - :doc_user', $b->{line}) if $b->{role};
}
emit("\\echo '\@\@end\@\@'", 0);
open my $sf, '>', "$tmp/doc.sql" or die "$tmp/doc.sql: $!\n";
print $sf "$_\n" for @script;
close $sf;

system("psql -X -q -v ON_ERROR_STOP=1 -d analytics -f '$tmp/doc.sql' >'$tmp/out' 2>'$tmp/err'");
my $status = $? >> 8;
my $out = do { local $/; open my $o, '<', "$tmp/out" or die; <$o> };
my @err = do { open my $e, '<', "$tmp/err" or die; <$e> };
$out =~ s/\Q$sandbox\E(?=\/srv\/)//g;
s/\Q$sandbox\E(?=\/srv\/)//g for @err;
# psql:FILE:LINE: in messages, as the document's line
s{^psql:\Q$tmp\E/doc\.sql:(\d+):}{"$doc:" . $origin[$1 - 1] . ':'}e for @err;

my %output;
my $current;
for my $l (split /\n/, $out)
{
    if ($l =~ /^\@\@block (\d+)\@\@$/) { $current = $1; $output{$current} = []; next; }
    if ($l eq '@@end@@') { $current = undef; next; }
    push @{ $output{$current} }, $l if defined $current;
}
my $ended = $out =~ /^\@\@end\@\@$/m;
# with ON_ERROR_STOP, psql stops in the block whose marker it printed last
my ($stopped) = sort { $b <=> $a } keys %output;
$stopped = $ended && $status == 0 ? -1 : $stopped // 0;

# Output as compared: blank lines dropped, a separator line as "---", other
# lines split at "|" and trimmed; in expected output " -- " starts a note;
# volatile columns (by header name) read "*".
sub normalise
{
    my ($lines, $volatile, $expected) = @_;
    my @l = grep { !/^\s*$/ } map { my $x = $_; $x =~ s/\s+--\s.*$// if $expected; $x } @$lines;
    my @norm;
    my @hide;
    for my $i (0 .. $#l)
    {
        if ($l[$i] =~ /^[-+\s]*-[-+\s]*$/) { push @norm, '---'; next; }
        my @cells = map { s/^\s+|\s+$//gr } split /\|/, $l[$i], -1;
        if ($i < $#l && $l[$i + 1] =~ /^[-+\s]*-[-+\s]*$/)
        {
            my %v = map { $_ => 1 } @{ $volatile || [] };
            @hide = grep { $v{ $cells[$_] } } 0 .. $#cells;
        }
        else
        {
            $cells[$_] = '*' for grep { $_ <= $#cells } @hide;
        }
        push @norm, join(' | ', @cells);
    }
    return @norm;
}

for my $n (0 .. $#run)
{
    my $b = $run[$n];
    my $name = "$doc:$b->{line}";
    if ($stopped >= 0 && $n > $stopped)
    {
        print "not ok - $name: not reached (the block at line $run[$stopped]{line} failed)\n";
        $failed++;
        next;
    }
    if ($n == $stopped)
    {
        my ($first) = grep { $err[$_] =~ /\b(ERROR|FATAL|PANIC):|server closed/ } 0 .. $#err;
        print "not ok - $name: psql exited with status $status\n";
        print map { "#   $_" } @err[($first // 0) .. $#err];
        $failed++;
        next;
    }
    if ($b->{expected})
    {
        my @want = normalise($b->{expected}, $b->{volatile}, 1);
        my @got = normalise($output{$n}, $b->{volatile}, 0);
        if (join("\n", @want) ne join("\n", @got))
        {
            print "not ok - $name: the output differs from the one shown\n";
            print "#   shown:\n", map { "#     $_\n" } @want;
            print "#   printed:\n", map { "#     $_\n" } @got;
            $failed++;
            next;
        }
    }
    print "ok - $name\n";
    $passed++;
}
print "BLOCKS $passed passed, $failed failed, $not_run not run\n";

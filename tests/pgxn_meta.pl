#!/usr/bin/perl
# tests/pgxn_meta.pl: validate a META.json against the PGXN Meta Spec 1.0.0.
#
#   perl tests/pgxn_meta.pl [--root DIR] META.json
#
# PGXN's own validator (the CPAN module PGXN::Meta::Validator) is not
# packaged in Debian; this one checks the same rules with core Perl only:
# the required keys and their types, semantic versions (three parts, as
# PGXN demands: "0.2" is not one), version ranges of prerequisites, the
# license names the spec knows, and that no key is unknown (custom keys
# start with "x_").  With --root, the files that "provides" names must exist
# under DIR.  Prints each error and exits 1, or prints "FILE is valid".
use strict;
use warnings;
use JSON::PP;

my $root;
if (@ARGV && $ARGV[0] eq '--root')
{
    shift @ARGV;
    $root = shift @ARGV;
}
@ARGV == 1 or die "usage: $0 [--root DIR] META.json\n";
my $file = $ARGV[0];

my @errors;
sub error { my ($path, $msg) = @_; push @errors, "$path: $msg"; }

# SemVer 1.0.0, which the spec names: X.Y.Z without leading zeros, and an
# optional pre-release tag after a dash
my $semver = qr/(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:-[0-9A-Za-z-]+)?/;

my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd
    freebsd gfdl_1_2 gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1
    openssl perl_5 postgresql qpl_1_0 ssleay sun zlib open_source restricted unrestricted
    unknown);

sub is_string { my ($v) = @_; return defined $v && !ref $v && $v ne ''; }

sub check_string
{
    my ($path, $v) = @_;
    error($path, 'must be a non-empty string') unless is_string($v);
}

sub check_version
{
    my ($path, $v) = @_;
    error($path, sprintf('"%s" is not a semantic version (X.Y.Z)', $v // 'null'))
        unless is_string($v) && $v =~ /\A$semver\z/;
}

# a term (distribution or extension name): two characters at least, no
# space, control character, slash or backslash
sub check_term
{
    my ($path, $v) = @_;
    error($path, sprintf('"%s" is not a valid name', $v // 'null'))
        unless is_string($v) && length($v) >= 2 && $v !~ m{[[:space:][:cntrl:]/\\]};
}

sub check_url
{
    my ($path, $v) = @_;
    error($path, sprintf('"%s" is not a URL', $v // 'null'))
        unless is_string($v) && $v =~ m{\A[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]+};
}

sub check_file
{
    my ($path, $v) = @_;
    check_string($path, $v);
    error($path, "\"$v\" does not exist in the distribution")
        if defined $root && is_string($v) && !-f "$root/$v";
}

# a string, or a list of strings (the spec's "list" may be a lone string)
sub check_list
{
    my ($path, $v, $check_item) = @_;
    if (ref $v eq 'ARRAY')
    {
        error($path, 'must not be an empty list') unless @$v;
        $check_item->("$path\[$_]", $v->[$_]) for 0 .. $#$v;
    }
    else
    {
        $check_item->($path, $v);
    }
}

# keys of a map: those of the table, checked by their function, or custom
# ones ("x_..."); the required ones must be there
sub check_map
{
    my ($path, $v, $known, @required) = @_;
    if (ref $v ne 'HASH')
    {
        error($path || '/', 'must be an object');
        return;
    }
    exists $v->{$_} or error("$path/$_", 'is required') for @required;
    for my $key (sort keys %$v)
    {
        if ($known->{$key})
        {
            $known->{$key}->("$path/$key", $v->{$key});
        }
        elsif ($key !~ /\Ax_/i)
        {
            error("$path/$key", 'is not a key of the spec (custom keys start with "x_")');
        }
    }
}

# a map whose keys are free (names) and whose values one function checks
sub check_each
{
    my ($path, $v, $check_key, $check_value) = @_;
    if (ref $v ne 'HASH')
    {
        error($path, 'must be an object');
        return;
    }
    for my $key (sort keys %$v)
    {
        $check_key->("$path/$key", $key) if $check_key;
        $check_value->("$path/$key", $v->{$key});
    }
}

sub check_license
{
    my ($path, $v) = @_;
    if (ref $v eq 'HASH')
    {
        error($path, 'must not be an empty object') unless %$v;
        check_each($path, $v, undef, \&check_url);
        return;
    }
    check_list($path, $v, sub {
        my ($p, $name) = @_;
        error($p, sprintf('"%s" is not a license name of the spec', $name // 'null'))
            unless is_string($name) && $licenses{$name};
    });
}

# "0", or comma-separated versions, each with an optional operator
sub check_version_range
{
    my ($path, $v) = @_;
    return if defined $v && !ref $v && $v eq '0';
    my $ok = is_string($v);
    if ($ok)
    {
        for my $part (split /,\s*/, $v, -1)
        {
            $ok = 0 unless $part =~ /\A(?:(?:[<>]=?|==|!=)\s*)?$semver\z/;
        }
    }
    error($path, sprintf('"%s" is not a version range', $v // 'null')) unless $ok;
}

sub check_prereqs
{
    my ($path, $v) = @_;
    my %phases = map { $_ => 1 } qw(configure build test runtime develop);
    my %relations = map { $_ => 1 } qw(requires recommends suggests conflicts);
    check_each($path, $v,
        sub {
            my ($p, $k) = @_;
            error($p, 'is not a phase (configure, build, test, runtime, develop)')
                unless $phases{$k} || $k =~ /\Ax_/i;
        },
        sub {
            check_each($_[0], $_[1],
                sub {
                    my ($p, $k) = @_;
                    error($p, 'is not a relation (requires, recommends, suggests, conflicts)')
                        unless $relations{$k} || $k =~ /\Ax_/i;
                },
                sub { check_each($_[0], $_[1], \&check_term, \&check_version_range) });
        });
}

my $extension = sub {
    check_map($_[0], $_[1], {
        file => \&check_file,
        version => \&check_version,
        abstract => \&check_string,
        docfile => \&check_file,
    }, qw(file version));
};

my %top = (
    name => \&check_term,
    abstract => \&check_string,
    version => \&check_version,
    maintainer => sub { check_list(@_, \&check_string) },
    license => \&check_license,
    provides => sub {
        error($_[0], 'must name at least one extension') if ref $_[1] eq 'HASH' && !%{ $_[1] };
        check_each($_[0], $_[1], \&check_term, $extension);
    },
    'meta-spec' => sub {
        check_map($_[0], $_[1], {
            version => sub {
                error($_[0], 'must be "1.0.0", the version this validator knows')
                    unless defined $_[1] && $_[1] eq '1.0.0';
            },
            url => \&check_url,
        }, 'version');
    },
    description => \&check_string,
    generated_by => \&check_string,
    tags => sub {
        check_list(@_, sub {
            my ($p, $tag) = @_;
            error($p, 'is not a tag (1 to 256 characters, no control character, / or \\)')
                unless is_string($tag) && length($tag) <= 256 && $tag !~ m{[[:cntrl:]/\\]};
        });
    },
    no_index => sub {
        my $strings = sub { check_list(@_, \&check_string) };
        check_map($_[0], $_[1], { file => $strings, directory => $strings });
    },
    prereqs => \&check_prereqs,
    release_status => sub {
        error($_[0], 'must be stable, testing or unstable')
            unless defined $_[1] && !ref $_[1] && $_[1] =~ /\A(?:stable|testing|unstable)\z/;
    },
    resources => sub {
        check_map($_[0], $_[1], {
            license => sub { check_list(@_, \&check_url) },
            homepage => \&check_url,
            bugtracker => sub {
                check_map($_[0], $_[1], {
                    web => \&check_url,
                    mailto => sub {
                        error($_[0], 'is not an e-mail address')
                            unless is_string($_[1]) && $_[1] =~ /\@/;
                    },
                });
            },
            repository => sub {
                check_map($_[0], $_[1], {
                    web => \&check_url,
                    url => \&check_url,
                    type => sub {
                        error($_[0], 'must be a lower-case string')
                            unless is_string($_[1]) && $_[1] !~ /[[:upper:]]/;
                    },
                });
            },
        });
    },
);

open my $fh, '<:raw', $file or die "$file: $!\n";
my $text = do { local $/; <$fh> };
close $fh;
my $meta = eval { JSON::PP->new->utf8->decode($text) };
if (!defined $meta)
{
    print "$file: not JSON: $@";
    exit 1;
}
check_map('', $meta, \%top, qw(name abstract version maintainer license provides meta-spec));

if (@errors)
{
    print "$file: $_\n" for @errors;
    exit 1;
}
print "$file is valid\n";

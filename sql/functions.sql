--
-- functions: week_since_signup, anomaly flags, session_number,
-- previous_non_null and next_non_null
--
-- Runs alone or after the other suites: the extension may already exist.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS ritual;
RESET client_min_messages;
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
SET timezone = 'UTC';

-- functions_are_declared_with_their_volatility_and_strictness
SELECT p.oid::regprocedure AS function, p.prokind, p.provolatile,
       p.proisstrict, p.proparallel,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p
 WHERE p.pronamespace = 'ritual'::regnamespace
   AND p.proname IN ('week_since_signup', 'event_flags', 'profile_flags',
                     'flag_names', 'flag_bits', 'flag_bit', 'session_number',
                     'previous_non_null', 'next_non_null')
 ORDER BY p.proname, p.oid::regprocedure::text;

-- all_functions_belong_to_the_extension: DROP EXTENSION removes them
SELECT count(*) AS not_members
  FROM pg_proc p
 WHERE p.pronamespace = 'ritual'::regnamespace
   AND NOT EXISTS (SELECT FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.refclassid = 'pg_extension'::regclass
                      AND d.deptype = 'e');
BEGIN;
SET LOCAL client_min_messages = warning;
DROP EXTENSION ritual CASCADE;
SELECT count(*) AS functions_left FROM pg_proc
 WHERE proname IN ('week_since_signup', 'event_flags', 'profile_flags',
                   'flag_names', 'flag_bits', 'flag_bit', 'session_number',
                   'previous_non_null', 'next_non_null');
ROLLBACK;

--
-- week_since_signup
--

-- worked_examples_of_analytics_md: 2017-10-14 is a Saturday
SELECT signup, to_char(signup, 'Dy') AS sdow, event, to_char(event, 'Dy') AS edow,
       ritual.week_since_signup(event, signup) AS default_mode,
       ritual.week_since_signup(event, signup, 'sunday') AS sunday,
       ritual.week_since_signup(event, signup, 'monday') AS monday,
       ritual.week_since_signup(event, signup, 'rolling') AS rolling
  FROM (VALUES (date '2017-10-14', date '2017-10-14'),
               ('2017-10-14', '2017-10-15'),
               ('2017-10-14', '2017-10-21'),
               ('2017-10-14', '2017-10-22'),
               ('2017-10-15', '2017-10-14'),
               ('2017-12-17', '2017-12-18')) AS v(signup, event);

-- week_boundaries_saturday_to_sunday_and_sunday_to_monday: signup on a
-- Wednesday; sunday mode steps on Sundays, monday mode on Mondays, rolling
-- on Wednesdays
SELECT event, to_char(event, 'Dy') AS dow,
       ritual.week_since_signup(event, date '2017-10-11', 'sunday') AS sunday,
       ritual.week_since_signup(event, date '2017-10-11', 'monday') AS monday,
       ritual.week_since_signup(event, date '2017-10-11', 'rolling') AS rolling
  FROM generate_series(date '2017-10-11', date '2017-10-25', '1 day') AS g(t),
       LATERAL (SELECT t::date AS event) AS d;

-- event_before_signup_gives_weeks_below_one: rolling rounds down, so the
-- day before signup is week 0 and 7 days before is week 0, 8 days before -1
SELECT event, to_char(event, 'Dy') AS dow,
       ritual.week_since_signup(event, date '2017-10-18', 'sunday') AS sunday,
       ritual.week_since_signup(event, date '2017-10-18', 'monday') AS monday,
       ritual.week_since_signup(event, date '2017-10-18', 'rolling') AS rolling
  FROM (VALUES (date '2017-10-17'), ('2017-10-15'), ('2017-10-14'),
               ('2017-10-11'), ('2017-10-10'), ('2017-10-08'),
               ('2017-10-07')) AS v(event);

-- modes_match_case_insensitively_but_not_with_spaces
SELECT ritual.week_since_signup(date '2017-10-15', date '2017-10-14', 'SUNDAY') AS sunday,
       ritual.week_since_signup(date '2017-10-16', date '2017-10-14', 'Monday') AS monday,
       ritual.week_since_signup(date '2017-10-21', date '2017-10-14', 'RoLLing') AS rolling;
SELECT ritual.week_since_signup(date '2017-10-15', date '2017-10-14', 'sunday ');

-- unknown_mode_names_the_valid_ones_and_suggests_the_closest
SELECT ritual.week_since_signup(date '2017-10-15', date '2017-10-14', 'sundy');
SELECT ritual.week_since_signup(date '2017-10-15', date '2017-10-14', 'MONDY');
SELECT ritual.week_since_signup(date '2017-10-15', date '2017-10-14', 'rolling7');
SELECT ritual.week_since_signup(date '2017-10-15', date '2017-10-14', 'week');
SELECT ritual.week_since_signup(date '2017-10-15', date '2017-10-14', '');
-- the mode is checked even when the dates are infinite
SELECT ritual.week_since_signup(date 'infinity', date '2017-10-14', 'isoweek');

-- nulls_give_null: the functions are strict, a NULL mode included
SELECT ritual.week_since_signup(NULL::date, date '2017-10-14') IS NULL AS null_event,
       ritual.week_since_signup(date '2017-10-14', NULL) IS NULL AS null_signup,
       ritual.week_since_signup(date '2017-10-14', date '2017-10-14', NULL) IS NULL AS null_mode,
       ritual.week_since_signup(NULL::timestamp, date '2017-10-14') IS NULL AS null_ts,
       ritual.week_since_signup(NULL::timestamptz, date '2017-10-14') IS NULL AS null_tstz;

-- infinite_dates_give_null
SELECT ritual.week_since_signup(date 'infinity', date '2017-10-14') AS inf_event,
       ritual.week_since_signup(date '-infinity', date '2017-10-14') AS neg_inf_event,
       ritual.week_since_signup(date '2017-10-14', date 'infinity') AS inf_signup,
       ritual.week_since_signup(timestamp 'infinity', date '2017-10-14') AS inf_ts,
       ritual.week_since_signup(timestamp '-infinity', date '2017-10-14', 'rolling') AS neg_inf_ts,
       ritual.week_since_signup(timestamptz 'infinity', date '2017-10-14', 'monday') AS inf_tstz,
       ritual.week_since_signup(timestamptz '2017-10-14', date '-infinity') AS neg_inf_signup;

-- leap_days: 7 days after Feb 28 is Mar 6 in a leap year, Mar 7 otherwise
SELECT signup, to_char(signup, 'Dy') AS sdow, event, to_char(event, 'Dy') AS edow,
       ritual.week_since_signup(event, signup, 'sunday') AS sunday,
       ritual.week_since_signup(event, signup, 'monday') AS monday,
       ritual.week_since_signup(event, signup, 'rolling') AS rolling
  FROM (VALUES (date '2024-02-29', date '2024-03-01'),
               ('2024-02-29', '2024-03-03'),
               ('2024-02-29', '2024-03-06'),
               ('2024-02-29', '2024-03-07'),
               ('2024-02-29', '2025-02-28'),
               ('2024-02-29', '2025-03-01'),
               ('2024-02-29', '2028-02-29'),
               ('2024-02-28', '2024-03-05'),
               ('2024-02-28', '2024-03-06'),
               ('2023-02-28', '2023-03-01'),
               ('2023-02-28', '2023-03-06'),
               ('2023-02-28', '2023-03-07')) AS v(signup, event);

-- far_dates_do_not_overflow: the first day of the date type, 4714-11-24 BC
-- (Julian day 0, a Monday), 4713-01-01 BC (day 38, a Thursday) and the last
-- day, 5874897-12-31 (day 2147483493, a Tuesday); each value checked by
-- hand from these day numbers
SELECT signup, event,
       ritual.week_since_signup(event, signup, 'sunday') AS sunday,
       ritual.week_since_signup(event, signup, 'monday') AS monday,
       ritual.week_since_signup(event, signup, 'rolling') AS rolling
  FROM (VALUES (date '4714-11-24 BC', date '4714-11-24 BC'),
               (date '4714-11-24 BC', date '4713-01-01 BC'),
               (date '4714-11-24 BC', date '5874897-12-31'),
               (date '5874897-12-31', date '4714-11-24 BC'),
               (date '4713-01-01 BC', date '5874897-12-31'),
               (date '2017-10-14', date '5874897-12-31'),
               (date '2017-10-14', date '4713-01-01 BC')) AS v(signup, event);
-- and the first and last instants of the timestamp type
SELECT signup, event,
       ritual.week_since_signup(event, signup, 'sunday') AS sunday,
       ritual.week_since_signup(event, signup, 'monday') AS monday,
       ritual.week_since_signup(event, signup, 'rolling') AS rolling
  FROM (VALUES (date '4714-11-24 BC', timestamp '294276-12-31 23:59:59.999999'),
               (date '4713-01-01 BC', timestamp '294276-12-31 23:59:59.999999'),
               (date '2017-10-14', timestamp '294276-12-31 23:59:59.999999'),
               (date '2017-10-14', timestamp '4714-11-24 00:00:00 BC')) AS v(signup, event);

-- modes_agree_with_a_plain_sql_reference: for 20,000 date pairs spread
-- over the whole range of the type, the definitions of docs/metrics.md written
-- with extract(dow) and extract(isodow)
WITH pairs AS (
  SELECT date '4714-11-24 BC' + ((i::bigint * 2654435761) % 2147483494)::int AS signup,
         date '4714-11-24 BC' + ((i::bigint * 1103515245 + 12345) % 2147483494)::int AS event
    FROM generate_series(1, 10000) AS i
  UNION ALL
  -- and near each other: -60 to +400 days
  SELECT s, s + ((i * 7919) % 461 - 60)
    FROM generate_series(1, 10000) AS i,
         LATERAL (SELECT date '1990-01-01' + (i * 104729) % 20000 AS s) AS x
), reference AS (
  SELECT signup, event,
         ((event - signup)::bigint - extract(dow FROM event)::int
          + extract(dow FROM signup)::int) / 7 + 1 AS sunday,
         ((event - signup)::bigint - (extract(isodow FROM event)::int - 1)
          + (extract(isodow FROM signup)::int - 1)) / 7 + 1 AS monday,
         floor((event - signup)::numeric / 7) + 1 AS rolling
    FROM pairs
)
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE event < signup) AS before_signup,
       count(*) FILTER (WHERE ritual.week_since_signup(event, signup, 'sunday') <> sunday) AS sunday_wrong,
       count(*) FILTER (WHERE ritual.week_since_signup(event, signup, 'monday') <> monday) AS monday_wrong,
       count(*) FILTER (WHERE ritual.week_since_signup(event, signup, 'rolling') <> rolling) AS rolling_wrong,
       count(*) FILTER (WHERE sunday <> monday) AS sunday_differs_from_monday,
       count(*) FILTER (WHERE sunday <> rolling) AS sunday_differs_from_rolling
  FROM reference;

-- timestamps_count_their_day: the time of day does not matter
SELECT event,
       ritual.week_since_signup(event, date '2017-10-14') AS sunday,
       ritual.week_since_signup(event, date '2017-10-14', 'monday') AS monday,
       ritual.week_since_signup(event, date '2017-10-14', 'rolling') AS rolling
  FROM (VALUES (timestamp '2017-10-14 23:59:59.999999'),
               ('2017-10-15 00:00:00'),
               ('2017-10-15 23:59:59.999999'),
               ('2017-10-16 00:00:00'),
               ('2017-10-13 23:59:59.999999')) AS v(event);

-- timestamptz_takes_the_day_in_the_session_time_zone: the same instants
-- in UTC, then in Tokyo (+09) and New York (-04 in October)
CREATE TEMP TABLE instants (event timestamptz);
INSERT INTO instants VALUES
  ('2017-10-14 14:59:59.999999+00'), ('2017-10-14 15:00:00+00'),
  ('2017-10-14 23:59:59.999999+00'), ('2017-10-15 00:00:00+00'),
  ('2017-10-15 03:59:59.999999+00'), ('2017-10-15 04:00:00+00');
SET timezone = 'UTC';
SELECT event, event::date AS day,
       ritual.week_since_signup(event, date '2017-10-14') AS sunday,
       ritual.week_since_signup(event, date '2017-10-14', 'rolling') AS rolling
  FROM instants ORDER BY event;
SET timezone = 'Asia/Tokyo';
SELECT event, event::date AS day,
       ritual.week_since_signup(event, date '2017-10-14') AS sunday,
       ritual.week_since_signup(event, date '2017-10-14', 'rolling') AS rolling
  FROM instants ORDER BY event;
SET timezone = 'America/New_York';
SELECT event, event::date AS day,
       ritual.week_since_signup(event, date '2017-10-14') AS sunday,
       ritual.week_since_signup(event, date '2017-10-14', 'rolling') AS rolling
  FROM instants ORDER BY event;
-- the timestamptz form is the date form on event::date (here in New York)
SELECT count(*) FILTER (WHERE ritual.week_since_signup(event, date '2017-10-08', m)
                              IS DISTINCT FROM
                              ritual.week_since_signup(event::date, date '2017-10-08', m)) AS differ
  FROM instants, (VALUES ('sunday'), ('monday'), ('rolling')) AS v(m);
SET timezone = 'UTC';
DROP TABLE instants;

-- an_untyped_literal_resolves_to_the_timestamptz_form
SELECT ritual.week_since_signup('2017-10-15', '2017-10-14');

--
-- anomaly flags
--

-- event_flags_sets_each_kind_from_its_rule: a clean row, then rows that
-- each break one rule
SELECT label,
       ritual.event_flags(uid, etype, edate, known_type, known_user, signup, ref) AS flags,
       ritual.flag_names(ritual.event_flags(uid, etype, edate, known_type, known_user, signup, ref)) AS names
  FROM (VALUES
    ('clean',            1::bigint, 'open',  timestamp '2017-10-14 10:00', true,  true,  date '2017-10-14', timestamp '2018-01-01'),
    ('no user id',       NULL,      'open',  '2017-10-14 10:00',           true,  NULL,  NULL,              '2018-01-01'),
    ('no type',          1,         NULL,    '2017-10-14 10:00',           NULL,  true,  '2017-10-14',      '2018-01-01'),
    ('empty type',       1,         '',      '2017-10-14 10:00',           false, true,  '2017-10-14',      '2018-01-01'),
    ('blank type',       1,         '   ',   '2017-10-14 10:00',           false, true,  '2017-10-14',      '2018-01-01'),
    ('tab type',         1,         E'\t',   '2017-10-14 10:00',           false, true,  '2017-10-14',      '2018-01-01'),
    ('no date',          1,         'open',  NULL,                         true,  true,  '2017-10-14',      '2018-01-01'),
    ('unknown type',     1,         'opne',  '2017-10-14 10:00',           false, true,  '2017-10-14',      '2018-01-01'),
    ('unknown user',     1,         'open',  '2017-10-14 10:00',           true,  false, NULL,              '2018-01-01'),
    ('before signup',    1,         'open',  '2017-10-13 23:59:59.999999', true,  true,  '2017-10-14',      '2018-01-01'),
    ('signup day 00:00', 1,         'open',  '2017-10-14 00:00',           true,  true,  '2017-10-14',      '2018-01-01'),
    ('future',           1,         'open',  '2018-01-01 00:00:00.000001', true,  true,  '2017-10-14',      '2018-01-01'),
    ('at reference',     1,         'open',  '2018-01-01 00:00',           true,  true,  '2017-10-14',      '2018-01-01'),
    ('no reference',     1,         'open',  '3000-01-01 00:00',           true,  true,  '2017-10-14',      NULL),
    ('infinity',         1,         'open',  'infinity',                   true,  true,  '2017-10-14',      '2018-01-01'),
    ('-infinity',        1,         'open',  '-infinity',                  true,  true,  '2017-10-14',      '2018-01-01'),
    ('everything null',  NULL,      NULL,    NULL,                         NULL,  NULL,  NULL,              NULL)
  ) AS v(label, uid, etype, edate, known_type, known_user, signup, ref);

-- event_flags_interactions: a missing type is never unknown, a missing or
-- unknown user never before signup, a missing date never before signup or
-- future; a NULL lookup answer raises nothing; the signup date of a user
-- not looked up (known_user NULL) is still compared
SELECT label,
       ritual.flag_names(ritual.event_flags(uid, etype, edate, known_type, known_user, signup, ref)) AS names
  FROM (VALUES
    ('missing type, lookup false',  1::bigint, ' ',    timestamp '2017-10-14 10:00', false, true,  date '2017-10-14', timestamp '2018-01-01'),
    ('missing user, lookup false',  NULL,      'open', '2017-10-10 10:00',           true,  false, '2017-10-14',      '2018-01-01'),
    ('missing user, with signup',   NULL,      'open', '2017-10-10 10:00',           true,  true,  '2017-10-14',      '2018-01-01'),
    ('unknown user, with signup',   1,         'open', '2017-10-10 10:00',           true,  false, '2017-10-14',      '2018-01-01'),
    ('missing date',                1,         'open', NULL,                         true,  true,  '2017-10-14',      '2018-01-01'),
    ('known user, no signup',       1,         'open', '2017-10-10 10:00',           true,  true,  NULL,              '2018-01-01'),
    ('user not looked up',          1,         'open', '2017-10-10 10:00',           true,  NULL,  '2017-10-14',      '2018-01-01'),
    ('type not looked up',          1,         'opne', '2017-10-14 10:00',           NULL,  true,  '2017-10-14',      '2018-01-01'),
    ('before signup and future',    1,         'open', '2019-01-01 00:00',           true,  true,  '2020-01-01',      '2018-01-01'),
    ('every kind a row can have',   1,         'opne', '2019-01-01 00:00',           false, true,  '2020-01-01',      '2018-01-01'),
    ('signup infinity',             1,         'open', '2017-10-14 10:00',           true,  true,  'infinity',        NULL),
    ('signup -infinity',            1,         'open', '2017-10-14 10:00',           true,  true,  '-infinity',       NULL)
  ) AS v(label, uid, etype, edate, known_type, known_user, signup, ref);

-- profile_flags
SELECT signup, conflicting, ritual.profile_flags(signup, conflicting) AS flags,
       ritual.flag_names(ritual.profile_flags(signup, conflicting)) AS names
  FROM (VALUES (date '2017-10-14', false), ('2017-10-14', NULL),
               ('2017-10-14', true), (NULL, false), (NULL, true),
               (NULL, NULL)) AS v(signup, conflicting);

-- flag_bit_and_flag_names_agree_on_every_kind: bit i is name i, in the
-- order of docs/metrics.md's tables; names -> bits -> names round trips
SELECT name, ritual.flag_bit(name) AS bit,
       ritual.flag_names(ritual.flag_bit(name)) = ARRAY[name] AS single_round_trip,
       ritual.flag_names(ritual.flag_bits(ARRAY[name])) = ARRAY[name] AS array_round_trip
  FROM unnest(ARRAY['missing_user_id', 'missing_event_type', 'missing_event_date',
                    'unknown_event_type', 'unknown_user', 'event_before_signup',
                    'future_event', 'duplicate', 'conflicting_profile',
                    'missing_signup_date']) WITH ORDINALITY AS n(name, i)
 ORDER BY i;
SELECT ritual.flag_names(1023) AS all_names,
       ritual.flag_bits(ritual.flag_names(1023)) AS all_bits;
-- every one of the 1024 values round trips, names in bit order
SELECT count(*) AS values_,
       count(*) FILTER (WHERE ritual.flag_bits(ritual.flag_names(v)) <> v) AS bits_wrong,
       count(*) FILTER (WHERE cardinality(ritual.flag_names(v)) <> length(replace(v::bit(10)::text, '0', ''))) AS count_wrong,
       count(*) FILTER (WHERE ritual.flag_names(v) <> ARRAY(
           SELECT name FROM unnest(ritual.flag_names(1023)) WITH ORDINALITY AS n(name, i)
            WHERE v & (1 << (i::int - 1)) <> 0 ORDER BY i)) AS order_wrong
  FROM generate_series(0, 1023) AS v;

-- flag_names_of_null_zero_and_out_of_range
SELECT ritual.flag_names(NULL) IS NULL AS null_gives_null,
       ritual.flag_names(0) AS zero_gives_empty,
       ritual.flag_names(0) = '{}'::text[] AS is_empty_array;
SELECT ritual.flag_names(1024);
SELECT ritual.flag_names(1023 + 4096);
SELECT ritual.flag_names(-1);
SELECT ritual.flag_names(-2147483648);

-- flag_bits_matches_case_insensitively_and_ors_repeats
SELECT ritual.flag_bits('{}') AS empty,
       ritual.flag_bits('{DUPLICATE, duplicate, Future_Event}') AS repeated,
       ritual.flag_bits(NULL) IS NULL AS null_gives_null,
       ritual.flag_bit('Missing_Signup_Date') AS one;

-- unknown_flag_names_are_errors_with_the_valid_names
SELECT ritual.flag_bit('duplicat');
SELECT ritual.flag_bit(' duplicate');
SELECT ritual.flag_bit('clean');
SELECT ritual.flag_bits('{future_event, missing_userid}');
SELECT ritual.flag_bits('{future_event, NULL}');
SELECT ritual.flag_bits('{{future_event}, {duplicate}}');

--
-- session_number
--
CREATE TEMP TABLE clicks (user_id int, t timestamp, note text);

-- gaps_of_29_59_and_30_00_stay_30_01_starts_a_new_session
INSERT INTO clicks VALUES
  (1, '2024-01-01 10:00:00', 'first'),
  (1, '2024-01-01 10:29:59', '+29:59'),
  (1, '2024-01-01 10:59:59', '+30:00'),
  (1, '2024-01-01 11:30:00', '+30:01'),
  (1, '2024-01-01 11:30:00', 'same time'),
  (1, '2024-01-01 12:00:00', '+30:00'),
  (1, '2024-01-01 12:30:00.000001', '+30:00.000001');
SELECT t, note, ritual.session_number(t) OVER (ORDER BY t) AS session
  FROM clicks ORDER BY t, note;

-- the_gap_argument_moves_the_boundary
SELECT t, note,
       ritual.session_number(t, '29 minutes 59 seconds') OVER w AS gap_29_59,
       ritual.session_number(t, '30 minutes') OVER w AS gap_30,
       ritual.session_number(t, '30:01') OVER w AS gap_30_01,
       ritual.session_number(t, '1 day -23:30') OVER w AS gap_1_day_minus_23_30
  FROM clicks WINDOW w AS (ORDER BY t) ORDER BY t, note;

-- nulls_give_null_and_do_not_break_the_session: the gap is measured from
-- the previous non-null time.  With ORDER BY seq the nulls sit in the
-- middle of the rows (times grow with seq); ORDER BY t puts them first or
-- last; the numbers are the same.
CREATE TEMP TABLE tapped (seq int, t timestamp);
INSERT INTO tapped VALUES
  (1, NULL), (2, '2024-01-01 10:00'), (3, NULL), (4, '2024-01-01 10:20'),
  (5, NULL), (6, NULL), (7, '2024-01-01 10:50'), (8, NULL),
  (9, '2024-01-01 11:20:01'), (10, NULL), (11, '2024-01-01 11:30');
SELECT seq, t,
       ritual.session_number(t) OVER (ORDER BY seq) AS nulls_in_the_middle,
       ritual.session_number(t) OVER (ORDER BY t NULLS LAST) AS nulls_last,
       ritual.session_number(t) OVER (ORDER BY t NULLS FIRST) AS nulls_first
  FROM tapped ORDER BY seq;
-- a partition of nulls only
SELECT seq, ritual.session_number(t) OVER (ORDER BY seq) AS session
  FROM tapped WHERE t IS NULL ORDER BY seq;
DROP TABLE tapped;

-- every_partition_numbers_from_one
DELETE FROM clicks;
INSERT INTO clicks VALUES
  (1, '2024-01-01 10:00', ''), (2, '2024-01-01 10:05', ''),
  (1, '2024-01-01 10:40', ''), (2, '2024-01-01 10:35', ''),
  (3, '2024-01-01 09:00', ''), (1, '2024-01-01 11:00', ''),
  (2, '2024-01-01 11:05:01', ''), (3, NULL, ''),
  (1, '2024-01-02 09:00', ''), (2, '2024-01-01 11:35:01', '');
SELECT user_id, t,
       ritual.session_number(t) OVER (PARTITION BY user_id ORDER BY t) AS session
  FROM clicks ORDER BY user_id, t;

-- the_frame_clause_does_not_matter: only the order of rows is used
SELECT user_id, t,
       ritual.session_number(t) OVER (PARTITION BY user_id ORDER BY t
                                      ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS rows_frame,
       ritual.session_number(t) OVER (PARTITION BY user_id ORDER BY t
                                      RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS range_frame
  FROM clicks WHERE user_id = 1 ORDER BY t;

-- rows_out_of_time_order_are_an_error
SELECT ritual.session_number(t) OVER (PARTITION BY user_id ORDER BY t DESC)
  FROM clicks WHERE user_id = 1;
SELECT ritual.session_number(t) FROM clicks;

-- bad_gaps_are_errors_even_for_null_times: zero, negative, months
SELECT ritual.session_number(t, '0') OVER (ORDER BY t) FROM clicks;
SELECT ritual.session_number(t, '-30 minutes') OVER (ORDER BY t) FROM clicks;
SELECT ritual.session_number(t, '1 day -25 hours') OVER (ORDER BY t) FROM clicks;
SELECT ritual.session_number(t, '1 mon') OVER (ORDER BY t) FROM clicks;
SELECT ritual.session_number(t, '1 year') OVER (ORDER BY t) FROM clicks;
SELECT ritual.session_number(t, '0') OVER (ORDER BY t) FROM clicks WHERE t IS NULL;
-- a NULL gap gives NULL, like a NULL time
SELECT count(*) AS rows_, count(session) AS numbered
  FROM (SELECT ritual.session_number(t, NULL) OVER (ORDER BY t) AS session
          FROM clicks) AS s;

-- infinities_are_farther_than_any_gap; gaps of more than 2^63 microseconds
-- are exact: the timestamp type spans 109203527 days 23:59:59.999999
SELECT t, ritual.session_number(t, '1000000 days') OVER (ORDER BY t) AS session
  FROM (VALUES (timestamp '-infinity'), ('-infinity'), ('2024-01-01'),
               ('infinity'), ('infinity')) AS v(t);
SELECT t,
       ritual.session_number(t, '109203527 days') OVER (ORDER BY t) AS shorter_gap,
       ritual.session_number(t, '109203527 days 23:59:59.999999') OVER (ORDER BY t) AS equal_gap,
       ritual.session_number(t, '2147483647 days') OVER (ORDER BY t) AS largest_gap
  FROM (VALUES (timestamp '4714-11-24 00:00:00 BC'),
               ('294276-12-31 23:59:59.999999')) AS v(t);

-- timestamptz_measures_elapsed_time: when daylight saving time ends in
-- New York, 01:50 EDT and 01:10 EST are 20 minutes apart; and a '1 day'
-- gap is 24 hours, not a calendar day (12:00 EDT to 11:30 EST next day is
-- 24:30 of elapsed time, though less than a calendar day)
SET timezone = 'America/New_York';
SELECT t, ritual.session_number(t) OVER (ORDER BY t) AS session
  FROM (VALUES (timestamptz '2021-11-07 01:50-04'), ('2021-11-07 01:10-05'),
               ('2021-11-07 01:40-05'), ('2021-11-07 02:10:01-05')) AS v(t);
SELECT t, ritual.session_number(t, '1 day') OVER (ORDER BY t) AS daily
  FROM (VALUES (timestamptz '2021-11-06 12:00-04'), ('2021-11-07 11:30-05'),
               ('2021-11-08 11:30-05')) AS v(t);
SELECT ritual.session_number(t) OVER (ORDER BY t DESC)
  FROM (VALUES (timestamptz '2021-11-07 01:50-04'), ('2021-11-07 01:10-05')) AS v(t);
SET timezone = 'UTC';

-- sessions_equal_a_plain_sql_reference: 10,000 pseudo-random times for 50
-- users (gaps of 0 to 60 minutes, with many of exactly 29:59, 30:00 and
-- 30:01, and some nulls), numbered by LAG and a running sum
CREATE TEMP TABLE random_events AS
WITH steps AS (
  SELECT i, 1 + i % 50 AS user_id,
         CASE WHEN i % 17 = 0 THEN 1799
              WHEN i % 13 = 0 THEN 1800
              WHEN i % 11 = 0 THEN 1801
              WHEN i % 29 = 0 THEN 0
              ELSE (i * 2654435761) % 3601 END AS gap_s
    FROM generate_series(1, 10000) AS i
)
SELECT i AS id, user_id,
       CASE WHEN i % 97 = 0 THEN NULL
            ELSE timestamp '2024-01-01' + make_interval(secs =>
                 sum(gap_s) OVER (PARTITION BY user_id ORDER BY i)) END AS t
  FROM steps;
-- the data has what the test is about
SELECT count(*) AS events, count(DISTINCT user_id) AS users,
       count(*) FILTER (WHERE t IS NULL) AS null_times
  FROM random_events;
SELECT count(*) FILTER (WHERE gap = '00:29:59') AS gaps_29_59,
       count(*) FILTER (WHERE gap = '00:30:00') AS gaps_30_00,
       count(*) FILTER (WHERE gap = '00:30:01') AS gaps_30_01,
       count(*) FILTER (WHERE gap = '0') AS gaps_0,
       count(*) FILTER (WHERE gap > '00:30:00') AS longer_gaps,
       count(*) FILTER (WHERE gap < '00:30:00') AS shorter_gaps
  FROM (SELECT t - lag(t) OVER (PARTITION BY user_id ORDER BY t, id) AS gap
          FROM random_events WHERE t IS NOT NULL) AS x;
CREATE TEMP VIEW reference_sessions AS
SELECT e.id, r.session
  FROM random_events e
  LEFT JOIN (
    SELECT id, sum(starts) OVER (PARTITION BY user_id ORDER BY t, id
                                 ROWS UNBOUNDED PRECEDING) AS session
      FROM (SELECT id, user_id, t,
                   CASE WHEN lag(t) OVER (PARTITION BY user_id ORDER BY t, id) IS NULL
                          OR t - lag(t) OVER (PARTITION BY user_id ORDER BY t, id) > '30 minutes'
                        THEN 1 ELSE 0 END AS starts
              FROM random_events WHERE t IS NOT NULL) AS s
  ) AS r USING (id);
-- (each user's first time and each gap longer than 30:00 opens a session:
-- sessions = 50 + longer_gaps above)
SELECT count(*) AS compared,
       count(*) FILTER (WHERE f.session IS DISTINCT FROM r.session) AS different,
       count(*) FILTER (WHERE f.session IS NULL) AS null_sessions,
       count(DISTINCT (f.user_id, f.session)) FILTER (WHERE f.session IS NOT NULL) AS sessions,
       max(f.session) AS most_sessions_of_a_user
  FROM (SELECT id, user_id,
               ritual.session_number(t) OVER (PARTITION BY user_id ORDER BY t) AS session
          FROM random_events) AS f
  JOIN reference_sessions r USING (id);
-- the reference tells a gap of 29:59 from one of 30:00
SELECT count(*) FILTER (WHERE f.session IS DISTINCT FROM r.session) AS different_with_gap_29_59
  FROM (SELECT id, ritual.session_number(t, '29:59') OVER (PARTITION BY user_id ORDER BY t) AS session
          FROM random_events) AS f
  JOIN reference_sessions r USING (id);
-- the timestamptz form gives the same numbers
SELECT count(*) FILTER (WHERE f.session IS DISTINCT FROM r.session) AS different_tz
  FROM (SELECT id, ritual.session_number(t AT TIME ZONE 'UTC') OVER (PARTITION BY user_id ORDER BY t) AS session
          FROM random_events) AS f
  JOIN reference_sessions r USING (id);


--
-- previous_non_null, next_non_null: lag and lead that skip NULLs
--
CREATE TEMP TABLE steps (user_id int, seq int, step text);
INSERT INTO steps VALUES
  (1, 1, NULL), (1, 2, 'open'), (1, 3, NULL), (1, 4, NULL), (1, 5, 'view'),
  (1, 6, 'buy'), (1, 7, NULL),
  (2, 1, 'open'), (2, 2, NULL),
  (3, 1, NULL), (3, 2, NULL);
-- each row sees the closest non-null value before and after it, in its
-- partition only; NULL where there is none
SELECT user_id, seq, step,
       ritual.previous_non_null(step) OVER w AS previous_step,
       ritual.next_non_null(step) OVER w AS next_step,
       lag(step) OVER w AS lag, lead(step) OVER w AS lead
  FROM steps
WINDOW w AS (PARTITION BY user_id ORDER BY seq)
 ORDER BY user_id, seq;
-- any type; the frame does not matter (the whole partition is read)
SELECT seq, ritual.previous_non_null(nullif(seq, 3)) OVER w AS previous,
       ritual.next_non_null(nullif(seq, 3) * 10) OVER w AS next
  FROM steps WHERE user_id = 1
WINDOW w AS (ORDER BY seq ROWS BETWEEN CURRENT ROW AND CURRENT ROW)
 ORDER BY seq;
-- a window function, and the type must be known
SELECT ritual.previous_non_null(step) FROM steps;
SELECT ritual.next_non_null(NULL) OVER () FROM steps;
-- against a reference on random data with runs of NULLs of every length:
-- the closest non-null row by a correlated subquery
CREATE TEMP TABLE sparse AS
SELECT g AS id, g % 7 AS part,
       CASE WHEN hashint4(g) % 5 = 0 OR g % 97 < 40 THEN md5(g::text) END AS v
  FROM generate_series(1, 20000) g;
CREATE INDEX ON sparse (part, id);
ANALYZE sparse;
SELECT count(*) AS compared,
       count(*) FILTER (WHERE f.previous IS DISTINCT FROM
                        (SELECT v FROM sparse r WHERE r.part = f.part AND r.id < f.id
                            AND r.v IS NOT NULL ORDER BY r.id DESC LIMIT 1)) AS previous_different,
       count(*) FILTER (WHERE f.next IS DISTINCT FROM
                        (SELECT v FROM sparse r WHERE r.part = f.part AND r.id > f.id
                            AND r.v IS NOT NULL ORDER BY r.id LIMIT 1)) AS next_different,
       count(*) FILTER (WHERE f.previous IS NULL) AS without_previous,
       count(*) FILTER (WHERE f.next IS NULL) AS without_next
  FROM (SELECT id, part, ritual.previous_non_null(v) OVER w AS previous,
               ritual.next_non_null(v) OVER w AS next
          FROM sparse WINDOW w AS (PARTITION BY part ORDER BY id)) f;
-- 200,000 NULLs after a value and before one: each row is read once (a
-- search back or ahead from every row would not finish here)
SELECT count(*) AS rows, count(p) AS with_previous, count(n) AS with_next,
       min(p) AS previous, min(n) AS next
  FROM (SELECT ritual.previous_non_null(CASE WHEN g = 1 THEN 'first' END) OVER w AS p,
               ritual.next_non_null(CASE WHEN g = 200002 THEN 'last' END) OVER w AS n
          FROM generate_series(1, 200002) g WINDOW w AS (ORDER BY g)) x;
DROP TABLE steps, sparse;

DROP VIEW reference_sessions;
DROP TABLE random_events, clicks;
RESET timezone;
RESET datestyle;
RESET intervalstyle;

-- tests/dashboard_hostile.sql: a hostile export for the dashboard, as plain
-- tables in schema hostile: a year of events of 400 users, 52 known event
-- types and 1,000 unknown ones (the long tail: known ones would cost the
-- build a spike series each), types and a file name made of markup
-- ("<script>", "\"><img onerror=...>", "<svg onload=...>"), and a type of
-- 10,000 characters.  Deterministic (setseed).  Builds the reports from it.
SELECT setseed(0.17) \g /dev/null
CREATE SCHEMA hostile;
CREATE TABLE hostile.profiles (user_id bigint, signup_date date, country text, platform text,
                               source_file text, source_line bigint);
CREATE TABLE hostile.events (user_id bigint, event_type text, event_date timestamp,
                             source_file text, source_line bigint);

INSERT INTO ritual.event_types (event_type)
SELECT 'type_' || lpad(i::text, 4, '0') FROM generate_series(1, 50) AS i
UNION ALL VALUES ('<svg onload=alert(4)>'), ('<b>bold</b>');

-- signups spread over the year
INSERT INTO hostile.profiles
SELECT u, date '2024-01-01' + (u * 360 / 400), '<script>alert(5)</script>', 'ios',
       '"><img src=x onerror=alert(3)>.csv', u + 1
  FROM generate_series(1, 400) AS u;

-- a user is active on a fifth of the days after signup, three events a day
INSERT INTO hostile.events
SELECT user_id,
       CASE WHEN r < 0.30 THEN 'app_opened'
            WHEN r < 0.40 THEN '<svg onload=alert(4)>'
            WHEN r < 0.43 THEN '<b>bold</b>'
            WHEN r < 0.44 THEN '<script>alert(1)</script>'
            WHEN r < 0.45 THEN '"><img src=x onerror=alert(2)>'
            WHEN r < 0.4505 THEN repeat('z', 10000)
            WHEN r < 0.55 THEN 'zz_' || lpad((1 + floor(1000 * q))::int::text, 4, '0')
            ELSE 'type_' || lpad((1 + floor(50 * power(q, 3)))::int::text, 4, '0')
       END,
       event_date, '"><img src=x onerror=alert(3)>.csv',
       row_number() OVER (ORDER BY event_date, user_id, n) + 1
  FROM (SELECT p.user_id, n, d::date + make_interval(mins => n * 7 + (p.user_id % 50)::int) AS event_date,
               random() AS r, random() AS q
          FROM hostile.profiles p,
               generate_series(p.signup_date, date '2024-12-31', interval '1 day') AS d,
               generate_series(1, 3) AS n
         WHERE hashint8(p.user_id * 1000 + (d::date - date '2024-01-01')) % 5 = 0) e;

SELECT * FROM ritual.build_reports('hostile.events', 'hostile.profiles',
                                   reference_time => '2025-01-01 00:00') \g /dev/null

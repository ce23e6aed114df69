/* src/sql/code/functions.sql: the analytics functions. */

-- Week since signup (docs/metrics.md, week_number_since_signup).  The
-- timestamptz form takes the day in the session's TimeZone, so it is STABLE.
CREATE OR REPLACE FUNCTION ritual.week_since_signup(event date, signup date,
                                         mode text DEFAULT 'sunday')
RETURNS integer
AS 'MODULE_PATHNAME', 'ritual_week_since_signup_date'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION ritual.week_since_signup(event timestamp, signup date,
                                         mode text DEFAULT 'sunday')
RETURNS integer
AS 'MODULE_PATHNAME', 'ritual_week_since_signup_timestamp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION ritual.week_since_signup(event timestamptz, signup date,
                                         mode text DEFAULT 'sunday')
RETURNS integer
AS 'MODULE_PATHNAME', 'ritual_week_since_signup_timestamptz'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ritual.week_since_signup(date, date, text) IS
  'week of the event counted from the signup''s week (1); mode sunday (BigQuery WEEK, default), monday or rolling';
COMMENT ON FUNCTION ritual.week_since_signup(timestamp, date, text) IS
  'week of the event''s day counted from the signup''s week (1); mode sunday (BigQuery WEEK, default), monday or rolling';
COMMENT ON FUNCTION ritual.week_since_signup(timestamptz, date, text) IS
  'week of the event''s day in the session time zone counted from the signup''s week (1); mode sunday (default), monday or rolling';

-- Anomaly flags (docs/metrics.md, Anomaly flags): not strict, a NULL is what
-- they look at.
CREATE OR REPLACE FUNCTION ritual.event_flags(user_id bigint, event_type text,
                                   event_date timestamp,
                                   known_event_type boolean,
                                   known_user boolean, signup_date date,
                                   reference_time timestamp)
RETURNS integer
AS 'MODULE_PATHNAME', 'ritual_event_flags'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION ritual.profile_flags(signup_date date, conflicting boolean)
RETURNS integer
AS 'MODULE_PATHNAME', 'ritual_profile_flags'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION ritual.flag_names(flags integer)
RETURNS text[]
AS 'MODULE_PATHNAME', 'ritual_flag_names'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION ritual.flag_bits(names text[])
RETURNS integer
AS 'MODULE_PATHNAME', 'ritual_flag_bits'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION ritual.flag_bit(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'ritual_flag_bit'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ritual.event_flags(bigint, text, timestamp, boolean, boolean, date, timestamp) IS
  'anomaly flags one event row shows by itself (all but duplicate), from its fields and the caller''s lookups';
COMMENT ON FUNCTION ritual.profile_flags(date, boolean) IS
  'anomaly flags of a profile: missing_signup_date, conflicting_profile';
COMMENT ON FUNCTION ritual.flag_names(integer) IS
  'names of the anomaly flags set in a flags value, in bit order';
COMMENT ON FUNCTION ritual.flag_bits(text[]) IS
  'flags value of an array of anomaly flag names';
COMMENT ON FUNCTION ritual.flag_bit(text) IS
  'bit of one anomaly flag';

-- Sessions (docs/metrics.md, Sessions): a window function, to be used as
-- session_number(t) OVER (PARTITION BY user_id ORDER BY t).
CREATE OR REPLACE FUNCTION ritual.session_number(event_time timestamp,
                                      gap interval DEFAULT '30 minutes')
RETURNS bigint
AS 'MODULE_PATHNAME', 'ritual_session_number'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION ritual.session_number(event_time timestamptz,
                                      gap interval DEFAULT '30 minutes')
RETURNS bigint
AS 'MODULE_PATHNAME', 'ritual_session_number'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ritual.session_number(timestamp, interval) IS
  'window function: session number from 1 per partition, a new session after a gap longer than gap; ORDER BY event_time';
COMMENT ON FUNCTION ritual.session_number(timestamptz, interval) IS
  'window function: session number from 1 per partition, a new session after a gap longer than gap; ORDER BY event_time';

-- lag and lead that skip NULLs (IGNORE NULLS of the SQL standard): the
-- reports' previous and next clean event type, over every event of a user
CREATE OR REPLACE FUNCTION ritual.previous_non_null(value anyelement)
RETURNS anyelement
AS 'MODULE_PATHNAME', 'ritual_previous_non_null'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION ritual.next_non_null(value anyelement)
RETURNS anyelement
AS 'MODULE_PATHNAME', 'ritual_next_non_null'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ritual.previous_non_null(anyelement) IS
  'window function: the value of the closest earlier row of the partition whose value is not NULL (lag ignoring NULLs)';
COMMENT ON FUNCTION ritual.next_non_null(anyelement) IS
  'window function: the value of the closest later row of the partition whose value is not NULL (lead ignoring NULLs)';

/*
 * src/sql/code/dashboard.sql: ritual.dashboard_html(), the reporting tables
 * as one self-contained HTML page (inline SVG and CSS, no script, nothing
 * fetched), and the functions that draw its parts, one per chart.  Every
 * number comes from a reporting table, read as the caller (a report reader
 * granted by ritual.grant_report_reader), in the one snapshot of the call.
 * See docs/dashboard.md.
 *
 * Geometry shared by the time charts: a viewBox 800 wide, the plot from
 * x 56 to 790 and y 14 to 184, the date axis below.
 */

/*
 * Text from the data (event types, file names) made safe for HTML text and
 * attribute values, cut to max_chars characters (an ellipsis says so): an
 * event type "<script>" must show as text, and a 10 kB one must not bloat
 * the page.  NULL reads as "(none)".
 */
CREATE OR REPLACE FUNCTION ritual.html_text(s text, max_chars integer DEFAULT 60)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT replace(replace(replace(replace(replace(
               CASE WHEN s IS NULL THEN '(none)'
                    WHEN length(s) > greatest(max_chars, 2) THEN left(s, greatest(max_chars, 2) - 1) || '…'
                    ELSE s END,
               '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;
COMMENT ON FUNCTION ritual.html_text(text, integer) IS
  'internal to dashboard_html: text escaped for HTML, cut to max_chars characters';

/* A chart in its frame: title, the table it comes from, a note, the drawing. */
CREATE OR REPLACE FUNCTION ritual.dashboard_figure(id text, title text, source text,
                                                   note text, body text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT format('<figure class="chart" id="%s" data-chart="%s" data-source="%s">'
                  '<figcaption><h3>%s</h3><p class="src">from <code>%s</code></p>%s</figcaption>%s</figure>',
                  id, id, source, title, source,
                  CASE WHEN note IS NULL OR note = '' THEN '' ELSE '<p class="note">' || note || '</p>' END,
                  coalesce(body, '<p class="empty">No rows.</p>'))
$$;
COMMENT ON FUNCTION ritual.dashboard_figure(text, text, text, text, text) IS
  'internal to dashboard_html: a chart with its title and source table';

/*
 * The frame of a time chart from first to last: horizontal grid lines with
 * values up to top, and a date under each month's first day (each Sunday
 * when the range is under two months).
 */
CREATE OR REPLACE FUNCTION ritual.dashboard_time_axes(first date, last date, top double precision)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    WITH span AS (
        SELECT greatest(last - first, 1)::double precision AS days
    ), ticks AS (
        SELECT d::date AS day
          FROM generate_series(CASE WHEN last - first < 62
                                    THEN first + (7 - extract(dow FROM first)::int) % 7
                                    ELSE date_trunc('month', first - 1) + interval '1 month' END,
                               last,
                               CASE WHEN last - first < 62 THEN interval '7 days'
                                    ELSE interval '1 month' END) AS d
    )
    SELECT '<g class="axis time">'
        || (SELECT string_agg(format('<line x1="56" x2="790" y1="%s" y2="%s"/>'
                                     '<text x="50" y="%s" text-anchor="end">%s</text>',
                                     y, y, y + 4,
                                     CASE WHEN v >= 1e6 THEN round(v / 1e6, 1) || 'M'
                                          WHEN v >= 1e4 THEN round(v / 1e3) || 'k'
                                          WHEN v >= 1e3 THEN round(v / 1e3, 1) || 'k'
                                          ELSE v::text END), '')
              FROM (SELECT round(184 - 170.0 * f, 1) AS y, round((top * f)::numeric) AS v
                      FROM unnest(ARRAY[0, 0.5, 1]) AS f) g)
        || coalesce((SELECT string_agg(format('<line class="tick" x1="%1$s" x2="%1$s" y1="184" y2="190"/>'
                                              '<text x="%1$s" y="204" text-anchor="middle">%2$s</text>',
                                              round((56 + 734 * (day - first) / s.days)::numeric, 1),
                                              to_char(day, CASE WHEN last - first < 62 THEN 'Mon DD'
                                                                WHEN extract(month FROM day) = 1
                                                                  OR (day = (SELECT min(day) FROM ticks)
                                                                      AND NOT EXISTS (SELECT FROM ticks t
                                                                             WHERE extract(month FROM t.day) = 1))
                                                                THEN 'Mon YYYY' ELSE 'Mon' END)),
                                       '' ORDER BY day)
                       FROM ticks, span s), '')
        || '</g>'
$$;
COMMENT ON FUNCTION ritual.dashboard_time_axes(date, date, double precision) IS
  'internal to dashboard_html: grid, values and dates of a time chart';

/* The x of a day, the y of a value, in a time chart. */
CREATE OR REPLACE FUNCTION ritual.dashboard_xy(day date, value double precision, first date,
                                               last date, top double precision)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT round((56 + 734.0 * (day - first) / greatest(last - first, 1))::numeric, 1) || ','
        || round((184 - 170 * value / greatest(top, 1))::numeric, 1)
$$;
COMMENT ON FUNCTION ritual.dashboard_xy(date, double precision, date, date, double precision) IS
  'internal to dashboard_html: a point of a time chart';

/*
 * Horizontal bars, one per label, in the order given; when the last one
 * sums the rest it is grey and cut at the scale of the others, which it
 * would dwarf.  The labels are data and escaped.  HTML, not SVG,
 * so that long labels wrap and stay legible at phone width.  Each bar carries its label and value as data-*
 * attributes, for a reader's tools and the tests.
 */
CREATE OR REPLACE FUNCTION ritual.dashboard_bars(labels text[], vals bigint[], last_is_rest boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    WITH b AS (
        SELECT l, v, i, rest, CASE WHEN rest THEN 'bar rest' ELSE 'bar' END AS css,
               max(v) FILTER (WHERE NOT rest) OVER () AS top
          FROM unnest(labels, vals) WITH ORDINALITY AS u(l, v, i),
               LATERAL (SELECT last_is_rest AND i = cardinality(labels) AS rest) r
    )
    SELECT '<div class="bars">'
        || string_agg(format('<div class="%s" data-mark="bar" data-label="%s" data-value="%s">'
                             '<span class="label" title="%s">%s</span>'
                             '<span class="track"><span style="width:%s%%"></span></span>'
                             '<span class="value">%s</span></div>',
                             css, ritual.html_text(l, 200), v, ritual.html_text(l, 200),
                             ritual.html_text(l, 48), least(round(100.0 * v / greatest(top, 1), 1), 100),
                             to_char(v, 'FM999G999G999G990')), '' ORDER BY i)
        || '</div>'
      FROM b
$$;
COMMENT ON FUNCTION ritual.dashboard_bars(text[], bigint[], boolean) IS
  'internal to dashboard_html: a horizontal bar chart of labelled values';

/*
 * The keep largest values as bars, and the rest summed in one more bar
 * named other_label: a thousand event types make a million pairs, and the
 * page must stay small.
 */
CREATE OR REPLACE FUNCTION ritual.dashboard_top_bars(labels text[], vals bigint[], keep integer,
                                                     other_label text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    WITH ranked AS (
        SELECT l, v, row_number() OVER (ORDER BY v DESC, l) AS rank
          FROM unnest(labels, vals) AS u(l, v)
    ), top AS (
        SELECT CASE WHEN rank <= keep THEN l ELSE other_label END AS l,
               sum(v)::bigint AS v, least(rank, keep + 1) AS rank, count(*) AS n
          FROM ranked GROUP BY 1, 3
    )
    SELECT ritual.dashboard_bars(array_agg(l ORDER BY rank), array_agg(v ORDER BY rank),
                                 max(rank) > keep)
        || CASE WHEN max(rank) > keep
                THEN format('<p class="note">The %s largest of %s; the other %s together in the last bar.</p>',
                            keep, sum(n), max(n) FILTER (WHERE rank > keep))
                ELSE '' END
      FROM top
$$;
COMMENT ON FUNCTION ritual.dashboard_top_bars(text[], bigint[], integer, text) IS
  'internal to dashboard_html: the largest values as bars, the rest summed in one';

/* The headline numbers, from the last build and daily_activity. */
CREATE OR REPLACE FUNCTION ritual.dashboard_headline()
RETURNS text
LANGUAGE sql STABLE
AS $$
    WITH b AS (
        SELECT * FROM ritual.report_builds ORDER BY built_at DESC LIMIT 1
    ), d AS (
        SELECT min(day) FILTER (WHERE events > 0) AS first_day,
               max(day) FILTER (WHERE events > 0) AS last_day
          FROM ritual.daily_activity
    ), kpi(key, label, value, shown, note) AS (
        SELECT 'events_read', 'events read', b.raw_events::text,
               to_char(b.raw_events, 'FM999G999G999G990'), 'raw rows, every one kept' FROM b
        UNION ALL
        SELECT 'clean_events', 'clean', b.clean_events::text,
               to_char(b.clean_events, 'FM999G999G999G990'), 'what every metric counts' FROM b
        UNION ALL
        SELECT 'flagged_events', 'flagged', (b.raw_events - b.clean_events)::text,
               to_char(b.raw_events - b.clean_events, 'FM999G999G999G990'),
               round(100.0 * (b.raw_events - b.clean_events) / greatest(b.raw_events, 1), 1) || '% of rows'
          FROM b
        UNION ALL
        SELECT 'users', 'users', b.users::text, to_char(b.users, 'FM999G999G999G990'),
               'with a profile' FROM b
        UNION ALL
        SELECT 'period', 'period', d.first_day || '/' || d.last_day,
               coalesce(to_char(d.first_day, 'YYYY-MM-DD') || ' – ' || to_char(d.last_day, 'YYYY-MM-DD'), 'no clean event'),
               coalesce((d.last_day - d.first_day + 1) || ' days with clean events', '') FROM d
    )
    SELECT '<div class="kpis" data-source="report_builds daily_activity">'
        || coalesce(string_agg(format('<div class="kpi" data-kpi="%s" data-value="%s"><b>%s</b><span>%s</span><small>%s</small></div>',
                                      key, value, shown, label, note), ''), '')
        || '</div>'
        || coalesce((SELECT format('<p class="build">Built %s UTC as of %s (%s build, %s s; <code>ritual.report_builds</code>).</p>',
                                   to_char(built_at, 'YYYY-MM-DD HH24:MI'),
                                   to_char(reference_time, 'YYYY-MM-DD HH24:MI'),
                                   kind, round(seconds::numeric, 1)) FROM b), '')
      FROM kpi
$$;
COMMENT ON FUNCTION ritual.dashboard_headline() IS
  'internal to dashboard_html: the headline numbers';

/* The daily series of daily_activity as rows, what the time charts draw. */
CREATE OR REPLACE FUNCTION ritual.dashboard_daily(OUT day date, OUT series text, OUT value bigint)
RETURNS SETOF record
LANGUAGE sql STABLE
AS $$
    SELECT a.day, v.series, v.value
      FROM ritual.daily_activity a,
           LATERAL (VALUES ('dau', a.dau), ('wau', a.wau), ('mau', a.mau),
                           ('events', a.events), ('new_users', a.new_users)) AS v(series, value)
$$;
COMMENT ON FUNCTION ritual.dashboard_daily() IS
  'internal to dashboard_html: the daily series of daily_activity, one row per day and series';

/*
 * Daily series as lines over every day of daily_activity, the spikes and
 * drop-offs of spike_series (a series of ritual.spikes) marked on the
 * first.  Each line carries its values in data-values, from data-first on.
 */
CREATE OR REPLACE FUNCTION ritual.dashboard_lines(names text[], spike_series text)
RETURNS text
LANGUAGE sql STABLE
AS $$
    WITH d AS (
        SELECT * FROM ritual.dashboard_daily() WHERE series = ANY (names)
    ), r AS (
        SELECT min(day) AS first, max(day) AS last, greatest(max(value), 1) AS top FROM d
    ), lines AS (
        SELECT n.i, format('<polyline class="line s%s" data-mark="line" data-series="%s" data-values="%s" points="%s"/>',
                           n.i, n.name, string_agg(d.value::text, ' ' ORDER BY d.day),
                           string_agg(ritual.dashboard_xy(d.day, d.value, r.first, r.last, r.top), ' '
                                      ORDER BY d.day)) AS svg
          FROM unnest(names) WITH ORDINALITY AS n(name, i) JOIN d ON d.series = n.name, r
         GROUP BY n.i, n.name
    ), marks AS (
        SELECT string_agg(format('<g class="%1$s" data-mark="%1$s" data-day="%2$s" data-value="%3$s" data-expected="%4$s">'
                                 '<line x1="%5$s" x2="%5$s" y1="14" y2="184"/><circle cx="%5$s" cy="%6$s" r="6"/>'
                                 '<title>%7$s on %2$s: %8$s, expected %9$s (z = %10$s)</title></g>',
                                 ritual.html_text(s.kind, 20), s.day, s.value, s.expected,
                                 split_part(ritual.dashboard_xy(s.day, s.value, r.first, r.last, r.top), ',', 1),
                                 split_part(ritual.dashboard_xy(s.day, s.value, r.first, r.last, r.top), ',', 2),
                                 ritual.html_text(replace(s.kind, '_', '-'), 20), to_char(s.value, 'FM999G999G990'),
                                 to_char(s.expected, 'FM999G999G990'), round(s.z::numeric, 1)),
                          '' ORDER BY s.day) AS svg
          FROM ritual.spikes s, r
         WHERE s.series = spike_series AND s.day BETWEEN r.first AND r.last
    )
    SELECT format('<svg viewBox="0 0 800 212" role="img" data-first="%s" data-last="%s">', r.first, r.last)
        || ritual.dashboard_time_axes(r.first, r.last, r.top)
        || (SELECT string_agg(svg, '' ORDER BY i) FROM lines)
        || coalesce((SELECT svg FROM marks), '')
        || '</svg><p class="legend">'
        || (SELECT string_agg(format('<span class="item"><span class="key s%s"></span>%s</span>', i, name), ' ' ORDER BY i)
              FROM unnest(names) WITH ORDINALITY AS n(name, i))
        || CASE WHEN spike_series IS NULL THEN ''
                ELSE ' <span class="item"><span class="key spike"></span>spike</span>'
                     ' <span class="item"><span class="key drop_off"></span>drop-off</span>' END
        || '</p>'
      FROM r
     WHERE r.first IS NOT NULL
$$;
COMMENT ON FUNCTION ritual.dashboard_lines(text[], text) IS
  'internal to dashboard_html: daily_activity series as lines, with spikes marked';

/* New users per day as bars, one per day with a signup. */
CREATE OR REPLACE FUNCTION ritual.dashboard_new_users()
RETURNS text
LANGUAGE sql STABLE
AS $$
    WITH r AS (
        SELECT min(day) AS first, max(day) AS last, greatest(max(new_users), 1) AS top,
               greatest(0.8 * 734 / greatest(max(day) - min(day) + 1, 1), 0.5) AS w
          FROM ritual.daily_activity
    )
    SELECT format('<svg viewBox="0 0 800 212" role="img" data-first="%s" data-last="%s">', r.first, r.last)
        || ritual.dashboard_time_axes(r.first, r.last, r.top)
        || coalesce((SELECT string_agg(format('<rect class="bar" data-mark="bar" data-day="%s" data-value="%s"'
                                              ' x="%s" y="%s" width="%s" height="%s"><title>%s: %s new users</title></rect>',
                                              a.day, a.new_users,
                                              round((split_part(xy, ',', 1)::numeric - r.w / 2), 1),
                                              split_part(xy, ',', 2), round(r.w::numeric, 2),
                                              round(184 - split_part(xy, ',', 2)::numeric, 1),
                                              a.day, a.new_users), '' ORDER BY a.day)
                       FROM ritual.daily_activity a,
                            LATERAL ritual.dashboard_xy(a.day, a.new_users, r.first, r.last, r.top) AS xy
                      WHERE a.new_users > 0), '')
        || '</svg>'
      FROM r
     WHERE r.first IS NOT NULL
$$;
COMMENT ON FUNCTION ritual.dashboard_new_users() IS
  'internal to dashboard_html: new users per day as bars';

/*
 * The retention triangle as a heatmap of pct_on (measure 'on') or
 * pct_on_or_after ('on_or_after'): a row per cohort, a column per week
 * since signup.  Week 1 is the signup week, so it is labelled, not read as
 * a return; incomplete cells are drawn faded with a dashed border.
 */
CREATE OR REPLACE FUNCTION ritual.dashboard_retention(measure text)
RETURNS text
LANGUAGE sql STABLE
AS $$
    WITH c AS (
        SELECT r.*, dense_rank() OVER (ORDER BY cohort_week) AS row_no,
               CASE WHEN measure = 'on' THEN retained_on ELSE retained_on_or_after END AS users,
               CASE WHEN measure = 'on' THEN pct_on ELSE pct_on_or_after END AS pct
          FROM ritual.retention_cohorts r
    ), g AS (
        SELECT max(week_number) AS weeks, max(row_no) AS cohorts,
               round(680.0 / greatest(max(week_number), 1), 2) AS w
          FROM c
    )
    SELECT format('<svg viewBox="0 0 800 %s" role="img" data-measure="%s">', 34 + 18 * g.cohorts, measure)
        || '<g class="axis">'
        || (SELECT string_agg(format('<text x="%s" y="14" text-anchor="middle">%s</text>',
                                     round(116 + g.w * (n - 0.5), 1),
                                     CASE WHEN n = 1 THEN '1*' ELSE n::text END), '' ORDER BY n)
              FROM generate_series(1, g.weeks) AS n
             WHERE n = 1 OR (n - 1) % ceil(g.weeks / 20.0)::int = 0)
        || '<text x="0" y="14">cohort (users)</text>'
        || (SELECT string_agg(format('<text x="0" y="%s">%s (%s)</text>', 18 * row_no + 13,
                                     cohort_week, cohort_size), '' ORDER BY row_no)
              FROM (SELECT DISTINCT row_no, cohort_week, cohort_size FROM c) k)
        || '</g>'
        || (SELECT string_agg(format('<rect class="cell %s" data-mark="cell" data-cohort="%s" data-week="%s"'
                                     ' data-users="%s" data-size="%s" data-pct="%s" x="%s" y="%s" width="%s" height="16"'
                                     ' fill="hsl(210,70%%,%s%%)"><title>cohort %s, week %s%s: %s%% (%s of %s)%s</title></rect>',
                                     cell_status, cohort_week, week_number, users, cohort_size,
                                     round(pct::numeric, 4),
                                     round(116 + g.w * (week_number - 1), 1), 18 * row_no + 2,
                                     greatest(g.w - 1, 0.5), round(96 - 62 * coalesce(pct, 0))::int,
                                     cohort_week, week_number,
                                     CASE WHEN week_number = 1 THEN ' (signup week)' ELSE '' END,
                                     round(100 * pct::numeric, 1), users, cohort_size,
                                     CASE WHEN cell_status = 'incomplete' THEN ', incomplete' ELSE '' END)
                              || CASE WHEN g.w >= 34 THEN
                                     format('<text class="in%s" x="%s" y="%s" text-anchor="middle">%s</text>',
                                            CASE WHEN pct > 0.5 THEN ' dark' ELSE '' END,
                                            round(116 + g.w * (week_number - 0.5), 1), 18 * row_no + 14,
                                            round(100 * pct::numeric)) ELSE '' END,
                              '' ORDER BY row_no, week_number)
              FROM c)
        || '</svg>'
      FROM g
     WHERE g.weeks IS NOT NULL
$$;
COMMENT ON FUNCTION ritual.dashboard_retention(text) IS
  'internal to dashboard_html: the retention triangle as a heatmap';

/*
 * Data quality by day, stacked by kind (a row with several flags counts
 * under each), one mark per data_quality row of scope 'day' with a day.
 */
CREATE OR REPLACE FUNCTION ritual.dashboard_quality_days()
RETURNS text
LANGUAGE sql STABLE
AS $$
    WITH q AS (
        SELECT day, kind, flag_bit, rows,
               sum(rows) OVER (PARTITION BY day ORDER BY flag_bit) AS upto
          FROM ritual.data_quality WHERE scope = 'day' AND day IS NOT NULL AND rows > 0
    ), r AS (
        SELECT min(day) AS first, max(day) AS last, greatest(max(upto), 1) AS top,
               greatest(0.8 * 734 / greatest(max(day) - min(day) + 1, 1), 0.5) AS w
          FROM q
    )
    SELECT format('<svg viewBox="0 0 800 212" role="img" data-first="%s" data-last="%s">', r.first, r.last)
        || ritual.dashboard_time_axes(r.first, r.last, r.top)
        || string_agg(format('<rect class="k%s" data-mark="bar" data-day="%s" data-kind="%s" data-value="%s"'
                             ' x="%s" y="%s" width="%s" height="%s"><title>%s, %s: %s rows</title></rect>',
                             q.flag_bit, q.day, ritual.html_text(q.kind, 40), q.rows,
                             round(split_part(ritual.dashboard_xy(q.day, q.upto, r.first, r.last, r.top), ',', 1)::numeric
                                   - r.w / 2, 1),
                             split_part(ritual.dashboard_xy(q.day, q.upto, r.first, r.last, r.top), ',', 2),
                             round(r.w::numeric, 2), round((170 * q.rows / r.top)::numeric, 2),
                             q.day, ritual.html_text(q.kind, 40), q.rows), '' ORDER BY q.day, q.flag_bit)
        || '</svg><p class="legend">'
        || (SELECT string_agg(format('<span class="item"><span class="key k%s"></span>%s</span>', flag_bit,
                                     ritual.html_text(kind, 40)),
                              ' ' ORDER BY flag_bit)
              FROM (SELECT DISTINCT flag_bit, kind FROM q) k)
        || '</p>'
      FROM q, r
     GROUP BY r.first, r.last, r.top, r.w
$$;
COMMENT ON FUNCTION ritual.dashboard_quality_days() IS
  'internal to dashboard_html: data quality by day, stacked by kind';

/*
 * A few flagged events traced to their bytes: per event kind, the first
 * flagged row (by event_id) of the first day with that kind, with its file,
 * line and the value that got it flagged.  Reads data_quality for the day,
 * then that day's flagged rows only (an index serves them).
 */
CREATE OR REPLACE FUNCTION ritual.flagged_examples()
RETURNS TABLE (kind text, source_file text, source_line bigint, bad_value text, event_id bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH kinds AS (
        SELECT t.kind, t.flag_bit,
               (SELECT min(d.day) FROM ritual.data_quality d
                 WHERE d.scope = 'day' AND d.kind = t.kind AND d.rows > 0) AS first_day
          FROM ritual.data_quality t
         WHERE t.scope = 'total' AND t.rows > 0 AND t.flag_bit < 256
    ), reference AS (
        SELECT reference_time FROM ritual.report_builds ORDER BY built_at DESC LIMIT 1
    )
    SELECT k.kind, e.source_file, e.source_line,
           CASE k.flag_bit
               WHEN 1 THEN 'user_id empty or unparseable'
               WHEN 2 THEN 'event_type = ' || quote_literal(coalesce(e.raw_event_type, ''))
               WHEN 4 THEN 'event_date empty or unparseable'
               WHEN 8 THEN 'event_type = ' || quote_literal(e.raw_event_type)
               WHEN 16 THEN 'user_id = ' || e.user_id || ', no usable profile'
               WHEN 32 THEN 'event_date = ' || e.event_date || ', signup ' || e.signup_date
               WHEN 64 THEN 'event_date = ' || e.event_date || ', after the reference time '
                            || (SELECT reference_time FROM reference)
               ELSE format('user_id = %s, event_type = %s, event_date = %s, seen before',
                           e.user_id, quote_literal(e.raw_event_type), e.event_date)
           END,
           e.event_id
      FROM kinds k
      JOIN LATERAL (SELECT * FROM ritual.enriched_events e
                     WHERE e.flags <> 0 AND e.flags & k.flag_bit <> 0
                       AND (e.event_day = k.first_day OR (k.first_day IS NULL AND e.event_day IS NULL))
                     ORDER BY e.event_id LIMIT 1) e ON true
     ORDER BY k.flag_bit
$$;
COMMENT ON FUNCTION ritual.flagged_examples() IS
  'one flagged event per event kind, traced: file, line and the value that got it flagged';

/* The examples of flagged_examples as an HTML table; file names are data. */
CREATE OR REPLACE FUNCTION ritual.dashboard_examples()
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT '<div class="scroll"><table class="examples"><tr><th>kind</th><th>file</th><th>line</th><th>the bad value</th></tr>'
        || string_agg(format('<tr data-mark="row" data-kind="%s" data-line="%s"><td>%s</td><td title="%s">%s</td><td>%s</td><td><code>%s</code></td></tr>',
                             ritual.html_text(kind, 40), source_line, ritual.html_text(kind, 40),
                             ritual.html_text(source_file, 300),
                             ritual.html_text(regexp_replace(source_file, '^.*/', ''), 40),
                             source_line, ritual.html_text(bad_value, 120)), '')
        || '</table></div>'
      FROM ritual.flagged_examples()
    HAVING count(*) > 0
$$;
COMMENT ON FUNCTION ritual.dashboard_examples() IS
  'internal to dashboard_html: the traced examples of flagged rows as a table';

/*
 * The spikes and drop-offs found, as a table: every one of the series
 * events and dau, the strongest ten of the per-type series and a count of
 * the rest (there may be a series per event type, a thousand of them).
 */
CREATE OR REPLACE FUNCTION ritual.dashboard_spikes()
RETURNS text
LANGUAGE sql STABLE
AS $$
    WITH s AS (
        SELECT s.*, row_number() OVER (PARTITION BY s.series IN ('events', 'dau')
                                       ORDER BY abs(s.z) DESC, s.day, s.series) AS strength
          FROM ritual.spikes s
    ), shown AS (
        SELECT * FROM s WHERE series IN ('events', 'dau') OR strength <= 10
    )
    SELECT CASE WHEN count(*) = 0 THEN '<p class="empty">No spikes or drop-offs.</p>' ELSE
           '<div class="scroll"><table class="spikes"><tr><th>day</th><th>series</th><th>kind</th>'
        || '<th>value</th><th>expected</th><th>z</th></tr>'
        || coalesce(string_agg(format('<tr data-mark="row" data-day="%s" data-series="%s"><td>%s</td><td>%s</td><td class="%s">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
                                      day, ritual.html_text(series, 200), day, ritual.html_text(series, 40),
                                      ritual.html_text(kind, 20), ritual.html_text(replace(kind, '_', '-'), 20),
                                      value, round(expected::numeric),
                                      round(z::numeric, 1)),
                               '' ORDER BY series NOT IN ('events', 'dau'), day, series), '')
        || '</table></div>' END
        || coalesce((SELECT format('<p class="note">and %s more in the per-type series, weaker than these.</p>', count(*))
                       FROM s WHERE series NOT IN ('events', 'dau') AND strength > 10
                     HAVING count(*) > 0), '')
        || coalesce((SELECT '<p class="note">Days judged (<code>ritual.spike_coverage</code>): '
                            || string_agg(format('%s %s of %s (%s too young to judge)', series, judged, days, too_young),
                                          '; ' ORDER BY series)
                            || '.</p>'
                       FROM ritual.spike_coverage WHERE series IN ('events', 'dau')), '')
      FROM shown
$$;
COMMENT ON FUNCTION ritual.dashboard_spikes() IS
  'internal to dashboard_html: the spikes and drop-offs as a table';

/*
 * The funnel and lifecycle charts have their place here, and no chart:
 * their tables do not exist yet.  When they do, each becomes a figure of
 * dashboard_figure naming its table, like the others.
 */
CREATE OR REPLACE FUNCTION ritual.dashboard_funnel()
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT '<section id="funnel" data-pending="funnel lifecycle"><h2>Funnel and lifecycle</h2>'
        || '<p class="empty">Not built yet: the reporting layer has no funnel or lifecycle tables. '
        || 'Their charts will appear here, each naming its table.</p></section>'
$$;
COMMENT ON FUNCTION ritual.dashboard_funnel() IS
  'internal to dashboard_html: the place of the funnel and lifecycle charts';

/* The style of the page: plain, printable, one column on a phone. */
CREATE OR REPLACE FUNCTION ritual.dashboard_css()
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT $css$
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f6f7f9;margin:0}
main{max-width:1100px;margin:0 auto;padding:12px 16px 40px}
h1{font-size:1.6em;margin:.4em 0 .1em}h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:2px solid #d5dbe3}
h3{font-size:1em;margin:0}p{margin:.3em 0}code{font-size:.9em}
nav{display:flex;flex-wrap:wrap;gap:.2em 1em}
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.kpi{flex:1 1 150px;background:#fff;border:1px solid #d5dbe3;border-radius:6px;padding:8px 12px}
.kpi b{display:block;font-size:1.5em}.kpi span{font-weight:600}.kpi small{display:block;color:#5b6675}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,480px),1fr));gap:14px}
figure.chart{background:#fff;border:1px solid #d5dbe3;border-radius:6px;margin:0 0 14px;padding:10px 12px;break-inside:avoid}
figcaption .src,.note,.build,.legend{color:#5b6675;font-size:.88em}
svg{width:100%;height:auto;display:block;margin-top:6px}
svg text{font-size:13px;fill:#5b6675}
.axis line{stroke:#e3e7ed}.axis line.tick{stroke:#9aa4b2}
.line{fill:none;stroke-width:2;stroke-linejoin:round}
.s1{stroke:#1f6fd1;background:#1f6fd1}.s2{stroke:#e07b00;background:#e07b00}.s3{stroke:#2e9d57;background:#2e9d57}
.spike circle,.key.spike{fill:#d62d20;background:#d62d20}.drop_off circle,.key.drop_off{fill:#7b3fb5;background:#7b3fb5}
.spike line{stroke:#d62d20;stroke-dasharray:3 3}.drop_off line{stroke:#7b3fb5;stroke-dasharray:3 3}
td.spike{color:#d62d20}td.drop_off{color:#7b3fb5}
.bars{margin-top:6px}.bars .bar{display:grid;grid-template-columns:minmax(0,16em) 1fr 5.5em;gap:8px;align-items:center;margin:2px 0}
.bars .label{text-align:right;overflow-wrap:anywhere;font-size:.92em}.bars .value{font-variant-numeric:tabular-nums}
.track span{display:block;height:16px;background:#1f6fd1;border-radius:2px;min-width:1px}.rest .track span{background:#9aa4b2}
rect.bar{fill:#1f6fd1}
.cell.incomplete{fill-opacity:.45;stroke:#5b6675;stroke-width:1;stroke-dasharray:2 2}
svg text.in{font-size:11px;fill:#1d2430}svg text.in.dark{fill:#fff}
.legend .item{white-space:nowrap}.key{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin:0 4px 0 8px}
.key.incomplete{background:#a9c8ef;opacity:.6;outline:1px dashed #5b6675}
.k1{fill:#8c564b;background:#8c564b}.k2{fill:#e377c2;background:#e377c2}.k4{fill:#7f7f7f;background:#7f7f7f}
.k8{fill:#d62728;background:#d62728}.k16{fill:#ff7f0e;background:#ff7f0e}.k32{fill:#1f77b4;background:#1f77b4}
.k64{fill:#9467bd;background:#9467bd}.k128{fill:#2ca02c;background:#2ca02c}.k256{fill:#bcbd22;background:#bcbd22}
.k512{fill:#17becf;background:#17becf}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9em;background:#fff}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e3e7ed;vertical-align:top}
td code{word-break:break-all}td:first-child{white-space:nowrap}
.empty{color:#5b6675;font-style:italic}
footer{color:#5b6675;font-size:.85em;margin-top:2em}
@media (max-width:600px){.axis.time text{font-size:19px}.bars .bar{grid-template-columns:minmax(0,40%) 1fr 4.5em}}
@media print{body{background:#fff}nav{display:none}figure.chart,section{break-inside:avoid}h2{break-after:avoid}}
$css$
$$;
COMMENT ON FUNCTION ritual.dashboard_css() IS 'internal to dashboard_html: the page''s style';

/*
 * ritual.dashboard_html: the whole page.  psql writes it to a file:
 *   psql -XAt -c 'SELECT ritual.dashboard_html()' -o report.html
 * The Content-Security-Policy forbids scripts and every fetch, a second
 * fence behind the escaping of every value from the data.
 */
CREATE OR REPLACE FUNCTION ritual.dashboard_html()
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    body text;
BEGIN
    IF NOT EXISTS (SELECT FROM ritual.report_builds) THEN
        body := '<p class="empty">No reports yet: run <code>SELECT * FROM ritual.build_reports()</code> first.</p>';
    ELSE
        body := concat(
            '<nav><a href="#headline">Headline</a><a href="#activity">Activity</a>',
            '<a href="#retention">Retention</a><a href="#transitions">Transitions</a>',
            '<a href="#spikes">Spikes</a><a href="#quality">Data quality</a><a href="#funnel">Funnel</a></nav>',
            '<section id="headline"><h2>Headline</h2>', ritual.dashboard_headline(), '</section>',

            '<section id="activity"><h2>Activity</h2>',
            ritual.dashboard_figure('active_users', 'Daily, weekly and monthly active users', 'ritual.daily_activity',
                'Users with a clean event in the 1, 7 and 30 days ending each day; the spikes and drop-offs of '
                || 'DAU (<code>ritual.spikes</code>, series <code>dau</code>) are marked.',
                ritual.dashboard_lines(ARRAY['dau', 'wau', 'mau'], 'dau')),
            '<div class="grid">',
            ritual.dashboard_figure('events_per_day', 'Clean events per day', 'ritual.daily_activity',
                'Spikes and drop-offs of series <code>events</code> (<code>ritual.spikes</code>) marked.',
                ritual.dashboard_lines(ARRAY['events'], 'events')),
            ritual.dashboard_figure('new_users', 'New users per day', 'ritual.daily_activity',
                'Users by signup day (<code>new_users</code>).', ritual.dashboard_new_users()),
            '</div></section>',

            '<section id="retention"><h2>Retention</h2>',
            '<p class="legend">A row per signup cohort (the Sunday of its week, and its users), a column per week since '
            || 'signup. <b>Week 1* is the signup week</b>: its users signed up then, so it is not a return; returns start '
            || 'at week 2. <span class="key incomplete"></span>incomplete: the week has not ended in the data.</p>',
            ritual.dashboard_figure('retention_on', 'Returned in week n', 'ritual.retention_cohorts',
                'Share of the cohort with a clean event in that week (<code>pct_on</code>).',
                ritual.dashboard_retention('on')),
            ritual.dashboard_figure('retention_on_or_after', 'Returned in week n or later', 'ritual.retention_cohorts',
                'Share of the cohort with a clean event in that week or later (<code>pct_on_or_after</code>).',
                ritual.dashboard_retention('on_or_after')),
            '</section>',

            '<section id="transitions"><h2>Transitions</h2>',
            ritual.dashboard_figure('top_transitions', 'What users do next', 'ritual.event_transitions',
                'How often one clean event type follows another for the same user.',
                (SELECT ritual.dashboard_top_bars(array_agg(prev_event_type || ' → ' || event_type),
                                                  array_agg(transitions), 12, 'all other pairs')
                   FROM ritual.event_transitions)),
            '</section>',

            '<section id="spikes"><h2>Spikes and drop-offs</h2>',
            ritual.dashboard_figure('spike_list', 'Days far from their expected value', 'ritual.spikes',
                'Expected: the median of the same weekday over the 4 weeks before; |z| ≥ the build''s threshold.',
                ritual.dashboard_spikes()),
            '</section>',

            '<section id="quality"><h2>Data quality</h2>',
            (SELECT ritual.dashboard_figure('quality_kinds', 'Flagged rows by kind', 'ritual.data_quality',
                        'Scope <code>total</code>; a row with several flags counts under each. The last two are profile rows.',
                        ritual.dashboard_bars(array_agg(kind ORDER BY flag_bit), array_agg(rows ORDER BY flag_bit)))
               FROM ritual.data_quality WHERE scope = 'total'),
            ritual.dashboard_figure('unknown_types', 'Unknown event types', 'ritual.data_quality',
                'Scope <code>event_type</code>: the types the catalogue <code>ritual.event_types</code> lacks.',
                (SELECT ritual.dashboard_top_bars(array_agg(event_type), array_agg(rows), 10,
                                                  'all other unknown types')
                   FROM ritual.data_quality WHERE scope = 'event_type')),
            ritual.dashboard_figure('quality_days', 'Flagged rows by day', 'ritual.data_quality',
                'Scope <code>day</code>, stacked by kind; a profile kind counts on the signup date.',
                ritual.dashboard_quality_days()),
            ritual.dashboard_figure('quality_examples', 'Flagged rows, traced', 'ritual.enriched_events',
                'Per kind, the first flagged event of the first day with it (<code>ritual.flagged_examples()</code>).',
                ritual.dashboard_examples()),
            '</section>',
            ritual.dashboard_funnel());
    END IF;
    RETURN concat(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src ''none''; style-src ''unsafe-inline''">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>ritual report</title><style>', ritual.dashboard_css(), '</style></head><body><main>',
        '<h1>ritual report</h1><p class="build">App events, cleaned and reported by ritual; every chart names '
        || 'the table of schema <code>ritual</code> it is drawn from.</p>',
        body,
        '<footer>Made by <code>ritual.dashboard_html()</code> in database <code>',
        ritual.html_text(current_database(), 63), '</code> at ',
        to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), ' UTC. No script, nothing fetched.</footer>',
        '</main></body></html>');
END
$fn$;
COMMENT ON FUNCTION ritual.dashboard_html() IS
  'the reporting tables as one self-contained HTML page (inline SVG and CSS, no script); psql -XAt -c ''SELECT ritual.dashboard_html()'' -o report.html';

/*
 * The functions a report reader runs: the page and its parts (it runs
 * them as itself, reading the tables it was granted).  An explicit list,
 * as report_tables is: ritual.grant_report_reader grants EXECUTE on these
 * and no other; none is for PUBLIC.
 */
CREATE OR REPLACE FUNCTION ritual.report_functions()
RETURNS SETOF regprocedure
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT f::regprocedure
      FROM unnest(ARRAY['ritual.dashboard_html()', 'ritual.flagged_examples()',
                        'ritual.html_text(text, integer)',
                        'ritual.dashboard_figure(text, text, text, text, text)',
                        'ritual.dashboard_time_axes(date, date, double precision)',
                        'ritual.dashboard_xy(date, double precision, date, date, double precision)',
                        'ritual.dashboard_bars(text[], bigint[], boolean)',
                        'ritual.dashboard_top_bars(text[], bigint[], integer, text)',
                        'ritual.dashboard_headline()',
                        'ritual.dashboard_daily()', 'ritual.dashboard_lines(text[], text)',
                        'ritual.dashboard_new_users()', 'ritual.dashboard_retention(text)',
                        'ritual.dashboard_quality_days()', 'ritual.dashboard_examples()',
                        'ritual.dashboard_spikes()', 'ritual.dashboard_funnel()',
                        'ritual.dashboard_css()']) WITH ORDINALITY AS u(f, n)
     ORDER BY n
$$;
COMMENT ON FUNCTION ritual.report_functions() IS
  'the functions that ritual.grant_report_reader lets a role execute: the dashboard and its parts';

/*
 * None is for PUBLIC.  An upgrade runs this again: the report readers that
 * a version without the page granted (the roles granted SELECT on
 * ritual.daily_activity) get the page too, as grant_report_reader would
 * give it them now.
 */
DO $$
DECLARE
    f      regprocedure;
    reader regrole;
BEGIN
    FOR f IN SELECT * FROM ritual.report_functions() LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        FOR reader IN
            SELECT DISTINCT a.grantee::regrole
              FROM pg_class c, aclexplode(c.relacl) AS a
             WHERE c.oid = 'ritual.daily_activity'::regclass AND a.privilege_type = 'SELECT'
               AND a.grantee <> 0 AND a.grantee <> c.relowner
        LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', f, reader);
        END LOOP;
    END LOOP;
END
$$;

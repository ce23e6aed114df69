/*
 * tests/jdbc/LookerClient.java: what Looker Studio's PostgreSQL connector
 * does, done by pgJDBC (the driver Looker Studio uses), as the read-only
 * report role over TLS.  Connects with sslmode=verify-full and a client
 * certificate, and proves that the wrong CA, no client certificate, no TLS
 * or a wrong password are refused; lists tables and columns through
 * DatabaseMetaData and checks every reporting column's JDBC type, name and
 * comment; runs the Looker-style queries of looker_queries.sql with the date
 * range bound as 'YYYYMMDD' parameters, and compares every value with the
 * same queries run through psql; and checks that the role can neither read
 * raw files nor write anything.
 *
 * Prints "ok - ..." or "not ok - ..." per check and exits 1 if any failed.
 * Run by tests/looker.sh; arguments are --name value pairs (see usage()), the
 * password comes from the environment variable PGPASSWORD.
 */

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class LookerClient {

    /* the JDBC types a reporting column may have, with pgJDBC's type names */
    static final Map<Integer, String> ALLOWED_TYPES = Map.of(
        Types.VARCHAR, "text", Types.INTEGER, "int4", Types.BIGINT, "int8",
        Types.DOUBLE, "float8", Types.DATE, "date", Types.TIMESTAMP, "timestamp");
    static final String NULL_MARK = "<NULL>";
    static final int RUNS = 6;      // past pgJDBC's prepareThreshold (5): server-prepared, binary

    final Map<String, String> args;
    int passed = 0;
    int failed = 0;

    LookerClient(Map<String, String> args) {
        this.args = args;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            if (!argv[i].startsWith("--")) usage("unexpected argument " + argv[i]);
            args.put(argv[i].substring(2), argv[i + 1]);
        }
        if (argv.length % 2 != 0) usage("an option without a value: " + argv[argv.length - 1]);
        for (String required : List.of("host", "port", "db", "user", "tls", "rogue-ca",
                                       "queries", "start", "end", "tables", "psql")) {
            if (!args.containsKey(required)) usage("missing --" + required);
        }
        if (System.getenv("PGPASSWORD") == null) usage("PGPASSWORD is not set");
        LookerClient client = new LookerClient(args);
        try {
            client.run();
        } catch (Exception e) {
            client.fail("the test program stopped: " + e);
            e.printStackTrace(System.out);
        }
        System.out.printf("# jdbc: %d passed, %d failed%n", client.passed, client.failed);
        System.exit(client.failed == 0 ? 0 : 1);
    }

    static void usage(String why) {
        System.err.println("LookerClient: " + why);
        System.err.println("usage: java -cp postgresql.jar:DIR LookerClient --host H --port P --db D"
            + " --user U --tls DIR --rogue-ca FILE --queries FILE --start YYYYMMDD --end YYYYMMDD"
            + " --tables t1,t2,... --psql PATH   (password in PGPASSWORD)");
        System.exit(2);
    }

    void ok(String what) {
        passed++;
        System.out.println("ok - " + what);
    }

    void fail(String what) {
        failed++;
        System.out.println("not ok - " + what);
    }

    void check(boolean good, String what, String detail) {
        if (good) ok(what);
        else fail(what + (detail == null ? "" : ": " + detail));
    }

    String tls(String file) {
        return Path.of(args.get("tls"), file).toString();
    }

    String url(String host) {
        return "jdbc:postgresql://" + host + ":" + args.get("port") + "/" + args.get("db");
    }

    /* the connection Looker Studio makes: TLS verified against the CA, client certificate */
    Properties lookerProperties() {
        Properties p = new Properties();
        p.setProperty("user", args.get("user"));
        p.setProperty("password", System.getenv("PGPASSWORD"));
        p.setProperty("ssl", "true");
        p.setProperty("sslmode", "verify-full");
        p.setProperty("sslrootcert", tls("server-ca.pem"));
        p.setProperty("sslcert", tls("client-cert.pem"));
        p.setProperty("sslkey", tls("client-key.pk8"));
        p.setProperty("ApplicationName", "ritual LookerClient");
        p.setProperty("connectTimeout", "10");
        return p;
    }

    void run() throws Exception {
        checkRefusedConnections();
        try (Connection conn = DriverManager.getConnection(url("127.0.0.1"), lookerProperties())) {
            checkSession(conn);
            Set<String> reports = checkMetadata(conn);
            checkQueries(conn);
            checkNoRawFiles(conn);
            checkNoWrites(conn);
        }
        try (Connection conn = DriverManager.getConnection(url("localhost"), lookerProperties())) {
            ok("verify-full also accepts the server by the name localhost (subjectAltName DNS)");
        } catch (SQLException e) {
            fail("verify-full by the name localhost: " + e.getMessage());
        }
    }

    /* -- connections that must be refused -------------------------------- */

    void expectRefused(String what, Properties p, String host, String... states) {
        try (Connection conn = DriverManager.getConnection(url(host), p)) {
            fail(what + ": the connection was accepted");
        } catch (SQLException e) {
            String state = Objects.toString(e.getSQLState(), "");
            boolean good = Arrays.asList(states).contains(state);
            check(good, what + " (SQLSTATE " + state + ")", good ? null : e.getMessage());
        }
    }

    void checkRefusedConnections() throws IOException {
        Properties rogue = lookerProperties();
        rogue.setProperty("sslrootcert", args.get("rogue-ca"));
        // pgJDBC reports a failed TLS handshake as 08006 (connection failure)
        expectRefused("a server certificate not signed by the given CA is refused by verify-full",
                      rogue, "127.0.0.1", "08006");

        // pgJDBC sends no certificate when neither sslcert is given nor
        // ~/.postgresql/postgresql.crt exists: point the home at an empty folder
        Properties noCert = lookerProperties();
        noCert.remove("sslcert");
        noCert.remove("sslkey");
        String home = System.getProperty("user.home");
        Path empty = Files.createTempDirectory("looker-nocert");
        System.setProperty("user.home", empty.toString());
        try {
            expectRefused("without a client certificate the server refuses the role",
                          noCert, "127.0.0.1", "28000");
        } finally {
            System.setProperty("user.home", home);
            Files.deleteIfExists(empty);
        }

        Properties plain = lookerProperties();
        plain.setProperty("ssl", "false");
        plain.setProperty("sslmode", "disable");
        expectRefused("without TLS the server refuses the role", plain, "127.0.0.1", "28000");

        Properties wrong = lookerProperties();
        wrong.setProperty("password", "not-the-password");
        expectRefused("a wrong password is refused", wrong, "127.0.0.1", "28P01");
    }

    /* -- the session ----------------------------------------------------- */

    List<List<String>> rows(Connection conn, String sql) throws SQLException {
        List<List<String>> out = new ArrayList<>();
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) row.add(rs.getString(i));
                out.add(row);
            }
        }
        return out;
    }

    String one(Connection conn, String sql) throws SQLException {
        List<List<String>> r = rows(conn, sql);
        return r.isEmpty() ? null : r.get(0).get(0);
    }

    void checkSession(Connection conn) throws SQLException {
        List<String> ssl = rows(conn, "SELECT ssl::text, version, cipher, client_dn FROM pg_stat_ssl"
                                     + " WHERE pid = pg_backend_pid()").get(0);
        check("true".equals(ssl.get(0)), "connected over TLS with sslmode=verify-full ("
              + ssl.get(1) + ", " + ssl.get(2) + ")", "pg_stat_ssl says " + ssl);
        check(("/CN=" + args.get("user")).equals(ssl.get(3)),
              "the server saw the client certificate (" + ssl.get(3) + ")", "client_dn " + ssl.get(3));
        String user = one(conn, "SELECT current_user");
        check(args.get("user").equals(user), "logged in as the report role " + user, null);
        String ro = one(conn, "SHOW default_transaction_read_only");
        check("on".equals(ro), "the role's sessions are read-only by default", "it is " + ro);
        String path = one(conn, "SHOW search_path");
        check("ritual".equals(path), "the role's search_path is ritual", "it is " + path);
        String plans = one(conn, "SHOW plan_cache_mode");
        check("force_custom_plan".equals(plans),
              "the role's queries are planned with their parameters (plan_cache_mode)", "it is " + plans);
        String enc = one(conn, "SHOW client_encoding");
        check("UTF8".equals(enc), "client_encoding is UTF8", "it is " + enc);
        List<String> flags = rows(conn, "SELECT rolsuper::text, rolcreatedb::text, rolcreaterole::text"
                                      + " FROM pg_roles WHERE rolname = current_user").get(0);
        check(flags.equals(List.of("false", "false", "false")),
              "the role is no superuser and cannot create databases or roles", flags.toString());
    }

    /* -- DatabaseMetaData ------------------------------------------------ */

    Set<String> checkMetadata(Connection conn) throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        Set<String> expected = new TreeSet<>(Arrays.asList(args.get("tables").split(",")));

        Set<String> schemas = new TreeSet<>();
        try (ResultSet rs = md.getSchemas()) {
            while (rs.next()) schemas.add(rs.getString("TABLE_SCHEM"));
        }
        check(schemas.contains("ritual"), "DatabaseMetaData lists schema ritual", schemas.toString());

        // every table and view of schema ritual, and what the role may do with it
        Map<String, String> tableTypes = new LinkedHashMap<>();
        Map<String, String> tableRemarks = new HashMap<>();
        try (ResultSet rs = md.getTables(null, "ritual", "%", null)) {
            while (rs.next()) {
                tableTypes.put(rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE"));
                tableRemarks.put(rs.getString("TABLE_NAME"), rs.getString("REMARKS"));
            }
        }
        check(tableTypes.keySet().containsAll(expected),
              "DatabaseMetaData.getTables lists the " + expected.size() + " reporting tables",
              "missing " + difference(expected, tableTypes.keySet()));
        check(tableTypes.containsValue("FOREIGN TABLE"),
              "getTables also lists the raw foreign tables (visible, not readable)", tableTypes.toString());

        // privileges the role holds, as pgJDBC reads them (directly or through PUBLIC)
        Set<String> selectable = new TreeSet<>();
        Set<String> others = new TreeSet<>();
        try (ResultSet rs = md.getTablePrivileges(null, "%", "%")) {
            while (rs.next()) {
                String schema = rs.getString("TABLE_SCHEM");
                String grantee = rs.getString("GRANTEE");
                if (schema.equals("pg_catalog") || schema.equals("information_schema")) continue;
                if (!grantee.equals(args.get("user")) && !grantee.equalsIgnoreCase("PUBLIC")) continue;
                String priv = rs.getString("PRIVILEGE");
                String name = schema + "." + rs.getString("TABLE_NAME");
                if (priv.equals("SELECT") && schema.equals("ritual")) selectable.add(rs.getString("TABLE_NAME"));
                else others.add(priv + " on " + name + " to " + grantee);
            }
        }
        check(selectable.equals(expected),
              "getTablePrivileges: SELECT on exactly the reporting tables",
              "SELECT on " + selectable + ", expected " + expected);
        check(others.isEmpty(), "getTablePrivileges: no other privilege on any table", others.toString());

        // what the server says, for every relation the metadata lists
        Set<String> readable = new TreeSet<>();
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT has_table_privilege(format('ritual.%I', ?::text), 'SELECT')")) {
            for (String t : tableTypes.keySet()) {
                ps.setString(1, t);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) readable.add(t);
                }
            }
        }
        check(readable.equals(expected), "of the " + tableTypes.size()
              + " relations of schema ritual the role can read exactly the reporting tables",
              "readable " + readable);

        // every column of every reporting table: type, name, comment
        int columns = 0;
        List<String> badTypes = new ArrayList<>();
        List<String> badNames = new ArrayList<>();
        List<String> noComment = new ArrayList<>();
        Pattern plain = Pattern.compile("[a-z][a-z0-9_]*");
        for (String t : expected) {
            if (!plain.matcher(t).matches()) badNames.add(t);
            if (tableRemarks.get(t) == null || tableRemarks.get(t).isBlank()) noComment.add(t);
            Map<String, Integer> declared = new LinkedHashMap<>();
            try (ResultSet rs = md.getColumns(null, "ritual", t, "%")) {
                while (rs.next()) {
                    columns++;
                    String col = t + "." + rs.getString("COLUMN_NAME");
                    int type = rs.getInt("DATA_TYPE");
                    String typeName = rs.getString("TYPE_NAME");
                    declared.put(rs.getString("COLUMN_NAME"), type);
                    if (!typeName.equals(ALLOWED_TYPES.get(type))) {
                        badTypes.add(col + " is " + jdbcTypeName(type) + " (" + typeName + ")");
                    }
                    if (!plain.matcher(rs.getString("COLUMN_NAME")).matches()) badNames.add(col);
                    String remarks = rs.getString("REMARKS");
                    if (remarks == null || remarks.isBlank()) noComment.add(col);
                }
            }
            // and the types a query's result reports, which is what Looker reads
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT * FROM ritual." + t + " LIMIT 0")) {
                ResultSetMetaData rsmd = rs.getMetaData();
                for (int i = 1; i <= rsmd.getColumnCount(); i++) {
                    Integer d = declared.get(rsmd.getColumnName(i));
                    if (d == null || d != rsmd.getColumnType(i)) {
                        badTypes.add(t + "." + rsmd.getColumnName(i) + " reads as "
                                     + jdbcTypeName(rsmd.getColumnType(i)) + " but is declared "
                                     + (d == null ? "nothing" : jdbcTypeName(d)));
                    }
                }
            }
        }
        check(columns > 50 && badTypes.isEmpty(), "all " + columns
              + " reporting columns are VARCHAR (text), INTEGER, BIGINT, DOUBLE, DATE or TIMESTAMP;"
              + " no BIT (boolean), ARRAY, OTHER (json, interval) or NUMERIC", badTypes.toString());
        check(badNames.isEmpty(), "every reporting table and column name is plain lower case",
              badNames.toString());
        check(noComment.isEmpty(), "every reporting table and column has a comment (REMARKS)",
              noComment.toString());
        return expected;
    }

    static String jdbcTypeName(int type) {
        for (java.lang.reflect.Field f : Types.class.getFields()) {
            try {
                if (f.getInt(null) == type) return f.getName();
            } catch (IllegalAccessException e) {
                // not a constant
            }
        }
        return "type " + type;
    }

    static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> d = new TreeSet<>(a);
        d.removeAll(b);
        return d;
    }

    /* -- Looker-style queries, through JDBC and through psql -------------- */

    record Query(String name, String rowsRule, String sql) { }

    List<Query> readQueries() throws IOException {
        List<Query> out = new ArrayList<>();
        String name = null;
        String rule = "some";
        StringBuilder sql = new StringBuilder();
        for (String line : Files.readAllLines(Path.of(args.get("queries")), StandardCharsets.UTF_8)) {
            Matcher q = Pattern.compile("^-- query: *(\\S+)").matcher(line);
            Matcher r = Pattern.compile("^-- rows: *(\\S+)").matcher(line);
            if (q.find()) {
                if (name != null) out.add(new Query(name, rule, sql.toString().trim()));
                name = q.group(1);
                rule = "some";
                sql.setLength(0);
            } else if (r.find()) {
                rule = r.group(1);
            } else if (name != null && !line.startsWith("--")) {
                sql.append(line).append('\n');
            }
        }
        if (name != null) out.add(new Query(name, rule, sql.toString().trim()));
        for (int i = 0; i < out.size(); i++) {
            Query q = out.get(i);
            String s = q.sql().endsWith(";") ? q.sql().substring(0, q.sql().length() - 1) : q.sql();
            out.set(i, new Query(q.name(), q.rowsRule(), s));
        }
        return out;
    }

    void checkQueries(Connection conn) throws Exception {
        List<Query> queries = readQueries();
        check(queries.size() >= 10, "read " + queries.size() + " Looker-style queries", null);
        LocalDate start = LocalDate.parse(args.get("start"), DateTimeFormatter.BASIC_ISO_DATE);
        LocalDate end = LocalDate.parse(args.get("end"), DateTimeFormatter.BASIC_ISO_DATE);
        long days = ChronoUnit.DAYS.between(start, end) + 1;
        for (Query q : queries) {
            // JDBC: the date range as bound parameters, in order of appearance
            List<String> params = new ArrayList<>();
            Matcher m = Pattern.compile("@DS_(START|END)_DATE").matcher(q.sql());
            StringBuilder jdbcSql = new StringBuilder();
            while (m.find()) {
                params.add(m.group(1).equals("START") ? args.get("start") : args.get("end"));
                m.appendReplacement(jdbcSql, "?");
            }
            m.appendTail(jdbcSql);
            // psql: the same text with the parameters as string literals
            String psqlSql = q.sql().replace("@DS_START_DATE", "'" + args.get("start") + "'")
                                    .replace("@DS_END_DATE", "'" + args.get("end") + "'");

            List<String> psqlRows;
            try {
                psqlRows = runPsql(psqlSql);
            } catch (Exception e) {
                fail(q.name() + ": psql failed: " + e.getMessage());
                continue;
            }
            String problem = null;
            int rowCount = -1;
            try (PreparedStatement ps = conn.prepareStatement(jdbcSql.toString())) {
                for (int run = 1; run <= RUNS && problem == null; run++) {
                    for (int i = 0; i < params.size(); i++) ps.setString(i + 1, params.get(i));
                    try (ResultSet rs = ps.executeQuery()) {
                        problem = compare(rs, psqlRows, run);
                        rowCount = psqlRows.size();
                    }
                }
            } catch (SQLException e) {
                problem = "JDBC: " + e.getMessage();
            }
            if (problem == null) {
                if (q.rowsRule().equals("days") && rowCount != days) {
                    problem = rowCount + " rows, expected one per day of the range (" + days + ")";
                } else if (rowCount == 0) {
                    problem = "no rows: the check would prove nothing";
                }
            }
            check(problem == null, q.name() + ": " + rowCount + " rows, every value equal through JDBC ("
                  + params.size() + " bound YYYYMMDD parameters, " + RUNS + " runs) and psql", problem);
        }
    }

    List<String> runPsql(String sql) throws IOException, InterruptedException {
        String conninfo = "host=127.0.0.1 port=" + args.get("port") + " dbname=" + args.get("db")
            + " user=" + args.get("user") + " sslmode=verify-full sslrootcert=" + tls("server-ca.pem")
            + " sslcert=" + tls("client-cert.pem") + " sslkey=" + tls("client-key.pem")
            + " application_name=psql-compare";
        ProcessBuilder pb = new ProcessBuilder(args.get("psql"), "-X", "-q", "-A", "-t",
            "-F", "\t", "-P", "null=" + NULL_MARK, "-v", "ON_ERROR_STOP=1",
            "-d", conninfo, "-c", sql);
        pb.environment().put("PGCLIENTENCODING", "UTF8");
        pb.environment().put("PGDATESTYLE", "ISO");
        pb.redirectErrorStream(false);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(new String(err, StandardCharsets.UTF_8).trim());
        }
        String text = new String(out, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
        return lines;
    }

    /* null when equal, else what differs */
    String compare(ResultSet rs, List<String> psqlRows, int run) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        int row = 0;
        while (rs.next()) {
            if (row >= psqlRows.size()) return "run " + run + ": JDBC has more rows than psql (" + psqlRows.size() + ")";
            String[] fields = psqlRows.get(row).split("\t", -1);
            if (fields.length != n) return "row " + (row + 1) + ": psql has " + fields.length + " fields, JDBC " + n;
            for (int i = 1; i <= n; i++) {
                String p = fields[i - 1];
                String why = compareValue(rs, i, md.getColumnType(i), p);
                if (why != null) {
                    return "run " + run + ", row " + (row + 1) + ", column " + md.getColumnLabel(i) + ": " + why;
                }
            }
            row++;
        }
        if (row != psqlRows.size()) return "run " + run + ": JDBC has " + row + " rows, psql " + psqlRows.size();
        return null;
    }

    static String compareValue(ResultSet rs, int i, int type, String p) throws SQLException {
        Object j;
        boolean equal;
        switch (type) {
            case Types.BIGINT, Types.INTEGER, Types.SMALLINT -> {
                long v = rs.getLong(i);
                j = rs.wasNull() ? null : v;
                equal = j == null ? p.equals(NULL_MARK) : !p.equals(NULL_MARK) && Long.parseLong(p) == v;
            }
            case Types.DOUBLE, Types.REAL, Types.FLOAT -> {
                double v = rs.getDouble(i);
                j = rs.wasNull() ? null : v;
                equal = j == null ? p.equals(NULL_MARK)
                                  : !p.equals(NULL_MARK) && Double.compare(Double.parseDouble(p), v) == 0;
            }
            case Types.NUMERIC, Types.DECIMAL -> {
                BigDecimal v = rs.getBigDecimal(i);
                j = v;
                equal = v == null ? p.equals(NULL_MARK)
                                  : !p.equals(NULL_MARK) && new BigDecimal(p).compareTo(v) == 0;
            }
            case Types.DATE -> {
                LocalDate v = rs.getObject(i, LocalDate.class);
                j = v;
                equal = v == null ? p.equals(NULL_MARK) : !p.equals(NULL_MARK) && LocalDate.parse(p).equals(v);
            }
            case Types.TIMESTAMP -> {
                LocalDateTime v = rs.getObject(i, LocalDateTime.class);
                j = v;
                equal = v == null ? p.equals(NULL_MARK)
                                  : !p.equals(NULL_MARK) && LocalDateTime.parse(p.replace(' ', 'T')).equals(v);
            }
            default -> {
                String v = rs.getString(i);
                j = v;
                equal = v == null ? p.equals(NULL_MARK) : v.equals(p);
            }
        }
        return equal ? null : "JDBC " + j + " (" + jdbcTypeName(type) + "), psql " + p;
    }

    /* -- what the role must not do --------------------------------------- */

    /* runs sql, expects an error with one of the SQLSTATEs; returns null if so */
    static String expectError(Connection conn, String sql, String... states) {
        try (Statement st = conn.createStatement()) {
            st.execute(sql);
            return "it succeeded";
        } catch (SQLException e) {
            String state = Objects.toString(e.getSQLState(), "");
            if (Arrays.asList(states).contains(state)) return null;
            return "SQLSTATE " + state + " " + e.getMessage();
        } finally {
            try {
                if (!conn.getAutoCommit()) conn.rollback();
            } catch (SQLException e) {
                // the connection is still usable for the next check, or the next check says so
            }
        }
    }

    void checkNoRawFiles(Connection conn) {
        String[][] attempts = {
            {"SELECT count(*) FROM ritual.raw_events", "the raw events foreign table"},
            {"SELECT count(*) FROM ritual.raw_profiles", "the raw profiles foreign table"},
            {"SELECT pg_read_file('postgresql.conf')", "pg_read_file"},
            {"SELECT pg_read_binary_file('postgresql.conf')", "pg_read_binary_file"},
            {"SELECT pg_ls_dir('.')", "pg_ls_dir"},
            {"SELECT count(*) FROM ritual.event_types", "a ritual table that is not a report"},
            {"SELECT count(*) FROM public.not_for_looker", "a table of another schema"},
        };
        for (String[] a : attempts) {
            String why = expectError(conn, a[0], "42501");
            check(why == null, "cannot read " + a[1] + " (" + a[0] + ": permission denied)", why);
        }
    }

    void checkNoWrites(Connection conn) throws SQLException {
        String[][] attempts = {
            {"INSERT INTO ritual.spikes (day, series, value, expected, z, kind)"
             + " VALUES ('2000-01-01', 'x', 0, 0, 0, 'spike')", "INSERT"},
            {"UPDATE ritual.daily_activity SET dau = 0", "UPDATE"},
            {"DELETE FROM ritual.spikes", "DELETE"},
            {"TRUNCATE ritual.users", "TRUNCATE"},
            {"CREATE TABLE public.scratch (a int)", "CREATE TABLE in public"},
            {"CREATE TABLE ritual.scratch (a int)", "CREATE TABLE in ritual"},
            {"CREATE SCHEMA scratch", "CREATE SCHEMA"},
            {"CREATE FOREIGN TABLE public.peek (line text) SERVER ritual_raw_files"
             + " OPTIONS (path '/etc/passwd')", "CREATE FOREIGN TABLE over a file"},
            {"CREATE SERVER peek FOREIGN DATA WRAPPER ritual_fdw", "CREATE SERVER"},
            {"COPY ritual.users FROM '/etc/passwd'", "COPY FROM a server file"},
            {"SELECT lo_import('/etc/passwd')", "lo_import"},
            {"DROP TABLE ritual.spikes", "DROP TABLE"},
            {"ALTER TABLE ritual.users ADD COLUMN scratch int", "ALTER TABLE"},
            {"SELECT * FROM ritual.build_reports()", "ritual.build_reports()"},
            {"SELECT ritual.grant_report_reader(current_user)", "ritual.grant_report_reader()"},
            {"SET ROLE postgres", "SET ROLE to the superuser"},
        };
        // as the role logs in: read-only by default, and without the privileges
        for (String[] a : attempts) {
            String why = expectError(conn, a[0], "25006", "42501");
            check(why == null, "cannot " + a[1] + " in its default (read-only) session", why);
        }
        String why = expectError(conn, "CREATE TEMP TABLE scratch (a int)", "25006");
        check(why == null, "cannot CREATE TEMP TABLE in its default (read-only) session", why);
        // and with read-only switched off the privileges alone refuse every one
        try (Statement st = conn.createStatement()) {
            st.execute("SET default_transaction_read_only = off");
        }
        for (String[] a : attempts) {
            why = expectError(conn, a[0], "42501");
            check(why == null, "cannot " + a[1] + " with read-only switched off (permission denied)", why);
        }
        try (Statement st = conn.createStatement()) {
            st.execute("RESET default_transaction_read_only");
        }
    }
}

// pgjdbc with its defaults: Statement, PreparedStatement (server-side prepare after the
// prepareThreshold, 5, then binary results), batch, transactions, DatabaseMetaData,
// CopyManager. Prints each step's value or error as one JSON line (tests/clients/harness.py).
import java.io.StringReader;
import java.math.BigDecimal;
import java.sql.*;
import java.time.*;
import java.util.*;
import org.postgresql.PGConnection;
import org.postgresql.PGStatement;

public class PgjdbcSteps {
    interface Step { Object run() throws Exception; }

    static final Map<String, Object> results = new LinkedHashMap<>();
    static Connection conn;
    static String table;

    static void step(String name, Step s) {
        Map<String, Object> r = new LinkedHashMap<>();
        try {
            r.put("ok", true);
            r.put("value", s.run());
        } catch (Throwable e) {
            r.put("ok", false);
            r.put("error", String.valueOf(e));
            r.put("sqlstate", e instanceof SQLException ? ((SQLException) e).getSQLState() : null);
        }
        results.put(name, r);
    }

    static List<Object> row(ResultSet rs) throws SQLException {
        List<Object> out = new ArrayList<>();
        ResultSetMetaData md = rs.getMetaData();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            Object v = rs.getObject(i);
            if (v instanceof byte[]) {
                StringBuilder sb = new StringBuilder("\\x");
                for (byte b : (byte[]) v) sb.append(String.format("%02x", b));
                v = sb.toString();
            } else if (v instanceof BigDecimal) {
                v = ((BigDecimal) v).toPlainString();
            } else if (v != null && !(v instanceof Number) && !(v instanceof Boolean)) {
                v = v.toString();
            }
            out.add(v);
        }
        return out;
    }

    static List<List<Object>> rows(ResultSet rs) throws SQLException {
        List<List<Object>> out = new ArrayList<>();
        while (rs.next()) out.add(row(rs));
        rs.close();
        return out;
    }

    static List<List<Object>> query(String sql) throws SQLException {
        try (Statement st = conn.createStatement()) {
            return rows(st.executeQuery(sql));
        }
    }

    public static void main(String[] a) {
        String url = "jdbc:postgresql://" + a[0] + ":" + a[1] + "/" + a[3];
        table = a[4];
        Properties props = new Properties();
        props.setProperty("user", a[2]);
        props.setProperty("password", a[5]);
        step("connect", () -> {
            conn = DriverManager.getConnection(url, props);
            return query("select 1");
        });
        step("params", () -> {
            try (PreparedStatement ps = conn.prepareStatement("select ?::int + ?::int, ? || 'x', ?::text is null")) {
                ps.setInt(1, 40);
                ps.setInt(2, 2);
                ps.setString(3, "it's");
                ps.setNull(4, Types.VARCHAR);
                return rows(ps.executeQuery());
            }
        });
        step("types_insert", () -> {
            try (Statement st = conn.createStatement()) {
                st.execute("create table " + table + " (id int4 primary key, b bool, i2 int2, i4 int4, i8 int8, "
                    + "f4 float4, f8 float8, n numeric(12,3), s text, v varchar(10), by bytea, d date, tm time, "
                    + "ts timestamp, tz timestamptz, u uuid, j jsonb)");
            }
            String ins = "insert into " + table + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)";
            try (PreparedStatement ps = conn.prepareStatement(ins)) {
                ps.setInt(1, 1);
                ps.setBoolean(2, true);
                ps.setShort(3, (short) -32768);
                ps.setInt(4, 2147483647);
                ps.setLong(5, Long.MIN_VALUE);
                ps.setFloat(6, 1.5f);
                ps.setDouble(7, -2.25e-300);
                ps.setBigDecimal(8, new BigDecimal("12345.678"));
                ps.setString(9, "héllo ☃ 'quoted'");
                ps.setString(10, "varchar");
                ps.setBytes(11, new byte[] {0, (byte) 255, 16, 39});
                ps.setObject(12, LocalDate.of(2024, 2, 29));
                ps.setObject(13, LocalTime.of(13, 14, 15, 500_000_000));
                ps.setObject(14, LocalDateTime.of(2024, 2, 29, 13, 14, 15, 500_000_000));
                ps.setObject(15, OffsetDateTime.of(2024, 2, 29, 13, 14, 15, 500_000_000, ZoneOffset.UTC));
                ps.setObject(16, UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
                ps.setString(17, "{\"a\": [1, 2, null], \"k\": \"v\"}");
                return ps.executeUpdate();
            }
        });
        // The same PreparedStatement six times: text results until the prepareThreshold (5)
        // makes it a named server statement, then binary for the types pgjdbc reads in binary.
        step("types_text_then_binary", () -> {
            List<Object> out = new ArrayList<>();
            String cols = "id, b, i2, i4, i8, f4, f8, n, s, v, by, d, tm, ts, tz, u";
            try (PreparedStatement ps = conn.prepareStatement("select " + cols + " from " + table + " where id = ?")) {
                for (int i = 0; i < 6; i++) {
                    ps.setInt(1, 1);
                    Map<String, Object> run = new LinkedHashMap<>();
                    run.put("server_prepared", ps.unwrap(PGStatement.class).isUseServerPrepare());
                    run.put("rows", rows(ps.executeQuery()));
                    out.add(run);
                }
            }
            return out;
        });
        // jsonb comes back as a PGobject, which pgjdbc types by name.
        step("jsonb", () -> query("select j, '{\"x\": 1}'::jsonb from " + table));
        step("literals", () -> query("select true, 7::int2, 42::int4, 9000000000::int8, 0.5::float4, "
            + "0.25::float8, 1.500::numeric, 'txt'::text, '\\x0102'::bytea, '2000-01-01'::date, "
            + "'2000-01-01 00:00:00'::timestamp, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, null::int4"));
        step("transaction_rollback", () -> {
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                st.executeUpdate("insert into " + table + " (id) values (2)");
                conn.rollback();
                st.executeUpdate("insert into " + table + " (id) values (3)");
                conn.commit();
            } finally {
                conn.setAutoCommit(true);
            }
            return query("select id from " + table + " order by id");
        });
        step("error", () -> {
            try {
                query("select * from " + table + "_missing");
            } catch (SQLException e) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("sqlstate", e.getSQLState());
                r.put("after", query("select 2"));
                return r;
            }
            throw new Exception("no error raised");
        });
        step("prepared_reuse", () -> {
            List<Object> out = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement("select ?::int * 2")) {
                for (int i = 0; i < 8; i++) {
                    ps.setInt(1, i);
                    ResultSet rs = ps.executeQuery();
                    rs.next();
                    out.add(List.of(rs.getInt(1), ps.unwrap(PGStatement.class).isUseServerPrepare()));
                    rs.close();
                }
            }
            return out;
        });
        step("batch", () -> {
            try (PreparedStatement ps = conn.prepareStatement("insert into " + table + " (id, s) values (?, ?)")) {
                for (int i = 10; i < 13; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "b" + i);
                    ps.addBatch();
                }
                return Arrays.stream(ps.executeBatch()).boxed().toList();
            }
        });
        // A batch goes out as one pipeline (Parse/Bind/Execute per row, one Sync): a failing
        // row rolls back the batch's implicit transaction, and the rows after it are skipped.
        step("batch_error", () -> {
            List<Object> out = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement("insert into " + table + " (id, s) values (?, ?)")) {
                for (int id : new int[] {20, 21, 20, 22}) {
                    ps.setInt(1, id);
                    ps.setString(2, "e" + id);
                    ps.addBatch();
                }
                try {
                    ps.executeBatch();
                    out.add("no error");
                } catch (BatchUpdateException e) {
                    out.add(e.getSQLState());
                    out.add(Arrays.stream(e.getUpdateCounts()).boxed().toList());
                }
            }
            out.add(query("select count(*) from " + table + " where id >= 20"));
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                st.addBatch("insert into " + table + " (id, s) values (30, 'x')");
                st.addBatch("insert into " + table + " (id, s) values (30, 'y')");
                st.addBatch("insert into " + table + " (id, s) values (31, 'z')");
                try {
                    st.executeBatch();
                } catch (BatchUpdateException e) {
                    out.add(e.getSQLState());
                }
                conn.rollback();
                st.addBatch("insert into " + table + " (id, s) values (32, 'w')");
                out.add(Arrays.stream(st.executeBatch()).boxed().toList());
                conn.commit();
            } finally {
                conn.setAutoCommit(true);
            }
            out.add(query("select id from " + table + " where id >= 20 order by id"));
            return out;
        });
        step("metadata_product", () -> {
            DatabaseMetaData md = conn.getMetaData();
            return List.of(md.getDatabaseProductName(), md.getDatabaseMajorVersion() >= 15);
        });
        step("metadata_tables", () -> {
            DatabaseMetaData md = conn.getMetaData();
            List<Object> out = new ArrayList<>();
            try (ResultSet rs = md.getTables(null, null, table, new String[] {"TABLE"})) {
                while (rs.next()) out.add(rs.getString("TABLE_NAME"));
            }
            try (ResultSet rs = md.getColumns(null, null, table, "i%")) {
                while (rs.next()) out.add(List.of(rs.getString("COLUMN_NAME"), rs.getString("TYPE_NAME")));
            }
            return out;
        });
        step("copy_in", () -> {
            try (Statement st = conn.createStatement()) {
                st.execute("create table " + table + "_copy (id int, name text)");
            }
            long n = conn.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("copy " + table + "_copy from stdin", new StringReader("1\tone\n2\ttwo\n"));
            return List.of(n, query("select count(*) from " + table + "_copy"));
        });
        System.out.println(json(results));
        System.exit(0);
    }

    static String json(Object v) {
        if (v == null) return "null";
        if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short) return v.toString();
        if (v instanceof Number) return v.toString();
        if (v instanceof Map) {
            StringJoiner j = new StringJoiner(", ", "{", "}");
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) j.add(json(e.getKey().toString()) + ": " + json(e.getValue()));
            return j.toString();
        }
        if (v instanceof Collection) {
            StringJoiner j = new StringJoiner(", ", "[", "]");
            for (Object o : (Collection<?>) v) j.add(json(o));
            return j.toString();
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : v.toString().toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }
}

// pgjdbc over TLS: one connection with the given sslmode and root CA (pgjdbc's default
// LibPQFactory), password authentication as the server asks (SCRAM-SHA-256), one query.
// Prints {"ok": true, "value": ...} or {"ok": false, "error": ..., "sqlstate": ...}.
// Usage: TlsConnect host port user password database sslmode rootcert
import java.sql.*;
import java.util.Properties;

public class TlsConnect {
    static String json(String s) {
        return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    public static void main(String[] a) {
        Properties props = new Properties();
        props.setProperty("user", a[2]);
        props.setProperty("password", a[3]);
        props.setProperty("sslmode", a[5]);
        props.setProperty("sslrootcert", a[6]);
        props.setProperty("connectTimeout", "10");
        String url = "jdbc:postgresql://" + a[0] + ":" + a[1] + "/" + a[4];
        try (Connection conn = DriverManager.getConnection(url, props);
             Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("select 40 + 2")) {
            rs.next();
            System.out.println("{\"ok\": true, \"value\": " + rs.getInt(1) + "}");
        } catch (SQLException e) {
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            System.out.println("{\"ok\": false, \"error\": " + json(e + " / " + root) + ", \"sqlstate\": "
                    + json(e.getSQLState()) + "}");
        }
    }
}

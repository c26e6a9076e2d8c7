// pgjdbc's DatabaseMetaData key and index calls, with the driver's defaults: for each
// schema.table argument, getPrimaryKeys, getImportedKeys, getExportedKeys and
// getIndexInfo (all indexes, approximate), every column of every row. Prints one JSON
// object {call: rows} (tests/test_catalog_jdbc.py compares PostgreSQL 15 with the gateway).
import java.sql.*;
import java.util.*;

public class CatalogMetaData {
    static String json(Object v) {
        if (v == null) return "null";
        if (v instanceof Number || v instanceof Boolean) return v.toString();
        StringBuilder sb = new StringBuilder("\"");
        for (char c : v.toString().toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    static String rows(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        List<String> out = new ArrayList<>();
        while (rs.next()) {
            List<String> cols = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                cols.add(json(md.getColumnLabel(i)) + ": " + json(rs.getObject(i)));
            }
            out.add("{" + String.join(", ", cols) + "}");
        }
        rs.close();
        return "[" + String.join(", ", out) + "]";
    }

    public static void main(String[] a) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", a[2]);
        try (Connection conn = DriverManager.getConnection("jdbc:postgresql://" + a[0] + ":" + a[1] + "/" + a[3], props)) {
            DatabaseMetaData md = conn.getMetaData();
            List<String> out = new ArrayList<>();
            for (int i = 4; i < a.length; i++) {
                String[] st = a[i].split("\\.");
                String s = st[0], t = st[1];
                out.add(json("primary_keys " + a[i]) + ": " + rows(md.getPrimaryKeys(null, s, t)));
                out.add(json("imported_keys " + a[i]) + ": " + rows(md.getImportedKeys(null, s, t)));
                out.add(json("exported_keys " + a[i]) + ": " + rows(md.getExportedKeys(null, s, t)));
                out.add(json("index_info " + a[i]) + ": " + rows(md.getIndexInfo(null, s, t, false, true)));
            }
            System.out.println("{" + String.join(", ", out) + "}");
        }
    }
}

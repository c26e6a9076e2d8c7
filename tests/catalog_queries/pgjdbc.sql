-- case: getTables
-- source: pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java (getTables)
-- compare: rows
SELECT NULL AS table_cat, n.nspname AS table_schem, c.relname AS table_name,
       CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema'
         WHEN true THEN CASE WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema'
                             THEN CASE c.relkind WHEN 'r' THEN 'SYSTEM TABLE' WHEN 'v' THEN 'SYSTEM VIEW' ELSE NULL END
                             ELSE NULL END
         ELSE CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'i' THEN 'INDEX'
                             WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             ELSE NULL END
       END AS table_type,
       d.description AS remarks, '' AS type_cat, '' AS type_schem, '' AS type_name,
       '' AS self_referencing_col_name, '' AS ref_generation
FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_description d
       ON (c.oid = d.objoid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass)
WHERE c.relnamespace = n.oid AND n.nspname LIKE 'public' AND c.relname LIKE '%'
  AND (false OR (c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema')
             OR (c.relkind = 'v' AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema'))
ORDER BY table_type, table_schem, table_name

-- case: getColumns
-- source: pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java (getColumns)
-- compare: rows
SELECT * FROM (
  SELECT n.nspname, c.relname, a.attname, a.atttypid,
         a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) AS attnotnull, a.atttypmod, a.attlen, t.typtypmod,
         row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum,
         nullif(a.attidentity, '') AS attidentity, nullif(a.attgenerated, '') AS attgenerated,
         pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc, dsc.description, t.typbasetype, t.typtype
  FROM pg_catalog.pg_namespace n
       JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid)
       JOIN pg_catalog.pg_attribute a ON (a.attrelid = c.oid)
       JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)
       LEFT JOIN pg_catalog.pg_attrdef def ON (a.attrelid = def.adrelid AND a.attnum = def.adnum)
       LEFT JOIN pg_catalog.pg_description dsc ON (c.oid = dsc.objoid AND a.attnum = dsc.objsubid)
       LEFT JOIN pg_catalog.pg_class dc ON (dc.oid = dsc.classoid AND dc.relname = 'pg_class')
       LEFT JOIN pg_catalog.pg_namespace dn ON (dc.relnamespace = dn.oid AND dn.nspname = 'pg_catalog')
  WHERE c.relkind IN ('r', 'p', 'v', 'f', 'm') AND a.attnum > 0 AND NOT a.attisdropped
    AND n.nspname LIKE 'public' AND c.relname LIKE '%') c
WHERE true
ORDER BY nspname, c.relname, attnum

-- case: getPrimaryKeys
-- source: pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java (getPrimaryKeys)
-- compare: rows
SELECT result.table_cat, result.table_schem, result.table_name, result.column_name, result.key_seq, result.pk_name
FROM (SELECT NULL AS table_cat, n.nspname AS table_schem, ct.relname AS table_name, a.attname AS column_name,
             (information_schema._pg_expandarray(i.indkey)).n AS key_seq, ci.relname AS pk_name,
             information_schema._pg_expandarray(i.indkey) AS keys, a.attnum AS a_attnum
      FROM pg_catalog.pg_class ct
           JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)
           JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)
           JOIN pg_catalog.pg_index i ON (a.attrelid = i.indrelid)
           JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid)
      WHERE true AND n.nspname = 'public' AND i.indisprimary) result
WHERE result.a_attnum = (result.keys).x
ORDER BY result.table_name, result.pk_name, result.key_seq

-- case: getImportedKeys
-- source: pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java (getImportedExportedKeys)
-- compare: rows
SELECT NULL::text AS pktable_cat, pkn.nspname AS pktable_schem, pkc.relname AS pktable_name,
       pka.attname AS pkcolumn_name, NULL::text AS fktable_cat, fkn.nspname AS fktable_schem,
       fkc.relname AS fktable_name, fka.attname AS fkcolumn_name, pos.n AS key_seq,
       CASE con.confupdtype WHEN 'c' THEN 0 WHEN 'n' THEN 2 WHEN 'd' THEN 4 WHEN 'r' THEN 1 WHEN 'p' THEN 1
                            WHEN 'a' THEN 3 ELSE NULL END AS update_rule,
       CASE con.confdeltype WHEN 'c' THEN 0 WHEN 'n' THEN 2 WHEN 'd' THEN 4 WHEN 'r' THEN 1 WHEN 'p' THEN 1
                            WHEN 'a' THEN 3 ELSE NULL END AS delete_rule,
       con.conname AS fk_name, pkic.relname AS pk_name,
       CASE WHEN con.condeferrable AND con.condeferred THEN 5 WHEN con.condeferrable THEN 6 ELSE 7 END AS deferrability
FROM pg_catalog.pg_namespace pkn, pg_catalog.pg_class pkc, pg_catalog.pg_attribute pka,
     pg_catalog.pg_namespace fkn, pg_catalog.pg_class fkc, pg_catalog.pg_attribute fka,
     pg_catalog.pg_constraint con, pg_catalog.generate_series(1, 32) pos(n), pg_catalog.pg_class pkic
WHERE pkn.oid = pkc.relnamespace AND pkc.oid = pka.attrelid AND pka.attnum = con.confkey[pos.n]
  AND con.confrelid = pkc.oid AND fkn.oid = fkc.relnamespace AND fkc.oid = fka.attrelid
  AND fka.attnum = con.conkey[pos.n] AND con.conrelid = fkc.oid AND con.contype = 'f'
  AND (pkic.relkind = 'i' OR pkic.relkind = 'I') AND pkic.oid = con.conindid
  AND fkn.nspname = 'public' AND fkc.relname = 'emp'
ORDER BY pkn.nspname, pkc.relname, con.conname, pos.n

-- case: getIndexInfo
-- source: pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java (getIndexInfo)
-- compare: rows
SELECT NULL AS table_cat, n.nspname AS table_schem, ct.relname AS table_name, NOT i.indisunique AS non_unique,
       NULL AS index_qualifier, ci.relname AS index_name,
       CASE i.indisclustered WHEN true THEN 1 ELSE CASE am.amname WHEN 'hash' THEN 2 ELSE 3 END END AS type,
       (i.keys).n AS ordinal_position,
       trim(both '"' from pg_catalog.pg_get_indexdef(ci.oid, (i.keys).n, false)) AS column_name,
       CASE am.amname WHEN 'btree' THEN CASE i.indoption[(i.keys).n - 1] & 1 WHEN 1 THEN 'D' ELSE 'A' END
                      ELSE NULL END AS asc_or_desc,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS filter_condition
FROM pg_catalog.pg_class ct
     JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)
     JOIN (SELECT i.indexrelid, i.indrelid, i.indoption, i.indisunique, i.indisclustered, i.indpred, i.indexprs,
                  information_schema._pg_expandarray(i.indkey) AS keys
           FROM pg_catalog.pg_index i) i ON (ct.oid = i.indrelid)
     JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid)
     JOIN pg_catalog.pg_am am ON (ci.relam = am.oid)
WHERE true AND n.nspname = 'public' AND ct.relname = 'emp'
ORDER BY non_unique, type, index_name, ordinal_position

-- case: getSchemas
-- source: pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java (getSchemas)
SELECT nspname AS table_schem, NULL AS table_catalog FROM pg_catalog.pg_namespace
WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_' OR nspname = (pg_catalog.current_schemas(true))[1])
  AND (nspname !~ '^pg_toast_temp_' OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))
ORDER BY table_schem

-- case: getPrimaryKeys from conkey
-- source: pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java (getPrimaryKeys, current: pg_constraint.conkey)
-- compare: rows
SELECT r.table_cat AS "TABLE_CAT", r.table_schem AS "TABLE_SCHEM", r.table_name AS "TABLE_NAME",
       r.column_name AS "COLUMN_NAME", r.key_seq AS "KEY_SEQ", r.pk_name AS "PK_NAME"
FROM (SELECT current_database() AS table_cat, n.nspname AS table_schem, ct.relname AS table_name,
             a.attname AS column_name, (information_schema._pg_expandarray(con.conkey)).n AS key_seq,
             con.conname AS pk_name, information_schema._pg_expandarray(con.conkey) AS keys, a.attnum AS a_attnum
      FROM pg_catalog.pg_constraint con
           JOIN pg_catalog.pg_class ct ON (con.conrelid = ct.oid)
           JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)
           JOIN pg_catalog.pg_attribute a ON (a.attrelid = ct.oid)
      WHERE con.contype = 'p' AND n.nspname = 'public') r
WHERE r.a_attnum = (r.keys).x
ORDER BY r.table_name, r.pk_name, r.key_seq

-- case: getMaxIndexKeys
-- source: pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java (getMaxIndexKeys, before getImportedKeys)
-- compare: rows
SELECT setting FROM pg_catalog.pg_settings WHERE name = 'max_index_keys'

-- case: getMaxNameLength
-- source: pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java (getMaxNameLength)
-- compare: rows
SELECT t.typlen FROM pg_catalog.pg_type t, pg_catalog.pg_namespace n
WHERE t.typnamespace = n.oid AND t.typname = 'name' AND n.nspname = 'pg_catalog'

-- case: describe tables
-- source: src/metabase/driver/postgres.clj (describe-database: tables with privileges and comments)
-- compare: rows
SELECT n.nspname AS schema, c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW'
                      WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS type,
       d.description AS description
FROM pg_catalog.pg_class c
     INNER JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid
     LEFT JOIN pg_catalog.pg_description d ON c.oid = d.objoid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass
WHERE c.relnamespace = n.oid AND n.nspname !~ '^information_schema|catalog_history|pg_'
  AND c.relkind IN ('r', 'p', 'v', 'f', 'm')
  AND (pg_catalog.has_table_privilege(c.oid, 'SELECT') OR pg_catalog.has_any_column_privilege(c.oid, 'SELECT'))
  AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
ORDER BY type, schema, name

-- case: describe fields
-- source: src/metabase/driver/postgres.clj (describe-fields via information_schema.columns and pg_description)
-- compare: rows
SELECT c.column_name AS name, c.udt_name AS "database-type", c.ordinal_position - 1 AS "database-position",
       c.table_schema AS "table-schema", c.table_name AS "table-name",
       pk.column_name IS NOT NULL AS "pk?", col_description(cast(cast(format('%I.%I', c.table_schema, c.table_name) AS regclass) AS oid), c.ordinal_position) AS "field-comment",
       c.is_nullable = 'NO' AS "database-required"
FROM information_schema.columns c
     LEFT JOIN (SELECT tc.table_schema, tc.table_name, kc.column_name
                FROM information_schema.table_constraints tc
                     INNER JOIN information_schema.key_column_usage kc
                       ON tc.constraint_name = kc.constraint_name AND tc.table_schema = kc.table_schema
                          AND tc.table_name = kc.table_name
                WHERE tc.constraint_type = 'PRIMARY KEY') pk
       ON c.table_schema = pk.table_schema AND c.table_name = pk.table_name AND c.column_name = pk.column_name
WHERE c.table_schema = 'public' AND c.table_name IN ('dept', 'emp')
ORDER BY "table-schema", "table-name", "database-position"

-- case: foreign keys
-- source: src/metabase/driver/postgres.clj (describe-fks via information_schema)
-- compare: rows
SELECT tc.table_schema AS "fk-table-schema", tc.table_name AS "fk-table-name", kcu.column_name AS "fk-column-name",
       ccu.table_schema AS "pk-table-schema", ccu.table_name AS "pk-table-name", ccu.column_name AS "pk-column-name"
FROM information_schema.table_constraints AS tc
     JOIN information_schema.key_column_usage AS kcu
       ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema
     JOIN information_schema.constraint_column_usage AS ccu
       ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
WHERE tc.constraint_type = 'FOREIGN KEY'
ORDER BY 1, 2, 3

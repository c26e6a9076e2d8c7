-- case: search_path
-- source: pgcli/pgexecute.py (search_path_query)
SELECT * FROM unnest(current_schemas(true))

-- case: schemata
-- source: pgcli/pgexecute.py (schemata_query)
-- compare: rows
SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = 'public' ORDER BY 1

-- case: tables
-- source: pgcli/pgexecute.py (tables_query, relkind = ANY(%s))
-- compare: rows
SELECT n.nspname schema_name, c.relname table_name
FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = ANY(ARRAY['r', 'p', 'f']) AND n.nspname = 'public'
ORDER BY 1, 2

-- case: columns
-- source: pgcli/pgexecute.py (columns_query)
-- compare: rows
SELECT nsp.nspname schema_name, cls.relname table_name, att.attname column_name,
       att.atttypid::regtype::text type_name, att.atthasdef AS has_default,
       pg_catalog.pg_get_expr(def.adbin, def.adrelid, true) AS default
FROM pg_catalog.pg_attribute att
     INNER JOIN pg_catalog.pg_class cls ON att.attrelid = cls.oid
     INNER JOIN pg_catalog.pg_namespace nsp ON cls.relnamespace = nsp.oid
     LEFT OUTER JOIN pg_attrdef def ON def.adrelid = att.attrelid AND def.adnum = att.attnum
WHERE cls.relkind = ANY(ARRAY['r', 'p', 'f']) AND NOT att.attisdropped AND att.attnum > 0
  AND nsp.nspname = 'public'
ORDER BY 1, 2, att.attnum

-- case: foreignkeys
-- source: pgcli/pgexecute.py (foreignkeys, unnest of conkey/confkey in FROM)
-- compare: rows in any order
SELECT s_p.nspname AS parentschema, t_p.relname AS parenttable,
       unnest((SELECT array_agg(attname ORDER BY i) FROM
               (SELECT unnest(confkey) AS attnum, generate_subscripts(confkey, 1) AS i) x
               JOIN pg_catalog.pg_attribute c USING (attnum) WHERE c.attrelid = fk.confrelid)) AS parentcolumn,
       s_c.nspname AS childschema, t_c.relname AS childtable
FROM pg_catalog.pg_constraint fk
     JOIN pg_catalog.pg_class t_p ON t_p.oid = fk.confrelid
     JOIN pg_catalog.pg_namespace s_p ON s_p.oid = t_p.relnamespace
     JOIN pg_catalog.pg_class t_c ON t_c.oid = fk.conrelid
     JOIN pg_catalog.pg_namespace s_c ON s_c.oid = t_c.relnamespace
WHERE fk.contype = 'f'

-- case: datatypes
-- source: pgcli/pgexecute.py (datatypes_query)
SELECT n.nspname schema_name, t.typname type_name
FROM pg_catalog.pg_type t INNER JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE (t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type el WHERE el.oid = t.typelem AND el.typarray = t.oid)
  AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema'
ORDER BY 1, 2

-- case: databases
-- source: pgcli/pgexecute.py (databases_query)
-- compare: rows
SELECT d.datname FROM pg_catalog.pg_database d ORDER BY 1

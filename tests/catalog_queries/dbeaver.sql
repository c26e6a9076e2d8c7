-- case: schemas
-- source: plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDatabase.java (schema list)
-- compare: rows
SELECT n.oid IS NOT NULL AS has_oid, n.nspname, d.description
FROM pg_catalog.pg_namespace n
     LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid = n.oid AND d.objsubid = 0 AND d.classoid = 'pg_namespace'::regclass
WHERE n.nspname = 'public'
ORDER BY nspname

-- case: tables
-- source: plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java (TableCache)
-- compare: rows
SELECT c.relname, c.relkind, c.relhasindex, c.relhastriggers, c.relpersistence,
       d.description, pg_catalog.pg_get_userbyid(c.relowner) IS NOT NULL AS owned
FROM pg_catalog.pg_class c
     INNER JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid = c.oid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass
WHERE n.nspname = 'public' AND c.relkind NOT IN ('i', 'I', 'c')
ORDER BY c.relname

-- case: columns
-- source: plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreTableBase.java (attributes)
-- compare: rows
SELECT c.relname, a.attname, a.attnum, a.attnotnull, a.atthasdef,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS fmt, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) AS def_value,
       dsc.description
FROM pg_catalog.pg_attribute a
     INNER JOIN pg_catalog.pg_class c ON a.attrelid = c.oid
     LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
     LEFT OUTER JOIN pg_catalog.pg_description dsc ON c.oid = dsc.objoid AND a.attnum = dsc.objsubid
WHERE NOT a.attisdropped AND a.attnum > 0 AND c.relname IN ('dept', 'emp')
ORDER BY c.relname, a.attnum

-- case: constraints
-- source: plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java (ConstraintCache)
-- compare: rows
SELECT c.conname, c.contype, t.relname AS tabrelname, rt.relname AS reftabrelname,
       pg_catalog.pg_get_constraintdef(c.oid) AS consrc_copy, c.conkey, c.confkey
FROM pg_catalog.pg_constraint c
     INNER JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
     LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid = c.confrelid
WHERE t.relname IN ('dept', 'emp')
ORDER BY c.conname

-- case: indexes
-- source: plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java (IndexCache)
-- compare: rows
SELECT i.indisunique, i.indisprimary, i.indkey, c.relname AS index_name, t.relname AS table_name,
       pg_catalog.pg_get_indexdef(i.indexrelid) AS indexdef, am.amname
FROM pg_catalog.pg_index i
     INNER JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
     INNER JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
     LEFT OUTER JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE t.relname IN ('dept', 'emp')
ORDER BY index_name

-- case: roles
-- source: plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDatabase.java (RoleCache)
SELECT a.oid, a.rolname, a.rolsuper, a.rolcanlogin FROM pg_catalog.pg_roles a ORDER BY a.oid

-- case: settings
-- source: plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDataSource.java (server settings)
SELECT name, setting FROM pg_catalog.pg_settings WHERE name = 'server_version'

-- case: databases
-- source: web/pgadmin/browser/server_groups/servers/databases/templates/databases/sql/default/nodes.sql
SELECT db.oid AS did, db.datname AS name, ta.spcname AS spcname, db.datallowconn,
       pg_catalog.has_database_privilege(db.oid, 'CREATE') AS cancreate, datistemplate
FROM pg_catalog.pg_database db
     LEFT OUTER JOIN pg_catalog.pg_tablespace ta ON db.dattablespace = ta.oid
WHERE db.oid > 0
ORDER BY datname

-- case: schemas
-- source: web/pgadmin/browser/server_groups/servers/databases/schemas/templates/schemas/pg/default/sql/nodes.sql
-- compare: rows
SELECT nsp.nspname AS name, pg_catalog.has_schema_privilege(nsp.oid, 'CREATE') AS can_create,
       pg_catalog.has_schema_privilege(nsp.oid, 'USAGE') AS has_usage,
       pg_catalog.obj_description(nsp.oid, 'pg_namespace') AS description
FROM pg_catalog.pg_namespace nsp
WHERE nsp.nspname NOT LIKE 'pg\_%' AND nsp.nspname <> 'information_schema'
ORDER BY nspname

-- case: tables
-- source: web/pgadmin/browser/server_groups/servers/databases/schemas/tables/templates/tables/sql/default/nodes.sql
-- compare: rows
SELECT rel.relname AS name, (SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgrelid = rel.oid AND tgisinternal = false) AS triggercount,
       (SELECT count(*) FROM pg_catalog.pg_inherits WHERE inhrelid = rel.oid) AS has_inherits,
       pg_catalog.obj_description(rel.oid, 'pg_class') AS description
FROM pg_catalog.pg_class rel
WHERE rel.relkind IN ('r', 't', 'f') AND rel.relnamespace = 'public'::regnamespace
ORDER BY rel.relname

-- case: columns
-- source: web/pgadmin/browser/server_groups/servers/databases/schemas/tables/columns/templates/columns/sql/default/properties.sql
-- compare: rows
SELECT att.attname AS name, att.attnum, pg_catalog.format_type(ty.oid, att.atttypmod) AS displaytypname,
       att.attnotnull, pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS defval,
       pg_catalog.col_description(att.attrelid, att.attnum) AS description,
       CASE WHEN att.attndims > 0 THEN 1 ELSE 0 END AS isarray, ty.typname AS typname,
       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = att.attrelid AND contype = 'f'
               AND att.attnum = ANY(conkey)) AS is_fk,
       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = att.attrelid AND contype = 'p'
               AND att.attnum = ANY(conkey)) AS is_pk
FROM pg_catalog.pg_attribute att
     JOIN pg_catalog.pg_type ty ON ty.oid = atttypid
     LEFT OUTER JOIN pg_catalog.pg_attrdef def ON adrelid = att.attrelid AND adnum = att.attnum
WHERE att.attrelid = 'public.emp'::regclass AND att.attnum > 0 AND att.attisdropped IS FALSE
ORDER BY att.attnum

-- case: indexes
-- source: web/pgadmin/browser/server_groups/servers/databases/schemas/tables/indexes/templates/indexes/sql/default/nodes.sql
-- compare: rows
SELECT DISTINCT ON (cls.relname) cls.relname AS name, indisprimary, indisunique
FROM pg_catalog.pg_index idx
     JOIN pg_catalog.pg_class cls ON cls.oid = indexrelid
     JOIN pg_catalog.pg_class tab ON tab.oid = indrelid
WHERE indrelid = 'public.emp'::regclass
ORDER BY cls.relname

-- case: activity
-- source: web/pgadmin/dashboard/templates/dashboard/sql/default/activity.sql
SELECT pid, datname, usename, application_name, backend_start, state, wait_event_type, wait_event
FROM pg_catalog.pg_stat_activity
WHERE datname = current_database()
ORDER BY pid

-- case: locks
-- source: web/pgadmin/dashboard/templates/dashboard/sql/default/locks.sql
SELECT pid, locktype, datname, relation::regclass, page, tuple, virtualxid AS vxid, transactionid AS xid, mode, granted
FROM pg_catalog.pg_locks l LEFT OUTER JOIN pg_catalog.pg_database d ON (l.database = d.oid)
WHERE d.datname = current_database()
ORDER BY pid, locktype

// The step runner the Node programs share: each step's value or error (with its SQLSTATE),
// printed as one JSON line at the end (see tests/clients/harness.py).
'use strict';

const results = {};

async function step(name, fn) {
  try {
    results[name] = { ok: true, value: await fn() };
  } catch (e) {
    // ORMs wrap the driver's error (Drizzle: cause; Sequelize: parent; TypeORM: driverError).
    const inner = e && (e.cause || e.parent || e.driverError);
    const error = String((e && e.message) || e) + (inner && inner.message ? ` [cause: ${inner.message}]` : '');
    results[name] = { ok: false, error, sqlstate: (e && e.code) || (inner && inner.code) || null };
  }
}

// JSON for values drivers return: bytea as PostgreSQL's hex text, dates as ISO strings.
function replacer(key, value) {
  const raw = this[key];
  if (Buffer.isBuffer(raw)) return '\\x' + raw.toString('hex');
  if (raw instanceof Date) return raw.toISOString();
  if (typeof raw === 'bigint') return raw.toString();
  return value;
}

function print() {
  process.stdout.write(JSON.stringify(results, replacer) + '\n');
}

const [host, port, user, database, table, password] = process.argv.slice(2);

const TYPES_DDL = `create table ${table} (id int4 primary key, b bool, i2 int2, i4 int4, i8 int8,
  f4 float4, f8 float8, n numeric(12,3), s text, v varchar(10), by bytea, d date, tm time,
  ts timestamp, tz timestamptz, u uuid, j jsonb)`;
const TYPES_ROW = [1, true, -32768, 2147483647, '-9223372036854775808', 1.5, -2.25e-300,
  '12345.678', "héllo ☃ 'quoted'", 'varchar', Buffer.from([0, 255, 16, 39]), '2024-02-29',
  '13:14:15.5', '2024-02-29 13:14:15.5', new Date(Date.UTC(2024, 1, 29, 13, 14, 15, 500)),
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', JSON.stringify({ a: [1, 2, null], k: 'v' })];
const TYPES_INSERT = `insert into ${table} values (${TYPES_ROW.map((_, i) => '$' + (i + 1)).join(', ')})`;
const LITERALS_SQL = "select true as b, 7::int2 as i2, 42::int4 as i4, 9000000000::int8 as i8, " +
  "0.5::float4 as f4, 0.25::float8 as f8, 1.500::numeric as n, 'txt'::text as s, " +
  "'\\x0102'::bytea as by, '2000-01-01'::date as d, '2000-01-01 00:00:00'::timestamp as ts, " +
  "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as u, '{\"x\": 1}'::jsonb as j, " +
  "null::int4 as nul";

module.exports = { step, print, host, port: Number(port), user, password, database, table,
  TYPES_DDL, TYPES_ROW, TYPES_INSERT, LITERALS_SQL };

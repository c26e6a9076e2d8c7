// node-postgres (`pg`) with its defaults: simple and extended queries, named prepared
// statements, a Pool, transactions, binary results, COPY through pg-copy-streams.
'use strict';
const pg = require('pg');
const { pipeline } = require('stream/promises');
const { Readable } = require('stream');
const copyFrom = require('pg-copy-streams').from;
const s = require('./steps');

async function main() {
  const config = { host: s.host, port: s.port, user: s.user, password: s.password, database: s.database };
  const client = new pg.Client(config);
  await s.step('connect', async () => {
    await client.connect();
    return (await client.query('select 1 as one')).rows;
  });
  await s.step('params', async () =>
    (await client.query("select $1::int + $2::int as sum, $3 || 'x' as s, $4::text is null as n",
      [40, 2, "it's", null])).rows);
  await s.step('types_text', async () => {
    await client.query(s.TYPES_DDL);
    await client.query(s.TYPES_INSERT, s.TYPES_ROW);
    return (await client.query(`select * from ${s.table}`)).rows;
  });
  await s.step('types_binary', async () =>
    (await client.query({ text: `select * from ${s.table}`, binary: true })).rows);
  await s.step('literals_text', async () => (await client.query(s.LITERALS_SQL)).rows);
  await s.step('literals_binary', async () =>
    (await client.query({ text: s.LITERALS_SQL, binary: true })).rows);
  await s.step('transaction_rollback', async () => {
    await client.query('begin');
    await client.query(`insert into ${s.table} (id) values (2)`);
    await client.query('rollback');
    await client.query('begin');
    await client.query(`insert into ${s.table} (id) values (3)`);
    await client.query('commit');
    return (await client.query(`select id from ${s.table} order by id`)).rows.map((r) => r.id);
  });
  await s.step('error', async () => {
    try {
      await client.query(`select * from ${s.table}_missing`);
    } catch (e) {
      const after = (await client.query('select 2 as two')).rows;
      return { code: e.code, after };
    }
    throw new Error('no error raised');
  });
  await s.step('error_in_transaction', async () => {
    await client.query('begin');
    const codes = [];
    for (const q of ['select 1/0', 'select 1']) {
      try { await client.query(q); } catch (e) { codes.push(e.code); }
    }
    await client.query('rollback');
    return { codes, after: (await client.query('select 3 as three')).rows };
  });
  await s.step('prepared_reuse', async () => {
    const out = [];
    for (let i = 0; i < 6; i++) {
      const r = await client.query({ name: 'double_it', text: 'select $1::int * 2 as v', values: [i] });
      out.push(r.rows[0].v);
    }
    return out;
  });
  await s.step('fields', async () =>
    (await client.query('select 1::int4 as a, \'x\'::text as b, 1.5::numeric(5,2) as c')).fields
      .map((f) => [f.name, f.dataTypeID]));
  await s.step('copy_from', async () => {
    await client.query(`create table ${s.table}_copy (id int, name text)`);
    const stream = client.query(copyFrom(`copy ${s.table}_copy from stdin`));
    await pipeline(Readable.from(['1\tone\n', '2\ttwo\n']), stream);
    return (await client.query(`select count(*)::int as n from ${s.table}_copy`)).rows;
  });
  await s.step('notify', async () => {
    // A second session listens; notifications arrive as 'notification' events while idle.
    const listener = new pg.Client(config);
    await listener.connect();
    try {
      const got = [];
      let wake = () => {};
      listener.on('notification', (m) => {
        got.push([m.channel, m.payload, m.processId === client.processID]);
        wake();
      });
      await listener.query('LISTEN node_ch');
      await client.query("NOTIFY node_ch, 'simple'");
      await client.query('select pg_notify($1, $2)', ['node_ch', 'param']);
      await client.query('begin');
      await client.query("NOTIFY node_ch, 'tx'");
      await client.query("NOTIFY node_ch, 'tx'");
      await client.query('commit');
      await client.query('begin');
      await client.query("NOTIFY node_ch, 'rolled back'");
      await client.query('rollback');
      await client.query("NOTIFY node_ch, 'last'");
      const deadline = Date.now() + 5000;
      while (got.length < 4 && Date.now() < deadline) {
        await new Promise((resolve) => { wake = resolve; setTimeout(resolve, 100); });
      }
      const channels = (await listener.query('select pg_listening_channels() as c')).rows;
      return { got, channels };
    } finally {
      await listener.end();
    }
  });
  await client.end();

  const pool = new pg.Pool({ ...config, max: 3 });
  await s.step('pool', async () => {
    const rs = await Promise.all([...Array(8).keys()].map((i) => pool.query('select $1::int as i', [i])));
    const c = await pool.connect();
    try {
      await c.query('begin');
      await c.query(`insert into ${s.table} (id) values (10)`);
      await c.query('commit');
    } finally { c.release(); }
    return rs.map((r) => r.rows[0].i);
  });
  await pool.end();
}

main().catch((e) => s.step('fatal', () => { throw e; })).finally(() => { s.print(); process.exit(0); });

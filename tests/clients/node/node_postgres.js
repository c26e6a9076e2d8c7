// postgres (porsager/postgres.js) with its defaults: tagged-template queries (named
// prepared statements, reused), typed parameters, sql.begin transactions, describe().
'use strict';
const postgres = require('postgres');
const s = require('./steps');

async function main() {
  const sql = postgres({ host: s.host, port: s.port, user: s.user, password: s.password, database: s.database,
    connect_timeout: 10, onnotice: () => {} });
  await s.step('connect', async () => [...await sql`select 1 as one`]);
  await s.step('params', async () =>
    [...await sql`select ${40}::int + ${2}::int as sum, ${"it's"} || 'x' as s, ${null}::text is null as n`]);
  await s.step('types', async () => {
    await sql.unsafe(s.TYPES_DDL);
    await sql.unsafe(s.TYPES_INSERT, s.TYPES_ROW);
    return [...await sql`select * from ${sql(s.table)}`];
  });
  await s.step('literals', async () => [...await sql.unsafe(s.LITERALS_SQL)]);
  await s.step('transaction_rollback', async () => {
    try {
      await sql.begin(async (tx) => {
        await tx`insert into ${tx(s.table)} (id) values (2)`;
        throw new Error('roll back');
      });
    } catch (e) {
      if (e.message !== 'roll back') throw e;
    }
    await sql.begin(async (tx) => { await tx`insert into ${tx(s.table)} (id) values (3)`; });
    return (await sql`select id from ${sql(s.table)} order by id`).map((r) => r.id);
  });
  await s.step('error', async () => {
    try {
      await sql`select * from ${sql(s.table + '_missing')}`;
    } catch (e) {
      return { code: e.code, after: [...await sql`select 2 as two`] };
    }
    throw new Error('no error raised');
  });
  await s.step('prepared_reuse', async () => {
    const out = [];
    for (let i = 0; i < 6; i++) out.push((await sql`select ${i}::int * 2 as v`)[0].v);
    return out;
  });
  await s.step('describe', async () => {
    const d = await sql`select ${1}::int4 as a, 'x'::text as b`.describe();
    return { types: d.types, columns: d.columns.map((c) => [c.name, c.type]) };
  });
  await s.step('concurrent', async () =>
    (await Promise.all([...Array(6).keys()].map((i) => sql`select ${i}::int as i`))).map((r) => r[0].i));
  await sql.end({ timeout: 5 });
}

main().catch((e) => s.step('fatal', () => { throw e; })).finally(() => { s.print(); process.exit(0); });

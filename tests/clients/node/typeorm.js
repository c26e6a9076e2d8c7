// TypeORM on node-postgres with its defaults: a DataSource whose synchronize builds the
// schema from two EntitySchemas (plain JavaScript, no decorators) after reading the
// catalog, the repository API (save with defaults and RETURNING, bulk save, find with
// relations, update, delete), the query builder, transactions with a rollback, and the
// QueryRunner's introspection (getTable).
'use strict';
require('reflect-metadata');
const { DataSource, EntitySchema } = require('typeorm');
const s = require('./steps');

const Author = new EntitySchema({
  name: 'Author',
  tableName: `${s.table}_author`,
  columns: {
    id: { type: 'int', primary: true, generated: true },
    name: { type: 'varchar', length: 40, unique: true },
    rating: { type: 'int', default: 3 },
    active: { type: 'boolean', default: true },
    meta: { type: 'jsonb', nullable: true },
    created: { type: 'timestamptz', createDate: true },
  },
  relations: { books: { type: 'one-to-many', target: 'Book', inverseSide: 'author' } },
});
const Book = new EntitySchema({
  name: 'Book',
  tableName: `${s.table}_book`,
  columns: {
    id: { type: 'int', primary: true, generated: true },
    title: { type: 'text' },
    price: { type: 'numeric', precision: 8, scale: 2, nullable: true },
  },
  relations: { author: { type: 'many-to-one', target: 'Author', joinColumn: true, onDelete: 'CASCADE' } },
});

async function main() {
  const ds = new DataSource({
    type: 'postgres', host: s.host, port: s.port, username: s.user, password: s.password,
    database: s.database, entities: [Author, Book], synchronize: false, logging: false,
  });
  await s.step('connect', async () => {
    await ds.initialize();
    return ds.query('select 1 as one');
  });
  await s.step('synchronize', async () => {
    await ds.synchronize();
    await ds.synchronize(); // nothing left to change: the catalog reads back what it made
    return true;
  });
  const authors = ds.getRepository('Author');
  const books = ds.getRepository('Book');
  await s.step('save_defaults_returning', async () => {
    const ann = await authors.save({ name: 'Ann', meta: { tags: ['x'] } });
    return { id: ann.id, rating: ann.rating, active: ann.active, created: ann.created instanceof Date };
  });
  await s.step('bulk_save', async () => {
    const made = await authors.save([{ name: 'Bob', rating: 5 }, { name: 'Cy' }, { name: 'Di', active: false }]);
    await books.save([{ title: 'One', price: '10.50', author: { id: 1 } }, { title: 'Two', author: made[0] }]);
    return made.map((a) => [a.id, a.name, a.rating, a.active]);
  });
  await s.step('find', async () => {
    const active = await authors.find({ where: { active: true }, order: { name: 'DESC' }, select: { name: true, rating: true } });
    const withBooks = await books.find({ relations: { author: true }, order: { title: 'ASC' } });
    const ann = await authors.findOneBy({ name: 'Ann' });
    return { active: active.map((a) => [a.name, a.rating]), books: withBooks.map((b) => [b.title, b.price, b.author.name]),
      meta: ann.meta, count: await authors.count() };
  });
  await s.step('update', async () => {
    const r = await authors.update({ name: 'Cy' }, { rating: 9 });
    await authors.increment({ name: 'Di' }, 'rating', 2);
    const q = await ds.createQueryBuilder().update('Author').set({ active: false }).where('rating > :r', { r: 4 }).execute();
    return [r.affected, q.affected, (await authors.find({ order: { id: 'ASC' } })).map((a) => [a.name, a.rating, a.active])];
  });
  await s.step('delete', async () => {
    const r = await authors.delete({ name: 'Bob' });
    return [r.affected, await books.count()];
  });
  await s.step('transactions', async () => {
    await ds.transaction(async (m) => { await m.save('Author', { name: 'Kept' }); });
    try {
      await ds.transaction(async (m) => { await m.save('Author', { name: 'Gone' }); throw new Error('roll back'); });
    } catch (e) { if (e.message !== 'roll back') throw e; }
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    await qr.manager.save('Author', { name: 'Undone' });
    await qr.rollbackTransaction();
    await qr.release();
    return (await authors.find({ order: { id: 'ASC' } })).map((a) => a.name);
  });
  await s.step('unique_violation', async () => {
    try { await authors.insert({ name: 'Ann' }); } catch (e) { return [e.constructor.name, e.driverError && e.driverError.code]; }
    throw new Error('duplicate accepted');
  });
  await s.step('query_builder', async () =>
    ds.createQueryBuilder('Author', 'a').leftJoin('a.books', 'b').select('a.name', 'name')
      .addSelect('count(b.id)::int', 'books').groupBy('a.name').orderBy('a.name').getRawMany());
  await s.step('introspection', async () => {
    const qr = ds.createQueryRunner();
    const table = await qr.getTable(`${s.table}_author`);
    await qr.release();
    return { columns: table.columns.map((c) => [c.name, c.type, c.isNullable, c.isPrimary, c.isGenerated]),
      uniques: table.uniques.map((u) => u.columnNames), hasTable: await ds.createQueryRunner().hasTable(`${s.table}_book`) };
  });
  await ds.destroy();
}

main().catch((e) => s.step('fatal', () => { throw e; })).finally(() => { s.print(); process.exit(0); });

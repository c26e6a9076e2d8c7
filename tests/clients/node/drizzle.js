// Drizzle ORM on node-postgres with its defaults: the migrator applies a migration in
// drizzle-kit's format (drizzle/: journal and SQL, as `drizzle-kit generate` writes them),
// then inserts with defaults and RETURNING (drizzle sends `default` for every unset
// column), bulk inserts, a join, update / delete with RETURNING, transactions with a
// rollback, a jsonb column, and introspection through information_schema.
'use strict';
const path = require('path');
const { Pool } = require('pg');
const { drizzle } = require('drizzle-orm/node-postgres');
const { migrate } = require('drizzle-orm/node-postgres/migrator');
const { pgTable, serial, text, varchar, integer, jsonb, timestamp, boolean } = require('drizzle-orm/pg-core');
const { eq, gt, asc, desc, sql, count, inArray } = require('drizzle-orm');
const s = require('./steps');

const author = pgTable('drizzle_author', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  email: varchar('email', { length: 100 }).unique(),
  score: integer('score').notNull().default(0),
  profile: jsonb('profile'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
const post = pgTable('drizzle_post', {
  id: serial('id').primaryKey(),
  title: text('title').notNull(),
  authorId: integer('author_id').notNull().references(() => author.id, { onDelete: 'cascade' }),
  published: boolean('published').notNull().default(false),
});

async function main() {
  const pool = new Pool({ host: s.host, port: s.port, user: s.user, password: s.password, database: s.database });
  const db = drizzle(pool);

  await s.step('migrate', async () => {
    await migrate(db, { migrationsFolder: path.join(__dirname, 'drizzle') });
    await migrate(db, { migrationsFolder: path.join(__dirname, 'drizzle') }); // applied once
    const applied = await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    return applied.rows;
  });
  await s.step('insert_defaults_returning', async () => {
    const [ann] = await db.insert(author).values({ name: 'Ann', profile: { tags: ['a'], n: 1 } }).returning();
    return { id: ann.id, name: ann.name, email: ann.email, score: ann.score, profile: ann.profile,
      createdAt: ann.createdAt instanceof Date };
  });
  await s.step('bulk_insert_returning', async () => {
    const ids = await db.insert(author).values([
      { name: 'Bob', email: 'bob@x', score: 5 }, { name: 'Cy' }, { name: 'Di', score: 2 },
    ]).returning({ id: author.id, score: author.score });
    await db.insert(post).values([{ title: 'One', authorId: 1 }, { title: 'Two', authorId: ids[0].id, published: true },
      { title: 'Three', authorId: 1 }]);
    return ids;
  });
  await s.step('select', async () => {
    const rows = await db.select({ name: author.name, score: author.score }).from(author)
      .where(gt(author.score, 0)).orderBy(desc(author.score));
    const joined = await db.select({ title: post.title, by: author.name }).from(post)
      .innerJoin(author, eq(post.authorId, author.id)).orderBy(asc(post.title)).limit(2);
    const [{ n }] = await db.select({ n: count() }).from(post).where(eq(post.published, false));
    const [json] = await db.select({ profile: author.profile }).from(author).where(eq(author.name, 'Ann'));
    return { rows, joined, n, profile: json.profile };
  });
  await s.step('update_returning', async () =>
    db.update(author).set({ score: sql`${author.score} + 10` }).where(inArray(author.name, ['Cy', 'Di']))
      .returning({ name: author.name, score: author.score }).then((rs) => rs.sort((a, b) => a.name.localeCompare(b.name))));
  await s.step('delete_returning', async () => {
    const gone = await db.delete(author).where(eq(author.name, 'Bob')).returning({ name: author.name });
    const posts = await db.select({ title: post.title }).from(post).orderBy(asc(post.id));
    return { gone, posts };
  });
  await s.step('transactions', async () => {
    await db.transaction(async (tx) => { await tx.insert(author).values({ name: 'Kept' }); });
    try {
      await db.transaction(async (tx) => {
        await tx.insert(author).values({ name: 'Gone' });
        tx.rollback();
      });
    } catch (e) { if (e.constructor.name !== 'TransactionRollbackError') throw e; }
    await db.transaction(async (tx) => {
      await tx.insert(author).values({ name: 'Outer' });
      try {
        await tx.transaction(async (sp) => { await sp.insert(author).values({ name: 'Inner' }); sp.rollback(); });
      } catch (e) { if (e.constructor.name !== 'TransactionRollbackError') throw e; }
    });
    return (await db.select({ name: author.name }).from(author).orderBy(asc(author.id))).map((r) => r.name);
  });
  await s.step('unique_violation', async () => {
    try {
      await db.insert(author).values({ name: 'Bob2', email: 'dup@x' });
      await db.insert(author).values({ name: 'Bob3', email: 'dup@x' });
    } catch (e) {
      const cause = e.cause || e;
      return cause.code;
    }
    throw new Error('duplicate accepted');
  });
  await s.step('introspection', async () => {
    const r = await db.execute(sql`select column_name, data_type, is_nullable, column_default is not null as has_default
      from information_schema.columns where table_name = 'drizzle_author' order by ordinal_position`);
    return r.rows;
  });
  await pool.end();
}

main().catch((e) => s.step('fatal', () => { throw e; })).finally(() => { s.print(); process.exit(0); });

// Sequelize 6 (postgres dialect on node-postgres) with its defaults: sync() creates the
// tables, create / bulkCreate insert with defaults and RETURNING, finders, update, destroy,
// managed and unmanaged transactions, queryInterface introspection.
'use strict';
const { Sequelize, DataTypes, Op } = require('sequelize');
const s = require('./steps');

async function main() {
  const sequelize = new Sequelize(s.database, s.user, s.password, {
    host: s.host, port: s.port, dialect: 'postgres', logging: false,
  });
  const Author = sequelize.define('Author', {
    name: { type: DataTypes.STRING(40), allowNull: false, unique: true },
    rating: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 3 },
    active: { type: DataTypes.BOOLEAN, defaultValue: true },
    meta: DataTypes.JSONB,
  }, { tableName: `${s.table}_author` });
  const Book = sequelize.define('Book', {
    title: { type: DataTypes.STRING, allowNull: false },
    price: DataTypes.DECIMAL(8, 2),
  }, { tableName: `${s.table}_book` });
  Author.hasMany(Book);
  Book.belongsTo(Author);
  const plain = (rows) => rows.map((r) => r.get({ plain: true }));
  const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, o[k]]));

  await s.step('connect', async () => {
    await sequelize.authenticate();
    return (await sequelize.query('select 1 + 1 as two', { type: 'SELECT' }));
  });
  await s.step('sync', async () => {
    await sequelize.sync();
    return true;
  });
  await s.step('create_returning', async () => {
    const ann = await Author.create({ name: 'Ann', meta: { tags: ['x'] } });
    const row = ann.get({ plain: true });
    return { ...pick(row, ['id', 'name', 'rating', 'active', 'meta']),
      timestamps: row.createdAt instanceof Date && row.updatedAt instanceof Date };
  });
  await s.step('bulk_create', async () => {
    const made = await Author.bulkCreate([{ name: 'Bob', rating: 5 }, { name: 'Cy' }, { name: 'Di', active: false }]);
    const ann = await Author.findOne({ where: { name: 'Ann' } });
    await Book.bulkCreate([{ title: 'One', price: '10.50', AuthorId: ann.id },
      { title: 'Two', price: '3.25', AuthorId: made[0].id }]);
    return made.map((a) => pick(a.get({ plain: true }), ['id', 'name', 'rating', 'active']));
  });
  await s.step('find', async () => {
    const rows = await Author.findAll({ where: { rating: { [Op.gte]: 3 }, active: true },
      order: [['name', 'DESC']], attributes: ['name', 'rating'] });
    const books = await Book.findAll({ include: Author, order: [['title', 'ASC']] });
    return { authors: plain(rows), books: books.map((b) => [b.title, b.price, b.Author.name]),
      count: await Author.count(), max: await Author.max('rating') };
  });
  await s.step('update', async () => {
    const [n] = await Author.update({ rating: 1 }, { where: { name: { [Op.in]: ['Cy', 'Di'] } } });
    const cy = await Author.findOne({ where: { name: 'Cy' } });
    await cy.increment('rating', { by: 2 });
    await cy.reload();
    return [n, cy.rating];
  });
  await s.step('destroy', async () => {
    const n = await Author.destroy({ where: { name: 'Di' } });
    return [n, await Author.count()];
  });
  await s.step('transactions', async () => {
    await sequelize.transaction(async (t) => { await Author.create({ name: 'Kept' }, { transaction: t }); });
    try {
      await sequelize.transaction(async (t) => {
        await Author.create({ name: 'Gone' }, { transaction: t });
        throw new Error('roll back');
      });
    } catch (e) { /* expected */ }
    const t = await sequelize.transaction();
    await Author.create({ name: 'Undone' }, { transaction: t });
    await t.rollback();
    return (await Author.findAll({ attributes: ['name'], order: [['id', 'ASC']] })).map((a) => a.name);
  });
  await s.step('unique_violation', async () => {
    try {
      await Author.create({ name: 'Ann' });
    } catch (e) {
      return [e.name, e.parent && e.parent.code];
    }
    throw new Error('duplicate accepted');
  });
  await s.step('describe_table', async () => {
    const cols = await sequelize.getQueryInterface().describeTable(`${s.table}_author`);
    return Object.fromEntries(Object.entries(cols).map(([k, c]) => [k, [c.type, c.allowNull, c.primaryKey]]));
  });
  await s.step('raw_query_replacements', async () =>
    sequelize.query(`select name from "${s.table}_author" where rating > :r order by name`,
      { replacements: { r: 2 }, type: 'SELECT' }));
  await sequelize.close();
}

main().catch((e) => s.step('fatal', () => { throw e; })).finally(() => { s.print(); process.exit(0); });

# ruby-pg (Debian's ruby-pg) with its defaults: exec, exec_params with text and binary
# results, prepare/exec_prepared, transactions, errors, and BasicTypeMapForResults (the
# type decoding users turn on, built from pg_type). One JSON line (tests/clients/harness.py).
require 'json'
require 'pg'

host, port, user, dbname, table, password = ARGV
results = {}
step = lambda do |name, &blk|
  results[name] = { ok: true, value: blk.call }
rescue StandardError => e
  state = e.respond_to?(:result) && e.result ? e.result.error_field(PG::PG_DIAG_SQLSTATE) : nil
  results[name] = { ok: false, error: e.message, sqlstate: state }
end
# Binary values as their bytes in hex: what PostgreSQL's *_send wrote.
hexify = ->(v) { v.nil? ? nil : v.unpack1('H*') }
conn = nil

step.call('connect') do
  conn = PG.connect(host: host, port: port, user: user, password: password, dbname: dbname, connect_timeout: 10)
  conn.exec('select 1').values
end
step.call('params') do
  conn.exec_params("select $1::int + $2::int, $3 || 'x', $4::text is null", [40, 2, "it's", nil]).values
end
step.call('types_insert') do
  conn.exec("create table #{table} (id int4 primary key, b bool, i2 int2, i4 int4, i8 int8, f4 float4, " \
            'f8 float8, n numeric(12,3), s text, v varchar(10), by bytea, d date, tm time, ts timestamp, ' \
            'tz timestamptz, u uuid, j jsonb)')
  params = [1, 't', -32768, 2147483647, -9223372036854775808, 1.5, -2.25e-300, '12345.678',
            "héllo ☃ 'quoted'", 'varchar', { value: "\x00\xff\x10'".b, format: 1 }, '2024-02-29',
            '13:14:15.5', '2024-02-29 13:14:15.5', '2024-02-29 13:14:15.5+00',
            'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2, null], "k": "v"}']
  marks = (1..params.size).map { |i| "$#{i}" }.join(', ')
  conn.exec_params("insert into #{table} values (#{marks})", params).cmd_tuples
end
step.call('types_text') { conn.exec_params("select * from #{table}", [], 0).values }
step.call('types_binary') { conn.exec_params("select * from #{table}", [], 1).values.map { |r| r.map(&hexify) } }
step.call('transaction_rollback') do
  begin
    conn.transaction do |c|
      c.exec("insert into #{table} (id) values (2)")
      raise 'roll back'
    end
  rescue RuntimeError
    nil
  end
  conn.transaction { |c| c.exec("insert into #{table} (id) values (3)") }
  conn.exec("select id from #{table} order by id").column_values(0)
end
step.call('error') do
  begin
    conn.exec("select * from #{table}_missing")
    raise 'no error raised'
  rescue PG::UndefinedTable => e
    { sqlstate: e.result.error_field(PG::PG_DIAG_SQLSTATE), cls: e.class.name, after: conn.exec('select 2').values }
  end
end
step.call('prepared_reuse') do
  conn.prepare('double_it', 'select $1::int * 2')
  desc = conn.describe_prepared('double_it')
  [desc.nparams, desc.paramtype(0)] + (0...6).map { |i| conn.exec_prepared('double_it', [i]).getvalue(0, 0) }
end
step.call('fields') do
  r = conn.exec('select 1::int4 as a, \'x\'::text as b, 1.5::numeric(5,2) as c')
  r.fields.each_with_index.map { |f, i| [f, r.ftype(i), r.fmod(i)] }
end
step.call('basic_type_map') do
  conn.type_map_for_results = PG::BasicTypeMapForResults.new(conn)
  conn.exec("select i4, f8, b, d from #{table} where id = 1").values.map { |r| r.map(&:to_s) }
end
puts JSON.generate(results)

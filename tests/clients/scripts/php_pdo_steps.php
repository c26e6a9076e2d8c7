<?php
// PHP PDO pgsql (Debian's php-pgsql) with its defaults (PHP 8: ERRMODE_EXCEPTION, native
// server-side prepares): query, prepare/execute with bound values, transactions, errors,
// getColumnMeta. One JSON line (tests/clients/harness.py).
[$host, $port, $user, $dbname, $table, $password] = array_slice($argv, 1);
$results = [];
function step(string $name, callable $fn): void {
    global $results;
    try {
        $results[$name] = ['ok' => true, 'value' => $fn()];
    } catch (Throwable $e) {
        $results[$name] = ['ok' => false, 'error' => $e->getMessage(),
            'sqlstate' => $e instanceof PDOException ? $e->getCode() : null];
    }
}
$db = null;
step('connect', function () use (&$db, $host, $port, $user, $dbname, $password) {
    $db = new PDO("pgsql:host=$host;port=$port;dbname=$dbname;connect_timeout=10", $user, $password);
    return $db->query('select 1')->fetchAll(PDO::FETCH_NUM);
});
step('params', function () use (&$db) {
    $st = $db->prepare("select ?::int + ?::int, ? || 'x', ?::text is null");
    $st->execute([40, 2, "it's", null]);
    return $st->fetchAll(PDO::FETCH_NUM);
});
step('types_insert', function () use (&$db, $table) {
    $db->exec("create table $table (id int4 primary key, b bool, i2 int2, i4 int4, i8 int8, f4 float4, "
        . "f8 float8, n numeric(12,3), s text, v varchar(10), by bytea, d date, tm time, ts timestamp, "
        . "tz timestamptz, u uuid, j jsonb)");
    $st = $db->prepare("insert into $table values (:id, :b, :i2, :i4, :i8, :f4, :f8, :n, :s, :v, :by, :d, "
        . ":tm, :ts, :tz, :u, :j)");
    $st->bindValue(':id', 1, PDO::PARAM_INT);
    $st->bindValue(':b', true, PDO::PARAM_BOOL);
    $st->bindValue(':i2', -32768, PDO::PARAM_INT);
    $st->bindValue(':i4', 2147483647, PDO::PARAM_INT);
    $st->bindValue(':i8', PHP_INT_MIN, PDO::PARAM_INT);
    $st->bindValue(':f4', '1.5');
    $st->bindValue(':f8', '-2.25e-300');
    $st->bindValue(':n', '12345.678');
    $st->bindValue(':s', "héllo ☃ 'quoted'");
    $st->bindValue(':v', 'varchar');
    $st->bindValue(':by', "\x00\xff\x10'", PDO::PARAM_LOB);
    $st->bindValue(':d', '2024-02-29');
    $st->bindValue(':tm', '13:14:15.5');
    $st->bindValue(':ts', '2024-02-29 13:14:15.5');
    $st->bindValue(':tz', '2024-02-29 13:14:15.5+00');
    $st->bindValue(':u', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    $st->bindValue(':j', '{"a": [1, 2, null], "k": "v"}');
    $st->execute();
    return $st->rowCount();
});
step('types_text', function () use (&$db, $table) {
    $row = $db->query("select * from $table")->fetch(PDO::FETCH_NUM);
    // bytea comes back as a stream.
    $row[10] = '\\x' . bin2hex(stream_get_contents($row[10]));
    return [$row];
});
step('transaction_rollback', function () use (&$db, $table) {
    $db->beginTransaction();
    $db->exec("insert into $table (id) values (2)");
    $db->rollBack();
    $db->beginTransaction();
    $db->exec("insert into $table (id) values (3)");
    $db->commit();
    return $db->query("select id from $table order by id")->fetchAll(PDO::FETCH_COLUMN);
});
step('error', function () use (&$db, $table) {
    try {
        $db->query("select * from {$table}_missing");
    } catch (PDOException $e) {
        return ['sqlstate' => $e->getCode(), 'after' => $db->query('select 2')->fetchAll(PDO::FETCH_NUM)];
    }
    throw new Exception('no error raised');
});
step('prepared_reuse', function () use (&$db) {
    $st = $db->prepare('select ?::int * 2');
    $out = [];
    for ($i = 0; $i < 6; $i++) {
        $st->execute([$i]);
        $out[] = $st->fetchColumn();
    }
    return $out;
});
step('column_meta', function () use (&$db) {
    $st = $db->query("select 1::int4 as a, 'x'::text as b");
    return [$st->getColumnMeta(0)['native_type'], $st->getColumnMeta(1)['native_type']];
});
echo json_encode($results, JSON_UNESCAPED_UNICODE), "\n";

# Perl DBI + DBD::Pg (Debian's libdbd-pg-perl) with its defaults (server-side prepares,
# AutoCommit on) plus RaiseError, as DBI scripts are written: do, prepare/execute,
# placeholders, transactions, errors with state(), table_info/column_info.
# One JSON line (tests/clients/harness.py).
use strict;
use warnings;
use DBI;
use JSON::PP;

my ($host, $port, $user, $dbname, $table, $password) = @ARGV;
my %results;
my $dbh;
sub step {
    my ($name, $fn) = @_;
    my $v = eval { $fn->() };
    if ($@) {
        $results{$name} = { ok => JSON::PP::false, error => "$@", sqlstate => ($dbh ? $dbh->state : undef) };
    } else {
        $results{$name} = { ok => JSON::PP::true, value => $v };
    }
}
step('connect', sub {
    $dbh = DBI->connect("dbi:Pg:host=$host;port=$port;dbname=$dbname;connect_timeout=10", $user, $password,
        { RaiseError => 1, PrintError => 0, AutoCommit => 1, pg_enable_utf8 => 1 });
    $dbh->selectall_arrayref('select 1');
});
step('params', sub {
    $dbh->selectall_arrayref("select ?::int + ?::int, ? || 'x', ?::text is null", undef, 40, 2, "it's", undef);
});
step('types_insert', sub {
    $dbh->do("create table $table (id int4 primary key, b bool, i2 int2, i4 int4, i8 int8, f4 float4, "
        . "f8 float8, n numeric(12,3), s text, v varchar(10), by bytea, d date, tm time, ts timestamp, "
        . "tz timestamptz, u uuid, j jsonb)");
    my $sth = $dbh->prepare("insert into $table values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    $sth->bind_param(11, undef, { pg_type => DBD::Pg::PG_BYTEA() });
    $sth->execute(1, 1, -32768, 2147483647, '-9223372036854775808', 1.5, '-2.25e-300', '12345.678',
        "h\x{e9}llo \x{2603} 'quoted'", 'varchar', "\x00\xff\x10'", '2024-02-29', '13:14:15.5',
        '2024-02-29 13:14:15.5', '2024-02-29 13:14:15.5+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{"a": [1, 2, null], "k": "v"}') + 0;
});
step('types_text', sub {
    my $rows = $dbh->selectall_arrayref("select * from $table");
    $rows->[0][10] = '\\x' . unpack('H*', $rows->[0][10]);
    $rows;
});
step('transaction_rollback', sub {
    $dbh->begin_work;
    $dbh->do("insert into $table (id) values (2)");
    $dbh->rollback;
    $dbh->begin_work;
    $dbh->do("insert into $table (id) values (3)");
    $dbh->commit;
    $dbh->selectcol_arrayref("select id from $table order by id");
});
step('error', sub {
    eval { $dbh->selectall_arrayref("select * from ${table}_missing") };
    die "no error raised" unless $@;
    my $state = $dbh->state;
    { sqlstate => $state, after => $dbh->selectall_arrayref('select 2') };
});
step('prepared_reuse', sub {
    my $sth = $dbh->prepare('select ?::int * 2');
    my @out = ($sth->{pg_server_prepare} ? 1 : 0);
    for my $i (0 .. 5) { $sth->execute($i); push @out, ($sth->fetchrow_array)[0] + 0; }
    \@out;
});
step('statement_types', sub {
    my $sth = $dbh->prepare("select 1::int4 as a, 'x'::text as b");
    $sth->execute;
    my $r = [ $sth->{NAME}, $sth->{pg_type} ];
    $sth->finish;
    $r;
});
step('table_info', sub {
    my $t = $dbh->table_info(undef, undef, $table, 'TABLE')->fetchall_arrayref({});
    my $c = $dbh->column_info(undef, undef, $table, 'i%')->fetchall_arrayref({});
    [ (map { $_->{TABLE_NAME} } @$t), (map { [ $_->{COLUMN_NAME}, $_->{TYPE_NAME} ] } @$c) ];
});
print JSON::PP->new->canonical->utf8->encode(\%results), "\n";

// node-postgres (pg) over TLS: one connection, sslmode-like `mode` (require: encrypt
// without checking the certificate; verify-full: check it against `ca` and the host
// name), SCRAM with or without channel binding (enableChannelBinding), one query.
// Prints {ok, value, mechanism} or {ok: false, error, code}.
// Usage: node pg_tls.js host port user password database mode ca bind(0|1) [name]
// `name`: check the certificate against this host name instead of `host`.
'use strict';
const fs = require('fs');
const { Client } = require('pg');

const [host, port, user, password, database, mode, ca, bind, name] = process.argv.slice(2);

async function main() {
  const ssl = mode === 'verify-full' ? { ca: fs.readFileSync(ca), rejectUnauthorized: true } : { rejectUnauthorized: false };
  // tls.connect checks the certificate against `servername`, else `host` (pg passes ssl options through).
  if (name) ssl.host = name;
  const client = new Client({ host, port: Number(port), user, password, database, ssl,
    enableChannelBinding: bind === '1', connectionTimeoutMillis: 10000 });
  // The SASL mechanism the client chose, seen on its way out.
  let mechanism = null;
  const send = client.connection.sendSASLInitialResponseMessage.bind(client.connection);
  client.connection.sendSASLInitialResponseMessage = (mech, response) => { mechanism = mech; return send(mech, response); };
  await client.connect();
  try {
    const res = await client.query('select 40 + 2 as v');
    return { ok: true, value: res.rows[0].v, mechanism, encrypted: Boolean(client.connection.stream.encrypted) };
  } finally {
    await client.end();
  }
}

main()
  .then((r) => process.stdout.write(JSON.stringify(r) + '\n'))
  .catch((e) => process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.message), code: (e && e.code) || null }) + '\n'))
  .finally(() => process.exit(0));

"""Manage the users file of ``--users-file``: ``python -m iris_pgwire.users``.

    python -m iris_pgwire.users add NAME [--password-stdin] [--file PATH]
    python -m iris_pgwire.users remove NAME [--file PATH]
    python -m iris_pgwire.users list [--file PATH]
    python -m iris_pgwire.users import FILE|- [--file PATH]   (name:password lines; progress on stderr)

Each line is ``name:verifier`` with PostgreSQL's SCRAM-SHA-256 verifier
(``SCRAM-SHA-256$4096:salt$StoredKey:ServerKey``, as in ``pg_authid.rolpassword``),
so hashes exported from PostgreSQL can be pasted in. Verifiers come from the server's
own code (``_core.scram_verifier``: SASLprep, then PBKDF2), so non-ASCII passwords get
the verifier PostgreSQL would store. Only verifiers are stored, never passwords. The
server re-reads the file on SIGHUP.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tempfile
from typing import Optional

from iris_pgwire._core import scram_verifier
from iris_pgwire.progress import Progress

DEFAULT_FILE = os.environ.get("IRIS_PGWIRE_USERS_FILE", "iris_pgwire_users")


def read(path: str) -> list[tuple[str, str]]:
    """(name, verifier) pairs in file order; comments and blank lines dropped."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            name, verifier = line.split(":", 1)
            entries.append((name, verifier))
    return entries


def write(path: str, entries: list[tuple[str, str]]) -> None:
    """Replace the file atomically, readable by its owner only (it holds verifiers)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".users-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("# iris-pgwire users: name:SCRAM-SHA-256 verifier (python -m iris_pgwire.users)\n")
            for name, verifier in entries:
                f.write(f"{name}:{verifier}\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            raise SystemExit("passwords differ")
    if not password:
        raise SystemExit("empty password")
    return password


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m iris_pgwire.users", description="Manage the gateway's users file.")
    p.add_argument("--file", default=DEFAULT_FILE, help=f"users file (default: {DEFAULT_FILE}; env IRIS_PGWIRE_USERS_FILE)")
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add a user or change its password")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    remove = sub.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    sub.add_parser("list", help="list user names")
    imp = sub.add_parser("import", help="add or update users from name:password lines (a file, or - for stdin)")
    imp.add_argument("source", help="file of name:password lines ('#' comments and blank lines ignored)")
    for sp in sub.choices.values():
        sp.add_argument("--file", default=argparse.SUPPRESS, help="users file")
    ns = p.parse_args(argv)

    entries = read(ns.file)
    if ns.command == "list":
        for name, _ in entries:
            print(name)
        return 0
    if ns.command == "import":
        return _import(ns.file, ns.source, entries)
    if ":" in ns.name or not ns.name.strip() or ns.name != ns.name.strip():
        print(f"invalid user name {ns.name!r}: no ':' and no surrounding spaces", file=sys.stderr)
        return 2
    if ns.command == "add":
        verifier = scram_verifier(_password(ns.password_stdin))
        existed = any(n == ns.name for n, _ in entries)
        entries = [(n, verifier if n == ns.name else v) for n, v in entries]
        if not existed:
            entries.append((ns.name, verifier))
        write(ns.file, entries)
        print(f"{'updated' if existed else 'added'} {ns.name} in {ns.file} (send the server SIGHUP to reload)")
        return 0
    kept = [(n, v) for n, v in entries if n != ns.name]
    if len(kept) == len(entries):
        print(f"no user {ns.name} in {ns.file}", file=sys.stderr)
        return 1
    write(ns.file, kept)
    print(f"removed {ns.name} from {ns.file} (send the server SIGHUP to reload)")
    return 0


def _import(path: str, source: str, entries: list[tuple[str, str]]) -> int:
    """Hash each password (SCRAM-SHA-256, 4096 iterations: thousands of users take a
    while, hence the progress display) and write the file once at the end."""
    try:
        text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    except OSError as e:
        print(f"cannot read {source}: {e.strerror}", file=sys.stderr)
        return 2
    pairs = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, password = line.partition(":")
        if not sep or not name.strip() or name != name.strip() or not password:
            print(f"{source}:{n}: expected name:password", file=sys.stderr)
            return 2
        pairs.append((name, password))
    verifiers = dict(entries)
    added = 0
    with Progress("hashing passwords", len(pairs)) as progress:
        for name, password in pairs:
            added += name not in verifiers
            verifiers[name] = scram_verifier(password)
            progress.advance()
    write(path, list(verifiers.items()))
    print(f"imported {len(pairs)} users into {path} ({added} new; send the server SIGHUP to reload)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

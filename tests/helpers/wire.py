"""Raw protocol 3.0 over a socket, for tests that must send what no client library sends."""

from __future__ import annotations

import socket
import struct
import time

PROTOCOL_3_0 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


def startup_packet(user: str = "postgres", database: str = "postgres", version: int = PROTOCOL_3_0,
                   **params: str) -> bytes:
    body = struct.pack("!I", version)
    for k, v in {"user": user, "database": database, **params}.items():
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!I", len(body) + 4) + body


def message(tag: bytes, body: bytes = b"") -> bytes:
    return tag + struct.pack("!I", len(body) + 4) + body


def query(sql: str) -> bytes:
    return message(b"Q", sql.encode() + b"\0")


def parse(sql: str, name: str = "") -> bytes:
    return message(b"P", name.encode() + b"\0" + sql.encode() + b"\0" + struct.pack("!H", 0))


def bind(portal: str = "", statement: str = "") -> bytes:
    # No parameters, all results in text.
    return message(b"B", portal.encode() + b"\0" + statement.encode() + b"\0" + struct.pack("!HHH", 0, 0, 0))


def execute(portal: str = "", max_rows: int = 0) -> bytes:
    return message(b"E", portal.encode() + b"\0" + struct.pack("!I", max_rows))


SYNC = message(b"S")
TERMINATE = message(b"X")


class Closed(Exception):
    """The server closed the connection (EOF or reset)."""


class RawConn:
    """A socket plus a message reader; every read has a deadline."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, n: int) -> None:
        deadline = time.monotonic() + self.timeout
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no data from server within {self.timeout}s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError as e:
                raise Closed("connection reset") from e
            if not chunk:
                raise Closed("EOF")
            self.buf += chunk

    def read_byte(self) -> bytes:
        self._fill(1)
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def read_message(self) -> tuple[bytes, bytes]:
        self._fill(5)
        tag = self.buf[:1]
        (length,) = struct.unpack("!I", self.buf[1:5])
        self._fill(1 + length)
        body = self.buf[5 : 1 + length]
        self.buf = self.buf[1 + length :]
        return tag, body

    def read_until(self, tag: bytes) -> list[tuple[bytes, bytes]]:
        """Messages up to and including the first with `tag`."""
        out = []
        while True:
            m = self.read_message()
            out.append(m)
            if m[0] == tag:
                return out

    def startup(self, **params: str) -> list[tuple[bytes, bytes]]:
        self.send(startup_packet(**params))
        return self.read_until(b"Z")

    def abort(self) -> None:
        """Close with RST (SO_LINGER 0): the most abrupt disconnect a client can do."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()


def error_fields(body: bytes) -> dict[str, str]:
    """ErrorResponse/NoticeResponse body -> {field code: value}, e.g. {'C': '08P01'}."""
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode(errors="replace")
    return fields


def error_or_close(conn: RawConn) -> dict[str, str] | None:
    """Read until an ErrorResponse (its fields) or the connection closes (None).

    Raises TimeoutError if the server neither answers with an error nor closes.
    """
    try:
        while True:
            tag, body = conn.read_message()
            if tag == b"E":
                return error_fields(body)
    except Closed:
        return None

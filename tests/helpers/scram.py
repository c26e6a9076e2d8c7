"""A SCRAM-SHA-256 client over the raw protocol (tests/helpers/wire.py), for what no
client library sends: tampered proofs, malformed SASL messages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

from helpers.wire import RawConn, message, startup_packet


def sasl_initial(mechanism: str, data: bytes) -> bytes:
    return message(b"p", mechanism.encode() + b"\0" + struct.pack("!i", len(data)) + data)


def auth_code(body: bytes) -> int:
    return struct.unpack("!i", body[:4])[0]


def begin(conn: RawConn, user: str, nonce: str = "rOprNGfwEbeRWgbNEkqO") -> tuple[str, str]:
    """Startup, AuthenticationSASL, client-first; returns (client_first_bare, server_first)."""
    conn.send(startup_packet(user=user))
    tag, body = conn.read_message()
    assert tag == b"R" and auth_code(body) == 10, (tag, body)
    assert b"SCRAM-SHA-256\0" in body[4:]
    bare = f"n=,r={nonce}"
    conn.send(sasl_initial("SCRAM-SHA-256", f"n,,{bare}".encode()))
    tag, body = conn.read_message()
    assert tag == b"R" and auth_code(body) == 11, (tag, body)
    return bare, body[4:].decode()


def final_message(password: str, bare: str, server_first: str, tamper: bool = False) -> tuple[bytes, bytes]:
    """(client-final-message, expected server signature)."""
    attrs = dict(part.split("=", 1) for part in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    without_proof = f"c=biws,r={attrs['r']}"
    auth = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth, "sha256").digest()
    proof = bytearray(a ^ b for a, b in zip(client_key, signature))
    if tamper:
        proof[0] ^= 1
    server_sig = hmac.new(hmac.new(salted, b"Server Key", "sha256").digest(), auth, "sha256").digest()
    return f"{without_proof},p={base64.b64encode(bytes(proof)).decode()}".encode(), server_sig

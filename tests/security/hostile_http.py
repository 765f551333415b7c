"""What the fuzz suite needs to talk to the app as a hostile client would: requests written byte
by byte (no client library would send them), JSON text no encoder writes, and the checks every
answer must pass (no 5xx, the JSON error shape, no echo of what was sent)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pymysql

from ecommerce_stream.settings import Settings
from tests.orders_support import TABLE_COUNTS_SQL, WRITTEN_TABLES

ANSWER_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case; a repeated header keeps its last value
    body: bytes

    @property
    def raw(self) -> bytes:
        """Everything a client could read back, for searching it for what was sent."""
        head = "".join(f"{name}: {value}\n" for name, value in self.headers.items())
        return head.encode(errors="surrogateescape") + self.body


def request_bytes(
    method: str, target: bytes | str, header_lines: Sequence[bytes] = (), body: bytes = b""
) -> bytes:
    """An HTTP/1.1 request asking the server to close the connection after its answer; the
    header lines are sent as given (they need not be valid HTTP)."""
    if isinstance(target, str):
        target = target.encode()
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [b"Connection: close", *header_lines]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def send(port: int, request: bytes) -> Answer:
    """Send `request` on a connection of its own and read the first answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT_SECONDS) as conn:
        conn.sendall(request)
        return _read_answer(conn)


def _read_answer(conn: socket.socket) -> Answer:
    received = b""
    while True:
        received = _read_until(conn, received, lambda data: b"\r\n\r\n" in data)
        if b"\r\n\r\n" not in received:
            raise AssertionError(f"the server hung up without a complete answer: {received!r}")
        head, _, rest = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        if not status_line.split(" ")[1].startswith("1"):
            break
        received = rest  # an interim answer (100 Continue to an Expect header): the next one
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    # The server may keep the connection open whatever was asked: stop at the framed end.
    if "content-length" in headers:
        rest = _read_until(conn, rest, lambda data: len(data) >= int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        rest = _unchunk(_read_until(conn, rest, lambda data: data.endswith(b"0\r\n\r\n")))
    else:
        rest = _read_until(conn, rest, lambda data: False)
    return Answer(int(status_line.split(" ")[1]), headers, rest)


def _read_until(conn: socket.socket, data: bytes, complete: Callable[[bytes], bool]) -> bytes:
    while not complete(data):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _unchunk(data: bytes) -> bytes:
    body = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body
        body, data = body + data[:size], data[size + 2 :]


def error_shape_problems(answer: Answer) -> list[str]:
    """What is wrong with an error answer; every 4xx and 5xx must be the API's JSON error."""
    if answer.status < 400:
        return []
    if answer.headers.get("content-type", "").split(";")[0] != "application/json":
        return [f"a {answer.status} answer of type {answer.headers.get('content-type')!r}"]
    try:
        error = json.loads(answer.body)["error"]
        shaped = (
            set(error) == {"code", "message", "details"}
            and isinstance(error["code"], str)
            and isinstance(error["message"], str)
            and isinstance(error["details"], list)
        )
    except (ValueError, KeyError, TypeError):
        shaped = False
    return [] if shaped else [f"a {answer.status} answer not in the error shape: {answer.body!r}"]


def problems(answer: Answer, *, echoed: bytes | None = None) -> list[str]:
    """Every promise an answer to a hostile request breaks: a 5xx, an error not in the JSON
    shape, `echoed` (something sent that must never come back) in the answer."""
    found = [f"a server error: {answer.status} {answer.body[:300]!r}"] * (answer.status >= 500)
    found += error_shape_problems(answer)
    if echoed is not None and echoed in answer.raw:
        found.append(f"the answer echoes {echoed!r}")
    return found


@dataclass(frozen=True)
class Raw:
    """JSON text written as is: numbers no encoder writes (1e-400, NaN), broken JSON."""

    text: str


@dataclass(frozen=True)
class Pairs:
    """A JSON object written from its (key, value) pairs in order, repeated keys included."""

    items: tuple[tuple[str, Any], ...]


def dump(value: Any) -> str:
    """JSON text of `value`, where `Raw` and `Pairs` parts say exactly what to write."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        value = Pairs(tuple(value.items()))
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(key)}:{dump(item)}" for key, item in value.items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dump(item) for item in value) + "]"
    return json.dumps(value)


class RowCounter:
    """The rows of every table an order change writes to, read with a connection of its own
    (the fuzz tests are synchronous: hypothesis drives them)."""

    def __init__(self, settings: Settings) -> None:
        self._conn = pymysql.connect(
            host=settings.mysql_host,
            port=settings.mysql_port,
            user=settings.mysql_user,
            password=settings.mysql_password.get_secret_value(),
            database=settings.mysql_database,
            autocommit=True,
        )

    def counts(self) -> dict[str, int]:
        with self._conn.cursor() as cur:
            cur.execute(TABLE_COUNTS_SQL)
            row = cur.fetchone()
        assert row is not None
        return dict(zip(WRITTEN_TABLES, (int(count) for count in row), strict=True))

    def close(self) -> None:
        self._conn.close()

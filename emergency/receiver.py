"""The district's receiving end, for the demo, the tests and the benchmark: check each signed message, store it once.

It is what the outbox assumes of the district platform: it verifies the timestamp (±300 s) and the HMAC-SHA256
signature (constant-time), refuses a bad one with 401, stores a new key as `<key>.json` (+ the decoded
attachment) and answers a key it already holds with `{"acknowledged": true, "duplicate": true}`, storing nothing.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from emergency.adapters.channels import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_webhook
from emergency.adapters.files import attachment_filename, create_once, key_filename, write_atomically

logger = logging.getLogger(__name__)

MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReceiverCounts:
    """What a receiver has seen since it started."""

    stored: int
    duplicates: int
    rejected: int


class _Rejected(Exception):
    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], folder: Path, secret: str, clock: Callable[[], float]) -> None:
        super().__init__(address, _Handler)
        self.folder = folder
        self.secret = secret
        self.clock = clock
        self.lock = threading.Lock()
        self.stored: list[str] = []
        self.duplicates = 0
        self.rejected = 0
        self.connections: set[socket.socket] = set()

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection and remember it, so that stopping can close kept-alive ones."""
        connection, address = super().get_request()
        with self.lock:
            self.connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        """Forget a finished connection and close it."""
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut every open connection (a stopped receiver must look down to senders at once)."""
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def verify(self, headers: Any, raw: bytes) -> str:
        """Return the message's key if its timestamp and signature are good, else raise _Rejected(401)."""
        key, stamp, signature = (headers.get(KEY_HEADER), headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER))
        if not key or not stamp or not signature:
            raise _Rejected(401, f"{KEY_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required")
        try:
            timestamp = int(stamp)
        except ValueError:
            raise _Rejected(401, "the timestamp is not unix seconds") from None
        if abs(self.clock() - timestamp) > MAX_SKEW_SECONDS:
            raise _Rejected(401, f"the timestamp is more than {MAX_SKEW_SECONDS} s away from this server's clock")
        expected = sign_webhook(self.secret, timestamp, raw)
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
            raise _Rejected(401, "bad signature")
        return str(key)

    def store(self, key: str, raw: bytes) -> bool:
        """Store a verified message unless its key is already here; return whether it is a duplicate."""
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise _Rejected(400, "the body is not JSON") from None
        if not isinstance(payload, dict) or payload.get("key") != key:
            raise _Rejected(400, f"the body's key differs from the {KEY_HEADER} header")
        try:
            target = self.folder / f"{key_filename(key)}.json"
        except ValueError as exc:
            raise _Rejected(400, str(exc)) from None
        if target.exists():
            return True
        attachment = payload.get("attachment")
        document = dict(payload, received_at=datetime.fromtimestamp(self.clock(), UTC).isoformat())
        if attachment is not None:
            try:
                name = attachment_filename(key, str(attachment["name"]))
                content = base64.b64decode(attachment["content_base64"], validate=True)
            except (KeyError, TypeError, ValueError, binascii.Error):
                raise _Rejected(400, "attachment must be {name, content_base64}") from None
            write_atomically(self.folder / name, content)
            document["attachment"] = name
        created = create_once(target, json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"))
        if created:
            with self.lock:
                self.stored.append(key)
        return not created


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a sender's session reuses its connection
    wbufsize = 64 * 1024  # headers and body leave in one segment (no Nagle / delayed-ACK stall per answer)
    server: _Server

    def _answer(self, status: int, document: dict[str, Any], *, close: bool = False) -> None:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        """Verify, store once, acknowledge."""
        server = self.server
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._answer(411, {"error": "Content-Length is required"}, close=True)
            return
        if length < 0 or length > MAX_BODY_BYTES:
            self._answer(413, {"error": "too large"}, close=True)
            return
        raw = self.rfile.read(length)
        try:
            key = server.verify(self.headers, raw)
            duplicate = server.store(key, raw)
        except _Rejected as exc:
            with server.lock:
                server.rejected += 1
            logger.warning("receiver: refused a message (%d %s)", exc.status, exc.why)
            self._answer(exc.status, {"error": exc.why})
            return
        except OSError as exc:  # disk full, folder gone: the sender keeps the message and tries again later
            logger.error("receiver: cannot store a message (%s)", exc.strerror or type(exc).__name__)
            self._answer(503, {"error": "cannot store the message now"})
            return
        if duplicate:
            with server.lock:
                server.duplicates += 1
        self._answer(200, {"acknowledged": True, "duplicate": duplicate})

    def do_GET(self) -> None:
        """Only POST is served."""
        self._answer(405, {"error": "POST signed messages here"})

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the method, the path without its query, and the status; never headers."""
        logger.debug("receiver: %s %s %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        """Send the server's own messages to logging instead of stderr."""
        logger.debug("receiver: " + format, *args)


class Receiver:
    """A running receiver: its URL, what it stored, and how to stop it."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.folder = server.folder
        self.port = int(port)
        self.url = f"http://{host!s}:{self.port}/"

    def received(self) -> list[str]:
        """Return the keys this receiver stored, in the order they arrived (each at most once)."""
        with self._server.lock:
            return list(self._server.stored)

    def counts(self) -> ReceiverCounts:
        """Return how many messages were stored, answered as duplicates, and refused."""
        server = self._server
        with server.lock:
            return ReceiverCounts(len(server.stored), server.duplicates, server.rejected)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=10)

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def start_receiver(folder: Path, secret: str, host: str = "127.0.0.1", port: int = 0, *,
                   clock: Callable[[], float] = time.time) -> Receiver:
    """Start a receiver on *host*:*port* (0 picks a free port) in a background thread, storing into *folder*."""
    if not secret:
        raise ValueError("the receiver needs the shared signing secret")
    folder.mkdir(parents=True, exist_ok=True)
    server = _Server((host, port), folder, secret, clock)
    thread = threading.Thread(target=server.serve_forever, name=f"receiver-{server.server_address[1]}", daemon=True)
    thread.start()
    return Receiver(server, thread)

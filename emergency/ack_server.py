"""The acknowledgement endpoint of the 预警信息通知 links: `emergency warning ack-server` serves it.

GET /ack/{notice}?t={token}&s={signature} shows the notice and a form; POST to the same URL (a form field `by`, or
a JSON object {"by": …}) records the 签收 through `services.warning_notices.acknowledge_link`. A link whose notice,
token or HMAC-SHA256 signature does not check is refused with 403 and nothing is recorded; a repeat is answered
with the first record (200, "duplicate": true). A GET never records anything, so a chat app's link preview cannot
acknowledge on anyone's behalf. Each request is one unit of work; the time comes from the given clock.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jinja2
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import format_local, isoformat_local
from emergency.domain.warning_notices import ACK_PATH
from emergency.errors import EmergencyError, InputError
from emergency.services.warning_notices import AckRefused, AckResult, LinkView, acknowledge_link, view_link

logger = logging.getLogger(__name__)

PAGE = "warning_ack.html"
MAX_BODY_BYTES = 8 * 1024
_PATH = re.compile(rf"^{re.escape(ACK_PATH)}(\d{{1,18}})$")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], sessions: sessionmaker[Session], secret: str,
                 clock: Callable[[], datetime], page: jinja2.Template) -> None:
        super().__init__(address, _Handler)
        self.sessions = sessions
        self.secret = secret
        self.clock = clock
        self.page = page
        self.lock = threading.Lock()
        self.recorded = 0
        self.refused = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _link(self) -> tuple[int, str, str] | None:
        parts = urlsplit(self.path)
        match = _PATH.match(parts.path)
        if match is None:
            return None
        query = parse_qs(parts.query)
        return int(match.group(1)), query.get("t", [""])[0], query.get("s", [""])[0]

    def _wants_json(self) -> bool:
        accept = self.headers.get("Accept", "")
        kind = self.headers.get("Content-Type", "")
        return "application/json" in accept or kind.startswith("application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")  # the link is a credential: never leak it onwards
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, document: dict[str, Any]) -> None:
        self._send(status, json.dumps(document, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _page(self, status: int, view: LinkView | None, *, refused: bool = False, just_now: bool = False) -> None:
        html = self.server.page.render(
            refused=refused, view=view, just_now=just_now,
            ack_due=format_local(view.ack_due) if view and view.ack_due else "",
            acknowledged_at=format_local(view.acknowledged_at) if view and view.acknowledged_at else "")
        self._send(status, html.encode("utf-8"), "text/html; charset=utf-8")

    def _refuse(self, why: str) -> None:
        with self.server.lock:
            self.server.refused += 1
        logger.warning("ack server: refused a link (%s)", why)
        if self._wants_json():
            self._json(403, {"error": "this acknowledgement link is not valid; nothing was recorded"})
        else:
            self._page(403, None, refused=True)

    def do_GET(self) -> None:
        """Show the notice behind a valid link, with the form to acknowledge it (nothing is recorded)."""
        link = self._link()
        if link is None:
            self._json(404, {"error": f"acknowledgement links look like {ACK_PATH}{{notice}}?t=…&s=…"})
            return
        try:
            with self.server.sessions.begin() as session:
                view = view_link(session, notice_id=link[0], token=link[1], signature=link[2],
                                 secret=self.server.secret)
        except AckRefused as exc:
            self._refuse(str(exc))
            return
        except Exception:  # a database failure: the recipient tries again, or telephones
            logger.exception("ack server: cannot show notice %s", link[0])
            self._json(503, {"error": "cannot read the notice now; try again or telephone the duty room"})
            return
        if self._wants_json():
            self._json(200, _view_json(view))
        else:
            self._page(200, view)

    do_HEAD = do_GET

    def do_POST(self) -> None:
        """Record the acknowledgement of a valid link (once; a repeat returns the first record)."""
        link = self._link()
        if link is None:
            self._json(404, {"error": "not an acknowledgement link"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            self._json(413 if length > MAX_BODY_BYTES else 411, {"error": "a short form or JSON body is expected"})
            return
        raw = self.rfile.read(length) if length else b""
        by = _name_in(raw, self.headers.get("Content-Type", ""))
        try:
            with self.server.sessions.begin() as session:
                result = acknowledge_link(session, notice_id=link[0], token=link[1], signature=link[2], by=by,
                                          secret=self.server.secret, now=self.server.clock())
                view = view_link(session, notice_id=link[0], token=link[1], signature=link[2],
                                 secret=self.server.secret)
        except AckRefused as exc:
            self._refuse(str(exc))
            return
        except InputError as exc:
            self._json(400, {"error": exc.why, "field": exc.field})
            return
        except EmergencyError as exc:
            self._json(409, {"error": str(exc)})
            return
        except Exception:
            logger.exception("ack server: cannot record notice %s", link[0])
            self._json(503, {"error": "cannot record the acknowledgement now; try again or telephone the duty room"})
            return
        if not result.duplicate:
            with self.server.lock:
                self.server.recorded += 1
        logger.info("ack server: notice %s acknowledged by %s%s", result.notice_id, result.acknowledged_by,
                    " (again)" if result.duplicate else "")
        if self._wants_json():
            self._json(200, _result_json(result))
        else:
            self._page(200, view, just_now=not result.duplicate)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the method, the path without its query (the token and signature), and the status."""
        logger.debug("ack server: %s %s %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        """Send the server's own messages to logging instead of stderr (they may carry the query)."""
        logger.debug("ack server: request problem")


def _name_in(raw: bytes, content_type: str) -> str:
    """Return the `by` of a form or JSON body, or "" (the service then records the recipient's 网格长)."""
    text = raw.decode("utf-8", "replace")
    if content_type.startswith("application/json"):
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            return ""
        value = data.get("by") if isinstance(data, dict) else None
        return value if isinstance(value, str) else ""
    return parse_qs(text).get("by", [""])[0]


def _view_json(view: LinkView) -> dict[str, Any]:
    return {"notice": view.notice_id, "recipient": view.recipient_name, "title": view.title, "headline": view.headline,
            "ack_due": isoformat_local(view.ack_due) if view.ack_due else None,
            "acknowledged": view.acknowledged_at is not None,
            "acknowledged_at": isoformat_local(view.acknowledged_at) if view.acknowledged_at else None,
            "acknowledged_by": view.acknowledged_by, "drill": view.drill}


def _result_json(result: AckResult) -> dict[str, Any]:
    return {"acknowledged": True, "duplicate": result.duplicate, "notice": result.notice_id,
            "warning": result.warning_id, "recipient": result.recipient_name,
            "acknowledged_at": isoformat_local(result.acknowledged_at), "acknowledged_by": result.acknowledged_by,
            "channel": result.channel}


class AckServer:
    """A running acknowledgement server: its URL, what it recorded, how to stop it."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.port = int(port)
        self.url = f"http://{host!s}:{self.port}/"

    def counts(self) -> tuple[int, int]:
        """Return how many acknowledgements were recorded and how many links refused since start."""
        with self._server.lock:
            return self._server.recorded, self._server.refused

    def wait(self) -> None:
        """Block until the server stops."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> AckServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def start_ack_server(sessions: sessionmaker[Session], *, secret: str, clock: Callable[[], datetime],
                     templates_dir: Path, host: str = "127.0.0.1", port: int = 0) -> AckServer:
    """Start the acknowledgement server on *host*:*port* (0 picks a free port) in a background thread."""
    if not secret:
        raise EmergencyError("the acknowledgement server needs the signing secret (EMERGENCY_ACK_SECRET)")
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir)), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    try:
        page = environment.get_template(PAGE)
    except jinja2.TemplateNotFound:
        raise EmergencyError(f"template {templates_dir / PAGE} is missing") from None
    server = _Server((host, port), sessions, secret, clock, page)
    thread = threading.Thread(target=server.serve_forever, name=f"ack-server-{server.server_address[1]}", daemon=True)
    thread.start()
    return AckServer(server, thread)

"""Delivery channels to district officials: the district's HTTPS webhook, WeCom and DingTalk group robots, a drop folder.

Every channel turns one `OutgoingMessage` into a `Receipt` or raises `DeliveryError` saying whether trying again
can help. Secrets (HMAC keys, robot URLs with their tokens) are held by the channel and never logged; failure
reasons are built from status codes and redacted error text, never from the request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from emergency.adapters.files import attachment_filename, create_once, key_filename, write_atomically
from emergency.adapters.http import make_http_session, redact
from emergency.errors import EmergencyError

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Emergency-Signature"
TIMESTAMP_HEADER = "X-Emergency-Timestamp"
KEY_HEADER = "Idempotency-Key"

# Robot messages are read in Chinese group chats; these three labels are the only display text here.
DRILL_PREFIX = "【演练】"
ATTACHMENT_LABEL = "附件"
KEY_LABEL = "编号"

WECOM_LIMIT_BYTES = 4096  # WeCom: markdown content at most 4096 bytes (UTF-8)
DINGTALK_LIMIT_BYTES = 20000  # DingTalk: a message body at most 20,000 bytes
WECOM_RETRYABLE = frozenset({-1, 45009})  # system busy; rate limit (20 messages a minute per robot)
DINGTALK_RETRYABLE = frozenset({-1, 130101})  # system busy; sending too fast


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message for one channel, as the outbox stored it."""

    key: str
    topic: str
    subject: str
    body: dict[str, Any]
    attachment: Path | None
    drill: bool


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the channel confirmed: delivered, and whether the receiver acknowledged it."""

    acknowledged: bool
    detail: str


class DeliveryError(EmergencyError):
    """A send that did not go through; *retryable* says whether trying again later can help."""

    def __init__(self, retryable: bool, reason: str) -> None:
        self.retryable = retryable
        self.reason = reason
        super().__init__(reason)


class Channel(Protocol):
    """Somewhere a message can be delivered."""

    def send(self, message: OutgoingMessage) -> Receipt:
        """Deliver *message* once; raise DeliveryError if it did not get through."""
        ...


def read_attachment(message: OutgoingMessage) -> bytes | None:
    """Return the attachment's bytes; a missing file is a permanent failure (retrying cannot bring it back)."""
    if message.attachment is None:
        return None
    try:
        return message.attachment.read_bytes()
    except FileNotFoundError:
        raise DeliveryError(False, f"attachment {message.attachment} not found") from None
    except OSError as exc:
        raise DeliveryError(True, f"attachment {message.attachment} cannot be read: {exc.strerror}") from None


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _root_cause(exc: BaseException) -> str:
    cause: object = exc.args[0] if exc.args else exc
    cause = getattr(cause, "reason", None) or cause  # urllib3's MaxRetryError wraps the real reason
    text = str(cause)
    errno = re.search(r"\[Errno -?\d+\][^'\")]*", text)
    return redact(errno.group(0) if errno else text)[:200]


def transport_failure(exc: requests.RequestException, url: str) -> DeliveryError:
    """Describe a failed request without its URL's path or query (robot tokens live there); always retryable."""
    host = _host(url)
    if isinstance(exc, requests.ConnectTimeout):
        return DeliveryError(True, f"{host}: connection timed out")
    if isinstance(exc, requests.ReadTimeout):
        return DeliveryError(True, f"{host}: no answer in time (it may have arrived; it is sent again with the same key)")
    if isinstance(exc, requests.ConnectionError):
        return DeliveryError(True, f"{host}: cannot connect ({_root_cause(exc)})")
    return DeliveryError(True, f"{host}: {type(exc).__name__} ({_root_cause(exc)})")


def http_failure(response: requests.Response) -> DeliveryError:
    """Classify a non-2xx answer: 4xx other than 408 and 429 is permanent, anything else is worth retrying."""
    status = response.status_code
    permanent = 400 <= status < 500 and status not in (408, 429)
    snippet = redact(" ".join(response.text[:300].split()))[:200]
    return DeliveryError(not permanent, f"HTTP {status}" + (f": {snippet}" if snippet else ""))


def _post(session: requests.Session, url: str, **kwargs: Any) -> requests.Response:
    try:
        return session.post(url, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise transport_failure(exc, url) from None


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def sign_webhook(secret: str, timestamp: int, raw_body: bytes) -> str:
    """Return the `X-Emergency-Signature` value: `sha256=` and the hex HMAC-SHA256 of `{timestamp}.{raw_body}`."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_payload(message: OutgoingMessage) -> bytes:
    """Return the JSON body the district webhook receives (UTF-8, sorted keys, no spaces)."""
    content = read_attachment(message)
    attachment = None
    if message.attachment is not None and content is not None:
        attachment = {"name": message.attachment.name, "content_base64": base64.b64encode(content).decode("ascii")}
    payload = {"key": message.key, "topic": message.topic, "subject": message.subject, "body": message.body,
               "attachment": attachment, "drill": message.drill}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


class WebhookChannel:
    """The district platform's HTTPS webhook: signed JSON, deduplicated by the receiver on the Idempotency-Key."""

    def __init__(self, url: str, secret: str, *, session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("a webhook needs a non-empty signing secret")
        self._url = url
        self._secret = secret
        self._session = session or make_http_session()
        self._clock = clock

    def __repr__(self) -> str:
        return f"WebhookChannel(host={_host(self._url)!r})"

    def send(self, message: OutgoingMessage) -> Receipt:
        """POST the message; 2xx is sent, `{"acknowledged": true}` in the answer is acknowledged."""
        raw = webhook_payload(message)
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            KEY_HEADER: message.key,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign_webhook(self._secret, timestamp, raw),
        }
        response = _post(self._session, self._url, data=raw, headers=headers)
        if not 200 <= response.status_code < 300:
            raise http_failure(response)
        data = _json_or_none(response)
        acknowledged = isinstance(data, dict) and data.get("acknowledged") is True
        duplicate = isinstance(data, dict) and data.get("duplicate") is True
        detail = f"HTTP {response.status_code}" + (", acknowledged" if acknowledged else "") + (
            ", already received" if duplicate else "")
        return Receipt(acknowledged, detail)


def robot_markdown(message: OutgoingMessage, limit_bytes: int) -> str:
    """Render the message as robot markdown: a heading, one quoted line per body field, the key; cut to the limit."""
    lines = [f"### {DRILL_PREFIX if message.drill else ''}{message.subject}"]
    for name, value in message.body.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"> **{name}**: {shown}")
    if message.attachment is not None:
        lines.append(f"{ATTACHMENT_LABEL}: {message.attachment.name}")
    lines.append(f"{KEY_LABEL}: {message.key}")
    text = "\n".join(lines)
    encoded = text.encode("utf-8")
    if len(encoded) <= limit_bytes:
        return text
    return encoded[: limit_bytes - 3].decode("utf-8", errors="ignore") + "…"


def _robot_receipt(response: requests.Response, robot: str, retryable: Collection[int]) -> Receipt:
    if not 200 <= response.status_code < 300:
        raise http_failure(response)
    data = _json_or_none(response)
    if not isinstance(data, dict) or "errcode" not in data:
        raise DeliveryError(True, f"{robot}: HTTP {response.status_code} without an errcode")
    code = data["errcode"]
    if code == 0:
        return Receipt(False, f"{robot} errcode 0")
    message = redact(str(data.get("errmsg", "")))[:200]
    raise DeliveryError(code in retryable, f"{robot} errcode {code}: {message}")


class WeComRobotChannel:
    """A WeCom (企业微信) group robot; its URL carries the robot key, so the URL itself is a secret."""

    def __init__(self, url: str, *, session: requests.Session | None = None) -> None:
        self._url = url
        # No idempotency support at WeCom: retry only 503 (nothing was processed) and connect errors.
        self._session = session or make_http_session(retry_statuses=(503,))

    def __repr__(self) -> str:
        return f"WeComRobotChannel(host={_host(self._url)!r})"

    def send(self, message: OutgoingMessage) -> Receipt:
        """Post a markdown message; errcode 0 is sent (robots never acknowledge)."""
        content = robot_markdown(message, WECOM_LIMIT_BYTES)
        response = _post(self._session, self._url, json={"msgtype": "markdown", "markdown": {"content": content}})
        return _robot_receipt(response, "WeCom", WECOM_RETRYABLE)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's `sign`: base64 of HMAC-SHA256(secret, f"{timestamp}\\n{secret}") (URL-encoded when sent)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DingTalkRobotChannel:
    """A DingTalk (钉钉) group robot with the signed-timestamp (加签) security setting."""

    def __init__(self, url: str, secret: str, *, session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("a DingTalk robot needs its signing secret (SEC…)")
        self._url = url
        self._secret = secret
        self._session = session or make_http_session(retry_statuses=(503,))
        self._clock = clock

    def __repr__(self) -> str:
        return f"DingTalkRobotChannel(host={_host(self._url)!r})"

    def send(self, message: OutgoingMessage) -> Receipt:
        """Post a markdown message with `timestamp` and `sign` query parameters; errcode 0 is sent."""
        timestamp = int(self._clock() * 1000)
        params = {"timestamp": str(timestamp), "sign": dingtalk_sign(self._secret, timestamp)}
        text = robot_markdown(message, DINGTALK_LIMIT_BYTES)
        title = (DRILL_PREFIX if message.drill else "") + message.subject
        response = _post(self._session, self._url, params=params,
                         json={"msgtype": "markdown", "markdown": {"title": title, "text": text}})
        return _robot_receipt(response, "DingTalk", DINGTALK_RETRYABLE)


def drop_document(message: OutgoingMessage) -> dict[str, Any]:
    """Return the JSON document written for a message (the attachment is a file beside it)."""
    attachment = None
    if message.attachment is not None:
        attachment = attachment_filename(message.key, message.attachment.name)
    return {"key": message.key, "topic": message.topic, "subject": message.subject, "body": message.body,
            "attachment": attachment, "drill": message.drill}


class DropFolderChannel:
    """A folder another system collects from: `<key>.json` (+ the attachment), each published atomically, once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __repr__(self) -> str:
        return f"DropFolderChannel(folder={str(self.folder)!r})"

    def send(self, message: OutgoingMessage) -> Receipt:
        """Write the attachment, then publish `<key>.json`; an existing file means it was delivered before."""
        target = self.folder / f"{key_filename(message.key)}.json"
        if target.exists():
            return Receipt(False, f"{target.name} already in the drop folder")
        content = read_attachment(message)
        try:
            if message.attachment is not None and content is not None:
                write_atomically(self.folder / attachment_filename(message.key, message.attachment.name), content)
            document = json.dumps(drop_document(message), ensure_ascii=False, indent=2).encode("utf-8")
            created = create_once(target, document)
        except OSError as exc:
            raise DeliveryError(True, f"drop folder {self.folder}: {exc.strerror or type(exc).__name__}") from None
        return Receipt(False, f"{target.name} written" if created else f"{target.name} already in the drop folder")

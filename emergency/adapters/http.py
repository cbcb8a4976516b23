"""The one way to make HTTP requests: a requests.Session with a default timeout, bounded retries and redacted logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response
from urllib3.util.retry import Retry

DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)
"""Connect and read timeouts in seconds; requests itself has none and would wait forever."""

RETRY_STATUSES: tuple[int, ...] = (502, 503, 504)

# urllib3 logs request paths with their query strings (WeCom `key=`, DingTalk `access_token=` and `sign=`):
# the filter below removes query strings from every record these loggers emit.
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.poolmanager", "urllib3.util.retry")
_QUERY = re.compile(r"\?[^\s'\"<>)]*")
_SECRET_KEYS = re.compile(r"(?i)\b(access_token|key|sign|secret|token)=[^&\s'\"<>)]*")


def redact(text: str) -> str:
    """Return *text* with URL query strings and `token=`-like values replaced by a placeholder."""
    return _SECRET_KEYS.sub(r"\1=***", _QUERY.sub("?***", text))


class _RedactQueryStrings(logging.Filter):
    """Rewrite a log record so that no URL query string (where robot credentials live) reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the formatted message in place; never drop the record."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = _RedactQueryStrings()


def _install_log_filter() -> None:
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


class TimeoutHTTPAdapter(HTTPAdapter):
    """An HTTPAdapter that applies a default (connect, read) timeout to every request that sets none."""

    def __init__(self, *, timeout: tuple[float, float], max_retries: Retry) -> None:
        self.timeout = timeout
        super().__init__(max_retries=max_retries)

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        """Send with the default timeout when the caller gave none."""
        return super().send(request, stream=stream, timeout=self.timeout if timeout is None else timeout,
                            verify=verify, cert=cert, proxies=proxies)


def make_retry(*, retries: int, backoff: float, statuses: Collection[int] = RETRY_STATUSES) -> Retry:
    """Return the bounded Retry policy: connect errors and *statuses*, any method; read errors are never retried."""
    return Retry(
        total=retries,
        connect=retries,
        read=False,  # the server may have acted on the request: raise at once, the outbox decides when to try again
        status=retries,
        other=0,
        redirect=0,
        status_forcelist=frozenset(statuses),
        allowed_methods=None,  # POST too: every message carries an Idempotency-Key the receiver deduplicates on
        backoff_factor=backoff,
        respect_retry_after_header=True,
        raise_on_status=False,  # hand the last 5xx response to the caller, which classifies it
        raise_on_redirect=False,
    )


def make_http_session(
    *,
    retries: int = 2,
    backoff: float = 0.5,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retry_statuses: Collection[int] = RETRY_STATUSES,
) -> requests.Session:
    """Return a session with a default timeout on every request and bounded retries with backoff."""
    _install_log_filter()
    session = requests.Session()
    adapter = TimeoutHTTPAdapter(timeout=timeout,
                                 max_retries=make_retry(retries=retries, backoff=backoff, statuses=retry_statuses))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session

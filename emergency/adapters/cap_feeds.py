"""Fetch CAP messages and feeds over HTTP(S): timeouts and bounded retries (adapters.http), conditional requests
(ETag / Last-Modified), a size limit, and http/https only."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

import requests

from emergency.adapters.http import make_http_session, redact
from emergency.cap import MAX_BYTES
from emergency.errors import EmergencyError

ACCEPT = "application/cap+xml, application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"


class FetchError(EmergencyError):
    """A URL that could not be fetched: names the URL (query string redacted) and why."""


@dataclass(frozen=True)
class Fetched:
    """The answer to one GET: the body (None when unchanged, 304), and the validators for the next request."""

    url: str
    status: int
    content: bytes | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        """Return whether the server said the document has not changed since the validators were given."""
        return self.status == 304


def is_url(text: str) -> bool:
    """Return whether *text* is an http(s) URL."""
    return urlparse(text).scheme in ("http", "https")


def fetch(http: requests.Session, url: str, *, etag: str | None = None, last_modified: str | None = None,
          max_bytes: int = MAX_BYTES) -> Fetched:
    """GET *url*, conditionally when validators are given; refuse other schemes, errors and over-long bodies."""
    if not is_url(url):
        raise FetchError(f"{redact(url)}: only http and https URLs are fetched")
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with http.get(url, headers=headers, stream=True, allow_redirects=True) as response:
            if response.status_code == 304:
                return Fetched(url, 304, None, response.headers.get("ETag") or etag,
                               response.headers.get("Last-Modified") or last_modified)
            if response.status_code != 200:
                raise FetchError(f"{redact(url)}: HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_content(chunk_size=65536):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(f"{redact(url)}: more than {max_bytes} bytes, refused")
            return Fetched(url, 200, bytes(body), response.headers.get("ETag"), response.headers.get("Last-Modified"))
    except requests.RequestException as exc:
        raise FetchError(f"{redact(url)}: {type(exc).__name__}: {redact(str(exc))[:200]}") from None


def make_fetcher(http: requests.Session | None = None) -> CapFetcher:
    """Return a fetcher for CAP documents (a feed's entry links and URLs given on the command line)."""
    return CapFetcher(http or make_http_session(retries=2, backoff=0.5))


@dataclass
class CapFetcher:
    """Fetch a URL's bytes for the importer (unconditional GET)."""

    http: requests.Session

    def __call__(self, url: str) -> bytes:
        """Return the document at *url*."""
        got = fetch(self.http, url)
        assert got.content is not None
        return got.content

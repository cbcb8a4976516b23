"""Durable file writes for drop folders and the receiver: write aside, fsync, then publish in one step."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from urllib.parse import quote


def key_filename(key: str) -> str:
    """Return the file stem for an idempotency key: percent-encoded, so distinct keys never share a file."""
    if not key or len(key) > 200:
        raise ValueError("an idempotency key must have 1 to 200 characters")
    stem = quote(key, safe="-_.")
    return "%2E" + stem[1:] if stem.startswith(".") else stem  # never a hidden file, never `..`


def attachment_filename(key: str, name: str) -> str:
    """Return the file name of a message's attachment: the key's stem, `--`, and the attachment's own base name."""
    base = Path(name.replace("\\", "/")).name
    if base in ("", ".", ".."):
        raise ValueError(f"attachment name {name!r} is not a file name")
    return f"{key_filename(key)}--{quote(base, safe='-_.')}"


def _temporary(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write *data* to *path* so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def create_once(path: Path, data: bytes) -> bool:
    """Publish *data* at *path* only if no file is there yet, atomically; return whether this call created it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path, data)
    try:
        try:
            os.link(tmp, path)  # fails if path exists, even when another process races us
        except FileExistsError:
            return False
        except OSError:  # file systems without hard links: check, then replace
            if path.exists():
                return False
            os.replace(tmp, path)
        _sync_folder(path.parent)
        return True
    finally:
        tmp.unlink(missing_ok=True)

"""Streamed HTTP downloads that never leave a half file behind.

Bytes go to ``<dest>.part``; an interrupted transfer resumes from there with a Range request
(servers that ignore Range restart from zero), a failed one is retried with back-off on
5xx/429/timeouts/cut connections, and only a verified file (size, SHA-256, ZIP/gzip/GeoJSON
integrity) is renamed into place. stdlib urllib keeps this free of extra dependencies.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from seawarden import __version__ as _version

USER_AGENT = f"seawarden/{_version} (python-urllib)"
CHUNK = 1 << 16
NO_INTERNET_HINT = "no internet? set SEAWARDEN_MIRROR=DIR (a folder laid out like ../shared/data)"


class FetchError(RuntimeError):
    """A data set could not be fetched; the message says what, from where, and what to do."""


class Progress(Protocol):
    """Where download progress goes (a rich bar in the CLI, a recorder in tests)."""

    def start(self, label: str, total: int | None, done: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def finish(self) -> None: ...


class NoProgress:
    def start(self, label: str, total: int | None, done: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    initial_delay: float = 1.0
    factor: float = 2.0
    timeout: float = 30.0  # per connect/read

    def delay(self, attempt: int) -> float:
        return self.initial_delay * self.factor ** attempt


class _Retryable(Exception):
    pass


RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


def _open(url: str, offset: int, timeout: float):
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        req.add_header("Range", f"bytes={offset}-")
    try:
        return urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # our partial file is stale or already complete: start over
            raise _Retryable(f"HTTP 416 for a resume at byte {offset}") from exc
        if exc.code in RETRY_STATUS:
            raise _Retryable(f"HTTP {exc.code} {exc.reason}") from exc
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, socket.gaierror):
            raise FetchError(f"{url}: cannot resolve the host ({reason.strerror}); {NO_INTERNET_HINT}") from exc
        raise _Retryable(f"{reason}") from exc
    except (TimeoutError, ConnectionError, OSError) as exc:
        raise _Retryable(f"{exc}") from exc


def _transfer(url: str, part: Path, timeout: float, progress: Progress, label: str) -> None:
    """One attempt: append to `part` (resuming when the server honours Range) until the body ends."""
    offset = part.stat().st_size if part.exists() else 0
    resp = _open(url, offset, timeout)
    with resp:
        if offset and resp.status != 206:  # Range ignored: the body is the whole file again
            offset = 0
        length = resp.headers.get("Content-Length")
        expected = offset + int(length) if length is not None else None
        progress.start(label, expected, offset)
        got = offset
        with open(part, "ab" if offset else "wb") as out:
            while True:
                try:
                    block = resp.read(CHUNK)
                except (TimeoutError, ConnectionError, OSError) as exc:
                    raise _Retryable(f"connection lost after {got} bytes: {exc}") from exc
                if not block:
                    break
                out.write(block)
                got += len(block)
                progress.advance(len(block))
    if expected is not None and got < expected:
        raise _Retryable(f"truncated: {got} of {expected} bytes")


def verify(path: Path, *, size: int | None, sha256: str | None, check: str | None, label: str) -> None:
    """Raise FetchError unless `path` has the expected size/hash and passes its integrity check."""
    actual = path.stat().st_size
    if size is not None and actual != size:
        raise FetchError(f"{label}: got {actual} bytes, expected {size} (truncated or changed upstream)")
    if sha256 is not None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest() != sha256:
            raise FetchError(f"{label}: SHA-256 {h.hexdigest()} does not match the catalog's {sha256}")
    try:
        if check == "zip":
            with zipfile.ZipFile(path) as z:
                bad = z.testzip()
            if bad is not None:
                raise FetchError(f"{label}: ZIP member {bad!r} is corrupt")
        elif check == "gzip":
            with gzip.open(path) as g:
                while g.read(1 << 20):
                    pass
        elif check == "geojson":
            doc = json.loads(path.read_bytes())
            if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
                raise FetchError(f"{label}: not a GeoJSON FeatureCollection")
            matched, returned = doc.get("numberMatched"), doc.get("numberReturned")
            if isinstance(matched, int) and isinstance(returned, int) and returned < matched:
                raise FetchError(f"{label}: the server returned {returned} of {matched} features (capped)")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, FetchError):
            raise
        raise FetchError(f"{label}: damaged {check} file ({exc})") from exc


def download(
    urls: tuple[str, ...] | list[str],
    dest: Path,
    *,
    size: int | None = None,
    sha256: str | None = None,
    check: str | None = None,
    compress: str | None = None,
    retry: RetryPolicy = RetryPolicy(),
    progress: Progress | None = None,
) -> Path:
    """Fetch the first URL that works into `dest` (atomically), verified; returns `dest`."""
    progress = progress or NoProgress()
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    failures: list[str] = []
    for url in urls:
        for attempt in range(retry.attempts):
            try:
                _transfer(url, part, retry.timeout, progress, dest.name)
                break
            except _Retryable as exc:
                failures.append(f"{url}: {exc} (attempt {attempt + 1}/{retry.attempts})")
                if attempt + 1 < retry.attempts:
                    time.sleep(retry.delay(attempt))
            except FetchError as exc:
                failures.append(str(exc))
                part.unlink(missing_ok=True)
                break
            finally:
                progress.finish()
        else:
            part.unlink(missing_ok=True)
            continue
        if not part.exists():
            continue
        try:
            verify(part, size=size, sha256=sha256, check=None if compress else check, label=f"{dest.name} from {url}")
        except FetchError as exc:
            part.unlink(missing_ok=True)
            failures.append(str(exc))
            continue
        if compress == "gzip":
            _gzip_in_place(part)
        os.replace(part, dest)
        return dest
    if any(NO_INTERNET_HINT in f for f in failures) and len(failures) == len(urls):
        raise FetchError(failures[-1])
    raise FetchError(f"could not fetch {dest.name}:\n  " + "\n  ".join(failures))


def _gzip_in_place(path: Path) -> None:
    tmp = path.with_name(path.name + ".gz")
    with open(path, "rb") as src, gzip.open(tmp, "wb", compresslevel=6) as out:
        shutil.copyfileobj(src, out, CHUNK)
    os.replace(tmp, path)

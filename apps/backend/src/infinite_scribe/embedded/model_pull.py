"""Fetching a GGUF file by its repository and name (issue 77, decision 7701), over Hugging
Face's layout: `<hub>/<owner>/<repo>/resolve/<revision>/<file>`, answered with a redirect to
the file's store. httpx (already installed, with the model's client) does the HTTP; the rest
is the few rules a large download needs:

- it is written to `<file>.part` and renamed only once its SHA-256 is the published one;
- an interrupted pull resumes where its `.part` ends (an HTTP Range request; a server that
  answers the whole file instead starts it over);
- the SHA-256 is the catalogue's, the one given (`--sha256`), or the one the hub publishes
  with the file (the `X-Linked-Etag` of a file stored in Git LFS: its object id, the SHA-256);
- every failure is a PullFailed saying what happened and what to do, never a traceback.
"""

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from infinite_scribe.embedded.model_store import (
    ModelSource,
    PulledModel,
    find_pulled,
    models_dir,
    record_pulled,
)

#: Bytes read, hashed and written at a time.
CHUNK_BYTES = 1 << 20
#: Seconds to connect, and between two reads of the body, before a pull gives up.
CONNECT_SECONDS = 15.0
READ_SECONDS = 60.0
_HEX = frozenset("0123456789abcdef")


class PullFailed(RuntimeError):
    """A pull that did not end with a checked file; the message says why and what to do."""


#: Told once the transfer starts: (bytes already there from an earlier pull, total or None).
Started = Callable[[int, int | None], None]
#: Told after each chunk: its bytes.
Advanced = Callable[[int], None]


@dataclass(frozen=True)
class Transfer:
    """Where the bytes come from and go, and what they must hash to."""

    source: ModelSource
    url: str
    part: Path


def pull_model(
    source: ModelSource,
    data_dir: Path,
    hub_url: str,
    on_start: Started = lambda have, total: None,
    on_bytes: Advanced = lambda count: None,
) -> PulledModel:
    """Fetch `source` into SCRIBE_DATA_DIR/models (a checked copy already there is kept);
    raises PullFailed."""
    done = find_pulled(data_dir, f"{source.repo}/{source.file}")
    if (
        done is not None
        and done.revision == source.revision
        and source.sha256 in (None, done.sha256)
    ):
        return done
    folder = models_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    url = f"{hub_url.rstrip('/')}/{source.repo}/resolve/{source.revision}/{source.file}"
    part = folder / f"{source.file}.part"
    with _client(url) as client:
        expected = source.sha256 or _published_sha256(client, url, source)
        digest, size = _download(client, Transfer(source, url, part), on_start, on_bytes)
    if digest != expected:
        part.unlink(missing_ok=True)
        raise PullFailed(
            f"{source.file}: its SHA-256 is {digest}, not the published {expected}: the "
            "download was removed (a changed or damaged file); pull again, or give the "
            "checksum the repository shows now with --sha256"
        )
    path = folder / source.file
    part.replace(path)
    pulled = PulledModel(source.name, source.repo, source.file, source.revision, digest, size, path)
    record_pulled(pulled)
    return pulled


@contextmanager
def _client(url: str) -> Iterator[httpx.Client]:
    """A client whose transport errors become PullFailed naming the host."""
    host = urlsplit(url).netloc
    timeout = httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS)
    try:
        with httpx.Client(follow_redirects=True, timeout=timeout) as client:
            yield client
    except httpx.ConnectError as error:
        raise PullFailed(
            f"cannot reach {host} ({_reason(error)}): is the network up? Run the same command "
            "again to resume"
        ) from None
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as error:
        raise PullFailed(
            f"the transfer from {host} broke off ({_reason(error)}); what arrived is kept: run "
            "the same command again to resume"
        ) from None


def _reason(error: Exception) -> str:
    return str(error).strip() or type(error).__name__


def _published_sha256(client: httpx.Client, url: str, source: ModelSource) -> str:
    """The SHA-256 the hub publishes for the file: the ETag of the redirect to its store."""
    response = client.head(url, follow_redirects=False)
    if response.status_code >= 400:
        _refuse(response, source)
    for header in ("x-linked-etag", "etag"):
        tag = response.headers.get(header, "").removeprefix("W/").strip('"').lower()
        if len(tag) == 64 and set(tag) <= _HEX:
            return tag
    raise PullFailed(
        f"{urlsplit(url).netloc} publishes no SHA-256 for {source.repo}/{source.file}: give the "
        "one its page shows with --sha256"
    )


def _refuse(response: httpx.Response, source: ModelSource) -> None:
    where = f"{source.repo}/{source.file} at {source.revision}"
    if response.status_code == 404:
        raise PullFailed(f"no such file: {where} (check the repository and the file's name)")
    if response.status_code in (401, 403):
        raise PullFailed(f"{where} is gated or private (HTTP {response.status_code})")
    raise PullFailed(f"{where}: the hub answered HTTP {response.status_code}")


def _download(
    client: httpx.Client, transfer: Transfer, on_start: Started, on_bytes: Advanced
) -> tuple[str, int]:
    """Append the rest of the file to the part; its SHA-256 (of the whole) and size."""
    have = transfer.part.stat().st_size if transfer.part.exists() else 0
    # What an earlier pull wrote is hashed first: the whole file is checked, not the rest.
    digest = _hash_of(transfer.part) if have else hashlib.sha256()
    headers = {"Range": f"bytes={have}-"} if have else {}
    with client.stream("GET", transfer.url, headers=headers) as response:
        if response.status_code == 416 and have:
            on_start(have, have)  # the part already holds the whole file
            return digest.hexdigest(), have
        if response.status_code not in (200, 206):
            response.read()
            _refuse(response, transfer.source)
        if not (response.status_code == 206 and _starts_at(response, have)):
            have, digest = 0, hashlib.sha256()  # the whole file again
        length = response.headers.get("content-length")
        on_start(have, have + int(length) if length and length.isdigit() else None)
        with transfer.part.open("r+b" if have else "wb") as out:
            out.seek(have)
            out.truncate()
            # As it arrives (no chunking): bytes read before a cut are kept in the part.
            for chunk in response.iter_bytes():
                out.write(chunk)
                digest.update(chunk)
                on_bytes(len(chunk))
            size = out.tell()
    return digest.hexdigest(), size


def _starts_at(response: httpx.Response, have: int) -> bool:
    """A 206 that continues at `have` (`Content-Range: bytes have-end/total`)."""
    unit, _, span = response.headers.get("content-range", "").partition(" ")
    return unit == "bytes" and span.split("-", 1)[0] == str(have)


def _hash_of(path: Path) -> "hashlib._Hash":
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest

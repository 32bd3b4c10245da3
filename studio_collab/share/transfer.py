"""Moving a share's bytes and hashing them, so a share's sha256 is always of the bytes that were stored.

Two ways, one result (:class:`Digest`):
- streams (S3): :class:`HashingReader` / :class:`HashingWriter` hash while bytes pass. Neither offers
  ``seek``, which makes boto3's transfer manager read and write them strictly in order (its non-seekable
  code path), so one pass both moves and hashes the file.
- files (folder store): the kernel copies (``sendfile``, no trip through Python), then the private copy is
  hashed from a memory map. Hashing the copy, not the source, means a file edited during the copy still
  gets the hash of what was actually stored. (Hashing in a second thread behind the copy was measured: no
  gain on two busy cores, so the simpler order stays.)
Both stop the moment a transfer passes its byte limit: an upload larger than the admin's limit, or a
download larger than the manifest says (a file changed in the store), never completes.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import StudioCollabError

Progress = Callable[[int], None]  # called with the bytes moved since the last call

_CHUNK = 8 << 20


@dataclass(frozen=True)
class Digest:
    size: int
    sha256: str


def upload_too_large(max_bytes: int) -> StudioCollabError:
    return StudioCollabError(
        "share_too_large",
        f"The file grew past the share limit of {max_bytes / (1 << 20):.0f} MB while it was being shared.",
        413,
    )


def larger_than_record() -> StudioCollabError:
    return StudioCollabError(
        "share_damaged",
        "The shared file in the store is larger than its record says: it was "
        "changed after sharing. Nothing was imported; ask the author to share again.",
        409,
    )


class HashingReader:
    def __init__(self, source: BinaryIO, max_bytes: int):
        self._source = source
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, amount: int = -1) -> bytes:
        data = self._source.read(amount)
        self.size += len(data)
        if self.size > self._max_bytes:
            raise upload_too_large(self._max_bytes)
        self._hash.update(data)
        return data

    @property
    def digest(self) -> Digest:
        return Digest(self.size, self._hash.hexdigest())


class HashingWriter:
    def __init__(self, target: BinaryIO, max_bytes: int):
        self._target = target
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self._max_bytes:
            raise larger_than_record()
        self._hash.update(data)
        return self._target.write(data)

    @property
    def digest(self) -> Digest:
        return Digest(self.size, self._hash.hexdigest())


def copy_file(
    source: BinaryIO,
    target: BinaryIO,
    max_bytes: int,
    over_limit: Callable[[], StudioCollabError],
    progress: Progress | None = None,
) -> Digest:
    """Copy ``source`` into ``target`` (a file opened for reading and writing), then hash the copy."""
    copied = 0
    try:
        source_fd = source.fileno()
    except (AttributeError, OSError, ValueError):
        source_fd = None  # an in-memory snapshot (a notebook without outputs)
    target.flush()
    while True:
        if source_fd is not None:
            try:
                count = os.sendfile(target.fileno(), source_fd, None, min(_CHUNK, max_bytes + 1 - copied))
            except OSError:
                if copied:
                    raise
                source_fd = None  # a file system without sendfile between these two files: copy in Python
                continue
        else:
            chunk = source.read(min(_CHUNK, max_bytes + 1 - copied))
            count = len(chunk)
            target.write(chunk)
        if count == 0:
            break
        copied += count
        if copied > max_bytes:
            raise over_limit()
        if progress is not None:
            progress(count)
    target.flush()
    return digest_of(target)


def digest_of(handle: BinaryIO) -> Digest:
    """The size and sha256 of an open file, hashed from a memory map (no copy into Python)."""
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        return Digest(0, hashlib.sha256().hexdigest())
    with mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ) as mapped:
        return Digest(size, hashlib.sha256(mapped).hexdigest())

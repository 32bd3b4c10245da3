"""Where shares live (row S6): one interface, an S3 bucket or a folder every space mounts.

Spaces do not share disks (studio-facts §1.6), so a notebook reaches another space only through a
common store. A share is two objects under its id, ``shares/<id>/content`` and
``shares/<id>/manifest.json``, plus an empty marker ``authors/<author>/<id>`` so that "my shares" is one
listing, not a scan of every manifest. The content is written before the manifest: a share becomes
visible only once its file is complete.

Every method is a coroutine whose blocking work runs in the one executor (through the AWS seam for S3, which
counts and translates its transfers like every other AWS call), so the event loop never waits on a disk or the
network. ``progress`` callbacks get byte counts from those threads.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from ..errors import StudioCollabError
from ..jobs import JobCancelled
from ..studio.executor import QUICK, TRANSFER, Executor
from .manifest import SHARE_ID_RE, ShareManifest
from .transfer import Digest, HashingReader, HashingWriter, Progress, copy_file, larger_than_record, upload_too_large

if TYPE_CHECKING:
    from ..studio.aws import AwsClients

T = TypeVar("T")
_MAX_MANIFEST_BYTES = 64 << 10
# S3 parts: big enough for few requests, small enough that progress moves and memory stays low.
_PART_BYTES = 8 << 20
# Raised by our own reader, writer or progress callback inside a transfer: not AWS errors, passed as they are.
_OWN_STOPS = (StudioCollabError, JobCancelled)


def _content_missing() -> StudioCollabError:
    return StudioCollabError(
        "share_gone",
        "The shared file is no longer in the store (revoked, expired or cleaned up). Ask the author to share it again.",
        410,
    )


class ShareStore(ABC):
    kind: str

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the store is, for messages and `doctor` (never a credential)."""

    @abstractmethod
    async def check(self) -> None:
        """Raise StudioCollabError when the store cannot be used from here."""

    @abstractmethod
    async def put_content(
        self, share_id: str, source: BinaryIO, max_bytes: int, progress: Progress | None = None
    ) -> Digest:
        """Store ``source`` (a file, or bytes in memory) as the share's content; the digest is of what was
        stored. 413 past ``max_bytes``, and nothing is stored."""

    @abstractmethod
    async def get_content(
        self, share_id: str, target: BinaryIO, max_bytes: int, progress: Progress | None = None
    ) -> Digest:
        """Copy the content into ``target`` (a file open for reading and writing); the digest is of what
        was written. 410 when the content is gone, 409 past ``max_bytes``."""

    @abstractmethod
    async def put_manifest(self, manifest: ShareManifest) -> None:
        """Write (or replace) the manifest and its author marker."""

    @abstractmethod
    async def get_manifest(self, share_id: str) -> ShareManifest | None:
        """The manifest, None when there is none, ``share_damaged`` when it does not parse."""

    @abstractmethod
    async def author_share_ids(self, author: str) -> list[str]:
        """Ids of the shares ``author`` made (from the author markers)."""

    @abstractmethod
    async def all_share_ids(self) -> list[str]:
        """Every share id in the store (for the lazy cleanup)."""

    @abstractmethod
    async def delete_content(self, share_id: str) -> None:
        """Remove the shared file, keeping the manifest so links can still say why they stopped working."""

    @abstractmethod
    async def delete_share(self, share_id: str, author: str | None) -> None:
        """Remove everything of a share."""


def _parse_manifest(raw: bytes, share_id: str) -> ShareManifest:
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    return ShareManifest.from_json(data, share_id)


class FolderShareStore(ShareStore):
    """A folder: an EFS custom file system mounted in every space, or a local folder outside Studio."""

    kind = "folder"

    def __init__(self, folder: Path, executor: Executor | None = None):
        self.folder = folder
        self.executor = executor if executor is not None else Executor()

    @property
    def location(self) -> str:
        return str(self.folder)

    def _dir(self, share_id: str) -> Path:
        return self.folder / "shares" / share_id

    async def check(self) -> None:
        await self.executor.run(QUICK, self._check)

    def _check(self) -> None:
        """Read-only (it answers GET status): the folder, or the nearest folder above it, must be writable."""
        existing = self.folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise StudioCollabError(
                "share_store_unusable",
                f"The share folder {self.folder} cannot be used: "
                f"{existing} is not a folder. Ask your admin to mount it or set share_folder.",
                503,
            )
        if not os.access(existing, os.W_OK | os.X_OK):
            raise StudioCollabError(
                "share_store_unusable",
                f"The share folder {self.folder} is not writable "
                "from this space. Ask your admin to fix its permissions.",
                503,
            )

    def _ensure(self) -> None:
        """Make the store's folders on the first write."""
        try:
            (self.folder / "shares").mkdir(parents=True, exist_ok=True)
            (self.folder / "authors").mkdir(exist_ok=True)
        except OSError as err:
            raise StudioCollabError(
                "share_store_unusable",
                f"The share folder {self.folder} cannot be used "
                f"({err.strerror}). Ask your admin to mount it or set share_folder.",
                503,
            ) from None

    async def put_content(
        self, share_id: str, source: BinaryIO, max_bytes: int, progress: Progress | None = None
    ) -> Digest:
        return await self.executor.run(TRANSFER, self._put_content, share_id, source, max_bytes, progress)

    def _put_content(self, share_id: str, source: BinaryIO, max_bytes: int, progress: Progress | None) -> Digest:
        self._ensure()
        directory = self._dir(share_id)
        directory.mkdir(exist_ok=True)
        return _write_atomically(
            directory / "content",
            lambda target: copy_file(source, target, max_bytes, lambda: upload_too_large(max_bytes), progress),
        )

    async def get_content(
        self, share_id: str, target: BinaryIO, max_bytes: int, progress: Progress | None = None
    ) -> Digest:
        return await self.executor.run(TRANSFER, self._get_content, share_id, target, max_bytes, progress)

    def _get_content(self, share_id: str, target: BinaryIO, max_bytes: int, progress: Progress | None) -> Digest:
        try:
            # O_NOFOLLOW: a symlink planted in the store must not make us read a file outside it.
            fd = os.open(self._dir(share_id) / "content", os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            raise _content_missing() from None
        except OSError as err:
            raise StudioCollabError(
                "share_damaged",
                f"The shared file cannot be read from the store ({err.strerror}). Nothing was imported.",
                409,
            ) from None
        with os.fdopen(fd, "rb") as source:
            if os.fstat(fd).st_size > max_bytes:
                raise larger_than_record()  # refused before a byte is copied
            return copy_file(source, target, max_bytes, larger_than_record, progress)

    async def put_manifest(self, manifest: ShareManifest) -> None:
        await self.executor.run(QUICK, self._put_manifest, manifest)

    def _put_manifest(self, manifest: ShareManifest) -> None:
        self._ensure()
        directory = self._dir(manifest.id)
        directory.mkdir(exist_ok=True)
        body = json.dumps(manifest.to_json(), indent=1).encode()
        _write_atomically(directory / "manifest.json", lambda target: target.write(body))
        marker_dir = self.folder / "authors" / manifest.author
        marker_dir.mkdir(exist_ok=True)
        (marker_dir / manifest.id).touch()

    async def get_manifest(self, share_id: str) -> ShareManifest | None:
        return await self.executor.run(QUICK, self._get_manifest, share_id)

    def _get_manifest(self, share_id: str) -> ShareManifest | None:
        try:
            fd = os.open(self._dir(share_id) / "manifest.json", os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StudioCollabError(
                "share_damaged", f"The share's record cannot be read ({err.strerror}).", 409
            ) from None
        with os.fdopen(fd, "rb") as source:
            raw = source.read(_MAX_MANIFEST_BYTES + 1)
        return _parse_manifest(raw, share_id)

    async def author_share_ids(self, author: str) -> list[str]:
        return await self.executor.run(QUICK, self._ids_in, self.folder / "authors" / author)

    async def all_share_ids(self) -> list[str]:
        return await self.executor.run(QUICK, self._ids_in, self.folder / "shares")

    @staticmethod
    def _ids_in(directory: Path) -> list[str]:
        try:
            return sorted(name for name in os.listdir(directory) if SHARE_ID_RE.match(name))
        except FileNotFoundError:
            return []

    async def delete_content(self, share_id: str) -> None:
        await self.executor.run(QUICK, _unlink, self._dir(share_id) / "content")

    async def delete_share(self, share_id: str, author: str | None) -> None:
        await self.executor.run(QUICK, self._delete_share, share_id, author)

    def _delete_share(self, share_id: str, author: str | None) -> None:
        directory = self._dir(share_id)
        for name in ("content", "manifest.json"):
            _unlink(directory / name)
        if author:
            _unlink(self.folder / "authors" / author / share_id)
        try:
            directory.rmdir()
        except OSError:
            pass  # a leftover .part of a crashed upload: the next cleanup retries


def _write_atomically(path: Path, fill: Callable[[BinaryIO], T]) -> T:
    """Write a sibling temp file, then rename: readers see the old file or the whole new one.

    No fsync: after a crash a short file is caught by the sha256 check on import, so paying a disk flush
    (longer than the copy itself) on every share buys nothing."""
    part = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "w+b") as target:
            result = fill(target)
        os.replace(part, path)
        return result
    except BaseException:
        _unlink(part)
        raise


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


class S3ShareStore(ShareStore):
    """An S3 bucket (in Studio, e.g. the domain's SageMaker bucket), through the one AWS seam."""

    kind = "s3"

    def __init__(self, aws: AwsClients, bucket: str, prefix: str):
        self.aws = aws
        self.bucket = bucket
        prefix = prefix.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, share_id: str, name: str) -> str:
        return f"{self.prefix}shares/{share_id}/{name}"

    def _marker(self, author: str, share_id: str) -> str:
        return f"{self.prefix}authors/{author}/{share_id}"

    def _transfer_config(self):
        from boto3.s3.transfer import TransferConfig  # lazy: boto3 stays out of server start

        return TransferConfig(multipart_threshold=_PART_BYTES, multipart_chunksize=_PART_BYTES, max_concurrency=4)

    async def check(self) -> None:
        await self.aws.call("s3", "HeadBucket", Bucket=self.bucket)

    async def put_content(
        self, share_id: str, source: BinaryIO, max_bytes: int, progress: Progress | None = None
    ) -> Digest:
        reader = HashingReader(source, max_bytes)
        # S3's managed transfer, through the AWS seam: counted as PutObject (the IAM policy names it), errors
        # translated; our own stops (the size limit, a cancel from the progress callback) pass as they are.
        await self.aws.use(
            "s3",
            "PutObject",
            lambda s3: s3.upload_fileobj(
                reader,
                self.bucket,
                self._key(share_id, "content"),
                Config=self._transfer_config(),
                Callback=progress,
                ExtraArgs={"ContentType": "application/octet-stream"},
            ),
            passthrough=_OWN_STOPS,
        )
        return reader.digest

    async def get_content(
        self, share_id: str, target: BinaryIO, max_bytes: int, progress: Progress | None = None
    ) -> Digest:
        writer = HashingWriter(target, max_bytes)
        try:
            await self.aws.use(
                "s3",
                "GetObject",
                lambda s3: s3.download_fileobj(
                    self.bucket,
                    self._key(share_id, "content"),
                    writer,
                    Config=self._transfer_config(),
                    Callback=progress,
                ),
                passthrough=_OWN_STOPS,
            )
        except StudioCollabError as err:
            if err.code == "aws_not_found":
                raise _content_missing() from None
            raise
        return writer.digest

    async def put_manifest(self, manifest: ShareManifest) -> None:
        body = json.dumps(manifest.to_json(), indent=1).encode()
        await self.aws.call(
            "s3",
            "PutObject",
            Bucket=self.bucket,
            Key=self._key(manifest.id, "manifest.json"),
            Body=body,
            ContentType="application/json",
        )
        await self.aws.call(
            "s3", "PutObject", Bucket=self.bucket, Key=self._marker(manifest.author, manifest.id), Body=b""
        )

    async def get_manifest(self, share_id: str) -> ShareManifest | None:
        return await self.aws.in_thread(self._get_manifest, share_id)

    def _get_manifest(self, share_id: str) -> ShareManifest | None:
        try:
            answer = self.aws.run_sync("s3", "GetObject", Bucket=self.bucket, Key=self._key(share_id, "manifest.json"))
        except StudioCollabError as err:
            if err.code == "aws_not_found":
                return None
            raise
        with answer["Body"] as body:
            raw = body.read(_MAX_MANIFEST_BYTES + 1)
        return _parse_manifest(raw, share_id)

    async def author_share_ids(self, author: str) -> list[str]:
        prefix = self._marker(author, "")
        objects = await self.aws.paginate("s3", "ListObjectsV2", "Contents", Bucket=self.bucket, Prefix=prefix)
        ids = (obj["Key"][len(prefix) :] for obj in objects)
        return sorted(i for i in ids if SHARE_ID_RE.match(i))

    async def all_share_ids(self) -> list[str]:
        prefix = f"{self.prefix}shares/"
        folders = await self.aws.paginate(
            "s3", "ListObjectsV2", "CommonPrefixes", Bucket=self.bucket, Prefix=prefix, Delimiter="/"
        )
        ids = (entry["Prefix"][len(prefix) :].rstrip("/") for entry in folders)
        return sorted(i for i in ids if SHARE_ID_RE.match(i))

    async def delete_content(self, share_id: str) -> None:
        await self.aws.call("s3", "DeleteObject", Bucket=self.bucket, Key=self._key(share_id, "content"))

    async def delete_share(self, share_id: str, author: str | None) -> None:
        keys = [self._key(share_id, "content"), self._key(share_id, "manifest.json")]
        if author:
            keys.append(self._marker(author, share_id))
        # One DeleteObject per key (not DeleteObjects): the same IAM action as revoke, and at most three keys.
        await asyncio.gather(*(self.aws.call("s3", "DeleteObject", Bucket=self.bucket, Key=key) for key in keys))

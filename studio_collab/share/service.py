"""Share links (rows S1-S5): create, list, revoke, preview and import snapshots through a ShareStore.

Tornado-free. A share is a snapshot of one file under the server root, uploaded with its sha256 to the
store; the link names only the share id (no credential: the recipient's own Studio login and the store's
IAM permissions guard it). An import checks the manifest, downloads to a private temp file, verifies size
and sha256, and only then lands the copy under ``shared/<author>/`` without ever overwriting a file.
Large files move in a background job (progress, cancel); small ones answer at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import StudioCollabError
from ..jobs import Job, JobRegistry, JobReporter
from ..studio.cache import TtlCache
from ..studio.executor import QUICK, TRANSFER, Executor, settled
from ..studio.service import StudioService
from . import workspace
from .manifest import AUTHOR_RE, ShareManifest, check_share_id, iso, new_share_id, parse_iso, safe_title, utc_now
from .spaces import LAB_IMPORT_PARAM, SpaceDirectory, import_link, live_link
from .store import ShareStore

log = logging.getLogger(__name__)

# Revoked and expired shares keep their manifest this long, so an old link says "expired", not "unknown".
TOMBSTONE = timedelta(days=30)
CLEANUP_INTERVAL_SECONDS = 3600.0
_MANIFEST_READS = 8  # concurrent manifest reads when listing my shares
PREVIEW_FIELDS = ("id", "title", "author", "created", "expires", "size", "include_outputs", "target_space", "state")


@dataclass(frozen=True)
class ShareSettings:
    max_bytes: int = 100 << 20
    default_expiry_days: int = 7
    max_expiry_days: int = 365
    # Files above this size move in a background job with progress; below it the request just answers.
    job_threshold_bytes: int = 8 << 20
    # Set when the store cannot work here (e.g. no bucket named); every share route then says why.
    unusable_reason: str | None = None


@dataclass(frozen=True)
class Answer:
    """Either the finished result or the job that is producing it."""

    result: dict | None = None
    job: Job | None = None


class ShareService:
    def __init__(
        self,
        store: ShareStore,
        studio: StudioService,
        spaces: SpaceDirectory,
        jobs: JobRegistry,
        cache: TtlCache,
        root_dir: Path,
        settings: ShareSettings,
        clock: Callable[[], datetime] = utc_now,
        executor: Executor | None = None,
    ):
        self.store = store
        self.studio = studio
        self.spaces = spaces
        self.jobs = jobs
        self.cache = cache
        self.root_dir = root_dir
        self.settings = settings
        self.clock = clock
        self.executor = executor if executor is not None else Executor()
        self._last_cleanup = float("-inf")
        self._cleanup_task: asyncio.Task | None = None

    # --- lifecycle and availability --------------------------------------------------------------

    def start(self) -> None:
        if self.settings.unusable_reason is None:
            self._schedule_cleanup()

    async def stop(self) -> None:
        if self._cleanup_task is not None and not self._cleanup_task.done():
            self._cleanup_task.cancel()

    async def availability(self) -> dict:
        if self.settings.unusable_reason:
            return {"available": False, "reason": self.settings.unusable_reason}
        try:
            await self.cache.get(("share-store-check", self.store.location), self._check_store, 60.0)
        except StudioCollabError as err:
            return {"available": False, "reason": err.message}
        return {"available": True, "reason": None}

    async def _check_store(self) -> bool:
        await self.store.check()
        return True

    def _require_store(self) -> None:
        if self.settings.unusable_reason:
            raise StudioCollabError("share_unavailable", self.settings.unusable_reason, 503)

    @staticmethod
    def author_name(viewer: str) -> str:
        """The acting viewer (a Studio user profile, or outside Studio this server's account) as an author:
        a single safe path segment, since imports land under ``shared/<author>/``."""
        name = viewer if AUTHOR_RE.match(viewer) else re.sub(r"[^A-Za-z0-9._-]+", "-", viewer).strip("-._")[:63]
        if not AUTHOR_RE.match(name):
            raise StudioCollabError(
                "identity_unknown",
                "studio-collab cannot record you as an author: your user "
                "name has no usable characters. Open this space from SageMaker Studio.",
                403,
            )
        return name

    # --- create (S1, S2, S4) ---------------------------------------------------------------------

    async def create(self, viewer: str, body: dict, local_import_url: str) -> Answer:
        self._require_store()
        include_outputs = body.get("include_outputs", False)
        if not isinstance(include_outputs, bool):
            raise StudioCollabError("invalid_include_outputs", "include_outputs must be true or false.", 400)
        days = body.get("expires_in_days", self.settings.default_expiry_days)
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= self.settings.max_expiry_days:
            raise StudioCollabError(
                "invalid_expiry",
                f"expires_in_days must be a whole number from 1 to {self.settings.max_expiry_days}.",
                400,
            )
        source = await self.executor.run(
            QUICK, workspace.resolve_source, self.root_dir, body.get("path"), self.settings.max_bytes
        )
        title = safe_title(source.path.name)
        if title is None:
            raise StudioCollabError("invalid_path", "This file name cannot be shared; rename the file.", 400)
        author = self.author_name(viewer)
        share_id = new_share_id()
        url, target_space, live = await self._links(
            share_id, body.get("target_space"), source.relative, local_import_url
        )
        now = self.clock()
        manifest = ShareManifest(
            id=share_id,
            title=title,
            author=author,
            source_space=self.studio.context.space_name,
            source_path=source.relative,
            created=iso(now),
            expires=iso(now + timedelta(days=days)),
            include_outputs=include_outputs,
            size=0,
            sha256="0" * 64,
            target_space=target_space,
            url=url,
            live_url=live,
        )

        async def upload(reporter: JobReporter | None) -> dict:
            return {"share": await self._upload(source, manifest, reporter)}

        return await self._run("share", f"share:{share_id}", source.size, upload, author)

    async def _links(
        self, share_id: str, target: object, relative: str, local_import_url: str
    ) -> tuple[str, str | None, str | None]:
        if not self.spaces.in_studio:
            # Outside Studio there are no spaces: the link is this server's own import page.
            return f"{local_import_url}?{LAB_IMPORT_PARAM}={share_id}", None, None
        space, sso, own_url, own_type = await asyncio.gather(
            self.spaces.shared_target(target), self.spaces.sso(), self.spaces.own_url(), self.studio.space_type()
        )
        live = live_link(own_url, relative, sso) if own_type == "shared" and own_url else None
        return import_link(space["url"], share_id, sso), space["name"], live

    async def _upload(
        self, source: workspace.SourceFile, manifest: ShareManifest, reporter: JobReporter | None
    ) -> dict:
        handle = await self.executor.run(TRANSFER, workspace.snapshot_reader, source, manifest.include_outputs)
        try:
            # Closed right here, not in a thread: a local file opened for reading closes without I/O.
            with handle:
                digest = await settled(
                    self.store.put_content(
                        manifest.id, handle, self.settings.max_bytes, _progress(reporter, source.size, "Uploading")
                    )
                )
        except BaseException:
            await _quietly(self.store.delete_share(manifest.id, None))
            raise
        manifest.size, manifest.sha256 = digest.size, digest.sha256
        try:
            await self.store.put_manifest(manifest)
        except BaseException:
            # Never a stored file without its record, nor a record missing from its author's list (where it
            # could not be found to revoke): a share is there whole, or not at all.
            await _quietly(self.store.delete_share(manifest.id, manifest.author))
            raise
        self._schedule_cleanup()
        return manifest.public(self.clock())

    # --- mine and revoke (S3) --------------------------------------------------------------------

    async def list_mine(self, viewer: str) -> list[dict]:
        self._require_store()
        author = self.author_name(viewer)
        gate = asyncio.Semaphore(_MANIFEST_READS)

        async def read(share_id: str) -> ShareManifest | None:
            async with gate:
                try:
                    return await self.store.get_manifest(share_id)
                except StudioCollabError as err:
                    if err.code.startswith("aws_"):
                        raise  # the store is failing: a list without those shares would look like shares lost
                    log.warning("share %s skipped in the list: %s", share_id, err.code)
                    return None

        manifests = await asyncio.gather(*(read(i) for i in await self.store.author_share_ids(author)))
        now = self.clock()
        mine = [m for m in manifests if m is not None and m.author == author]
        return [m.public(now) for m in sorted(mine, key=lambda m: m.created, reverse=True)]

    async def revoke(self, viewer: str, share_id: object) -> dict:
        """Only the share's author revokes it; a share made from a private space is revoked from anywhere its
        author is named (their private space, or a shared space they open from Studio)."""
        self._require_store()
        manifest = await self._manifest(check_share_id(share_id))
        if manifest.author != self.author_name(viewer):
            raise StudioCollabError(
                "not_share_author", f"Only {manifest.author}, who made this share, can revoke it.", 403
            )
        if not manifest.revoked:
            manifest.revoked, manifest.revoked_at = True, iso(self.clock())
            # The manifest first: from this moment every import refuses, even one that races the delete.
            await self.store.put_manifest(manifest)
            await self.store.delete_content(manifest.id)
        return manifest.public(self.clock())

    # --- preview and import (S5) -----------------------------------------------------------------

    async def preview(self, share_id: object) -> dict:
        """What the import page shows (not where the author keeps the file); 404 unknown, 410 revoked or expired."""
        self._require_store()
        shown = self._importable(await self._manifest(check_share_id(share_id))).public(self.clock())
        return {key: shown[key] for key in PREVIEW_FIELDS}

    async def import_share(self, viewer: str, share_id: object) -> Answer:
        self._require_store()
        manifest = self._importable(await self._manifest(check_share_id(share_id)))
        if manifest.size > self.settings.max_bytes:
            raise workspace.too_large(manifest.size, self.settings.max_bytes)

        async def download(reporter: JobReporter | None) -> dict:
            return {"path": await self._download(manifest, reporter)}

        return await self._run(
            "share-import", f"share-import:{manifest.id}:{new_share_id()}", manifest.size, download, viewer
        )

    async def _download(self, manifest: ShareManifest, reporter: JobReporter | None) -> str:
        handle, temp = await self.executor.run(QUICK, workspace.download_target)
        try:
            with handle:  # the copy already flushed it: closing does no I/O
                digest = await settled(
                    self.store.get_content(
                        manifest.id, handle, manifest.size, _progress(reporter, manifest.size, "Downloading")
                    )
                )
            if digest.size != manifest.size or digest.sha256 != manifest.sha256:
                raise StudioCollabError(
                    "share_damaged",
                    "The shared file does not match its record (sha256 "
                    "differs): it was changed or damaged in the store. Nothing was imported; "
                    "ask the author to share again.",
                    409,
                )
            # Re-read: a revoke that landed during the download wins.
            self._importable(await self._manifest(manifest.id))
        except BaseException:
            await self.executor.run(QUICK, temp.unlink, True)
            raise
        return await self.executor.run(QUICK, workspace.land, self.root_dir, temp, manifest.author, manifest.title)

    async def _manifest(self, share_id: str) -> ShareManifest:
        manifest = await self.store.get_manifest(share_id)
        if manifest is None:
            raise StudioCollabError(
                "share_not_found",
                "There is no such share. Check that the whole link was copied; very old shares are removed.",
                404,
            )
        return manifest

    def _importable(self, manifest: ShareManifest) -> ShareManifest:
        state = manifest.state(self.clock())
        if state == "revoked":
            raise StudioCollabError(
                "share_revoked",
                f"{manifest.author} revoked this share of {manifest.title}. Ask them for a new link.",
                410,
            )
        if state == "expired":
            raise StudioCollabError(
                "share_expired",
                f"This share of {manifest.title} expired on {manifest.expires}. Ask {manifest.author} for a new link.",
                410,
            )
        return manifest

    # --- jobs and cleanup ------------------------------------------------------------------------

    async def _run(
        self, kind: str, key: str, size: int, work: Callable[[JobReporter | None], Awaitable[dict]], owner: str | None
    ) -> Answer:
        if size <= self.settings.job_threshold_bytes:
            return Answer(result=await work(None))
        return Answer(job=self.jobs.start(kind, key, work, owner=owner))

    def _schedule_cleanup(self) -> None:
        """Lazy cleanup: at most once an hour per server, in the background, after a write."""
        now = time.monotonic()
        if now - self._last_cleanup < CLEANUP_INTERVAL_SECONDS:
            return
        self._last_cleanup = now
        self._cleanup_task = asyncio.get_running_loop().create_task(self._cleanup_quietly())

    async def _cleanup_quietly(self) -> None:
        try:
            await self.cleanup()
        except StudioCollabError as err:
            log.info("share cleanup skipped: %s", err.message)

    async def cleanup(self) -> int:
        """Drop the files of expired shares, and whole shares once their tombstone time passed."""
        now, removed = self.clock(), 0
        for share_id in await self.store.all_share_ids():
            try:
                manifest = await self.store.get_manifest(share_id)
            except StudioCollabError:
                continue  # a damaged record is left for a person to look at
            if manifest is None or manifest.state(now) == "active":
                continue  # no manifest: an upload in progress
            ended = parse_iso(manifest.revoked_at or manifest.expires)
            if ended + TOMBSTONE <= now:
                await self.store.delete_share(share_id, manifest.author)
                removed += 1
            elif not manifest.revoked:
                await self.store.delete_content(share_id)
        return removed


def _progress(reporter: JobReporter | None, total: int, verb: str):
    if reporter is None:
        return None
    moved = 0
    total_mb = total / (1 << 20)

    def on_bytes(count: int) -> None:
        nonlocal moved
        reporter.raise_if_cancelled()
        moved += count
        reporter.report(
            progress=moved / total if total else 1.0, message=f"{verb} {moved / (1 << 20):.1f} of {total_mb:.1f} MB"
        )

    return on_bytes


async def _quietly(work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:  # noqa: BLE001 - tidying after a failure must not hide that failure
        log.warning("could not remove a partial share", exc_info=True)

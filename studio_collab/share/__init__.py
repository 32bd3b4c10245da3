"""Share links (rows S1-S6): snapshots of a notebook into a store every space reaches, imported on confirm."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .service import ShareService, ShareSettings
from .spaces import SpaceDirectory
from .store import FolderShareStore, S3ShareStore, ShareStore

if TYPE_CHECKING:
    from ..core import Core


def default_share_folder() -> Path:
    return Path.home() / ".local" / "share" / "studio-collab" / "shares"


def build_store(core: Core) -> tuple[ShareStore, str | None]:
    """The configured store, and why it cannot work here (None when it can)."""
    config = core.settings.share
    if config.store == "s3":
        reason = (
            None
            if config.s3_bucket
            else (
                "Sharing needs a bucket: ask your admin to set StudioCollabApp.share_s3_bucket (e.g. the domain's "
                "SageMaker bucket), or to use share_store 'folder' with a shared EFS mount."
            )
        )
        return S3ShareStore(core.aws, config.s3_bucket, config.s3_prefix), reason
    folder = Path(config.folder).expanduser() if config.folder else default_share_folder()
    reason = None
    if core.context.in_studio and not config.folder:
        # Each Studio space has its own disk: a folder in the home directory reaches no other space.
        reason = (
            "Spaces do not share disks: ask your admin to set StudioCollabApp.share_folder to an EFS file "
            "system mounted in every space, or to use share_store 's3' with a bucket."
        )
    return FolderShareStore(folder.resolve(), core.executor), reason


def build_service(core: Core) -> ShareService:
    store, unusable_reason = build_store(core)
    config = core.settings.share
    settings = ShareSettings(
        max_bytes=config.max_bytes, default_expiry_days=config.default_expiry_days, unusable_reason=unusable_reason
    )
    spaces = SpaceDirectory(core.studio, core.aws, core.cache, core.settings.core.cache_ttl_seconds)
    return ShareService(
        store, core.studio, spaces, core.jobs, core.cache, core.root_dir, settings, executor=core.executor
    )

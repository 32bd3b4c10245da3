"""Share links (rows S1-S6): snapshots of a notebook into a store every space reaches, imported on confirm."""

from __future__ import annotations

from pathlib import Path

from .service import ShareService, ShareSettings
from .spaces import SpaceDirectory
from .store import FolderShareStore, S3ShareStore, ShareStore


def default_share_folder() -> Path:
    return Path.home() / ".local" / "share" / "studio-collab" / "shares"


def build_store(app, services: dict) -> tuple[ShareStore, str | None]:
    """The configured store, and why it cannot work here (None when it can)."""
    if app.share_store == "s3":
        reason = None if app.share_s3_bucket else (
            "Sharing needs a bucket: ask your admin to set StudioCollabApp.share_s3_bucket (e.g. the domain's "
            "SageMaker bucket), or to use share_store 'folder' with a shared EFS mount.")
        return S3ShareStore(services["aws"], app.share_s3_bucket, app.share_s3_prefix), reason
    folder = Path(app.share_folder).expanduser() if app.share_folder else default_share_folder()
    reason = None
    if services["context"].in_studio and not app.share_folder:
        # Each Studio space has its own disk: a folder in the home directory reaches no other space.
        reason = ("Spaces do not share disks: ask your admin to set StudioCollabApp.share_folder to an EFS file "
                  "system mounted in every space, or to use share_store 's3' with a bucket.")
    return FolderShareStore(folder.resolve(), services["aws"].executor), reason


def build_service(app, services: dict) -> ShareService:
    store, unusable_reason = build_store(app, services)
    settings = ShareSettings(max_bytes=app.share_max_bytes, default_expiry_days=app.share_default_expiry_days,
                             unusable_reason=unusable_reason)
    spaces = SpaceDirectory(services["studio"], services["aws"], services["cache"], app.cache_ttl_seconds)
    return ShareService(store, services["studio"], spaces, services["jobs"], services["cache"], services["root_dir"],
                        settings, executor=services["aws"].executor)

"""A share's manifest: the small JSON record kept next to the shared file in the store.

Everything read back from a store is untrusted (any space with write access to the bucket or the EFS
folder could have changed it), so :meth:`ShareManifest.from_json` checks every field strictly: the id
must be the one asked for, the author and title must be single safe path segments (they become
``shared/<author>/<title>`` on import), and size and sha256 must be well formed.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from ..errors import StudioCollabError

FORMAT = "studio-collab-share/1"

# secrets.token_urlsafe(16): 128 random bits as 22 URL-safe base64 characters.
SHARE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")
# SageMaker user profile names are [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}; dots and underscores are allowed for
# local account names outside Studio. Never starts with a dot, so never "." or "..".
AUTHOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_MAX_TITLE_BYTES = 255
_MAX_TEXT = 1024


def new_share_id() -> str:
    return secrets.token_urlsafe(16)


def check_share_id(share_id: object) -> str:
    """The id itself, or a 400: ids end up in store keys and file names, so only the exact format passes."""
    if not isinstance(share_id, str) or not SHARE_ID_RE.match(share_id):
        raise StudioCollabError(
            "invalid_share_id",
            "This is not a share id. Check that the link was copied "
            "whole; share ids are 22 letters, digits, '-' or '_'.",
            400,
        )
    return share_id


def safe_title(name: str) -> str | None:
    """``name`` when it is usable as one file name (no separators, no NUL, not a dot name), else None."""
    if not isinstance(name, str) or not name or name in (".", ".."):
        return None
    if "/" in name or "\\" in name or "\x00" in name or any(ord(c) < 32 for c in name):
        return None
    if len(name.encode("utf-8", "surrogatepass")) > _MAX_TITLE_BYTES:
        return None
    return name


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("naive time")
    return moment


@dataclass
class ShareManifest:
    id: str
    title: str
    author: str
    source_space: str | None
    source_path: str
    created: str
    expires: str
    include_outputs: bool
    size: int
    sha256: str
    target_space: str | None
    url: str
    live_url: str | None = None
    revoked: bool = False
    revoked_at: str | None = None

    def expired(self, now: datetime) -> bool:
        return parse_iso(self.expires) <= now

    def state(self, now: datetime) -> str:
        if self.revoked:
            return "revoked"
        return "expired" if self.expired(now) else "active"

    def to_json(self) -> dict:
        return {"format": FORMAT, **asdict(self)}

    def public(self, now: datetime) -> dict:
        """What the API shows: the manifest and its state, never where the store keeps it."""
        data = asdict(self)
        data["state"] = self.state(now)
        return data

    @classmethod
    def from_json(cls, data: object, share_id: str) -> ShareManifest:
        """A manifest read from a store, or ``share_damaged`` (409) when any field is not as written."""
        try:
            return cls._parse(data, share_id)
        except (KeyError, TypeError, ValueError) as err:
            raise StudioCollabError(
                "share_damaged",
                "This share's record in the store is damaged or was changed "
                f"({err}). Nothing was imported; ask the author to share again.",
                409,
            ) from None

    @classmethod
    def _parse(cls, data: object, share_id: str) -> ShareManifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("unknown format")
        if data["id"] != share_id:
            raise ValueError("id does not match")
        author = _text(data, "author")
        if not AUTHOR_RE.match(author):
            raise ValueError("bad author")
        title = safe_title(_text(data, "title"))
        if title is None:
            raise ValueError("bad title")
        size = data["size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError("bad size")
        sha256 = _text(data, "sha256")
        if not SHA256_RE.match(sha256):
            raise ValueError("bad sha256")
        for key in ("created", "expires"):
            parse_iso(_text(data, key))
        if data.get("revoked_at") is not None:
            parse_iso(_text(data, "revoked_at"))
        for key in ("include_outputs", "revoked"):
            if not isinstance(data.get(key, False), bool):
                raise ValueError(f"bad {key}")
        return cls(
            id=share_id,
            title=title,
            author=author,
            source_space=_optional(data, "source_space"),
            source_path=_text(data, "source_path"),
            created=data["created"],
            expires=data["expires"],
            include_outputs=data["include_outputs"],
            size=size,
            sha256=sha256,
            target_space=_optional(data, "target_space"),
            url=_text(data, "url"),
            live_url=_optional(data, "live_url"),
            revoked=data.get("revoked", False),
            revoked_at=data.get("revoked_at"),
        )


def _text(data: dict, key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise ValueError(f"bad {key}")
    return value


def _optional(data: dict, key: str) -> str | None:
    return None if data.get(key) is None else _text(data, key)

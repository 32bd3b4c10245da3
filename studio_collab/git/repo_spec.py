"""What a catalog repo is, and the rules every URL, branch and target must pass before git sees them.

The browser only ever sends a repo id; everything git is given comes from here, so these checks are the
whole attack surface for option injection (``--upload-pack``), remote helpers (``ext::``, ``fd::``), local
transports (``file://``), credentials in URLs and targets that escape the server root.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ..errors import StudioCollabError

SOURCES = ("config", "space", "user_profile", "domain")  # also the precedence when two sources name one repo
CONFIG_KEYS = {"url", "name", "branch", "target", "depth", "description", "credentials_secret"}

# Options of git clone/fetch that run commands or rewrite config (GitPython's own deny list, plus the
# spellings git accepts); no catalog field may carry them, even where git would never see the field.
_UNSAFE_OPTION_TEXT = ("--upload-pack", "--receive-pack", "--exec", "--config", "--template", "--separate-git-dir")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SECRET_ID = re.compile(r"^[A-Za-z0-9/_+=.@:-]{1,2048}$")
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_SLUG = re.compile(r"[^a-z0-9]+")


class CatalogError(ValueError):
    """A catalog entry that must not be used; the message names the entry and the rule it breaks."""


@dataclass(frozen=True)
class RepoSpec:
    id: str
    name: str
    url: str
    source: str
    target: str
    branch: str | None = None
    depth: int | None = None
    description: str | None = None
    credentials_secret: str | None = field(default=None, repr=False)

    @property
    def normalized_url(self) -> str:
        return normalize_url(self.url)

    def display(self) -> dict:
        """The allow-listed fields the browser may see (never the credentials reference)."""
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "branch": self.branch,
            "target": self.target,
            "source": self.source,
            "description": self.description,
            "private": bool(self.credentials_secret),
        }


def check_url(url: object, allow_ssh: bool = False) -> str:
    """The URL stripped of surrounding blanks, or :class:`CatalogError` saying which rule it breaks."""
    if not isinstance(url, str) or not url.strip():
        raise CatalogError("has no url")
    url = url.strip()
    if len(url) > 2048 or _CONTROL.search(url) or " " in url:
        raise CatalogError("has a url with spaces or control characters")
    if url.startswith("-"):
        raise CatalogError("has a url starting with '-', which git would read as an option")
    if "::" in url.split("/", 1)[0] or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*::", url):
        raise CatalogError("uses a git remote helper (like ext:: or fd::); only https URLs are allowed")
    _refuse_unsafe_option_text(url, "url")
    # GitPython's own protocol guard runs again right before every clone (see clone.py)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = ("https", "ssh") if allow_ssh else ("https",)
    if scheme not in allowed:
        hint = "" if allow_ssh or scheme != "ssh" else " (an admin can allow ssh with allow_ssh_repositories)"
        raise CatalogError(f"uses {scheme or 'a local path'}: only {' or '.join(allowed)} URLs are allowed{hint}")
    if parts.password is not None or (scheme == "https" and parts.username is not None):
        raise CatalogError(
            "embeds credentials in its url; put the token in AWS Secrets Manager and name the "
            "secret in credentials_secret"
        )
    try:
        port = parts.port
    except ValueError:
        raise CatalogError("has an invalid port in its url") from None
    if not parts.hostname or port == 0:
        raise CatalogError("has no host in its url")
    if parts.hostname.startswith("-"):  # ssh reads '-oProxyCommand=…' as an option (CVE-2017-1000117)
        raise CatalogError("has a host starting with '-', which ssh would read as an option")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise CatalogError("has a query or fragment in its url (tokens sometimes hide there); remove it")
    if parts.path.strip("/") == "":
        raise CatalogError("has no repository path in its url")
    problem = _path_spelling_problem(parts.path)
    if problem:
        raise CatalogError(problem)
    if any(segment.startswith("-") for segment in parts.path.split("/")):
        raise CatalogError("has a url path segment starting with '-'")
    return url


def normalize_url(url: str) -> str:
    """The form two spellings of one repo share, compared before any prefix match or allow-list: lower-case
    scheme and host (no trailing dot), no default port, percent-encoded letters, digits and ``-._~`` decoded,
    ``.``/``..`` segments resolved (RFC 3986 §6.2.2), no repeated, trailing ``/`` or ``.git``. The path keeps its
    case (most servers are case-sensitive)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    if port and not ((scheme == "https" and port == 443) or (scheme == "ssh" and port == 22)):
        host = f"{host}:{port}"
    user = f"{parts.username}@" if scheme == "ssh" and parts.username else ""
    path = _remove_dot_segments(_UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), parts.path))
    path = _ESCAPE.sub(lambda m: m.group(0).upper(), re.sub(r"/+", "/", path)).rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return f"{scheme}://{user}{host}{path}"


# A percent-escape of a letter, digit or -._~ (RFC 3986 "unreserved"): the same path can be written without it.
_UNRESERVED_ESCAPE = re.compile(r"%(3[0-9]|4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa]|2[DdEe]|5[Ff]|7[Ee])")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _remove_dot_segments(path: str) -> str:
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    return "/".join(kept) if kept != [""] else "/"


def _path_spelling_problem(path: str) -> str | None:
    """Why a URL path would be read as another path than the one written (the catalog refuses those: a
    ``team/../other`` URL must never match the ``team/`` credentials prefix), or None."""
    decoded = [unquote(segment) for segment in path.split("/")]
    if any(segment in (".", "..") for segment in decoded):
        return "has '.' or '..' segments in its url path (also percent-encoded); write the path it means"
    if any("/" in segment or "\\" in segment for segment in decoded):
        return "has an encoded '/' or '\\' in its url path; write the path it means"
    if _UNRESERVED_ESCAPE.search(path):
        return (
            "has percent-encoded letters, digits or '-._~' in its url path; write them as plain characters "
            f"({_UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), path)})"
        )
    return None


def redact_url(url: str) -> str:
    """A URL safe to log or show: any user:password@ part, query and fragment removed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=netloc, query="", fragment="").geturl()


def check_branch(branch: object) -> str:
    """A branch name git's ``check-ref-format --branch`` would accept (the same rules, no subprocess)."""
    if not isinstance(branch, str) or not branch:
        raise CatalogError("has an empty branch")
    if len(branch) > 255:
        raise CatalogError("has a branch name over 255 characters")
    bad = (
        branch.startswith(("-", "/"))
        or branch.endswith(("/", ".", ".lock"))
        or "//" in branch
        or ".." in branch
        or "@{" in branch
        or branch in ("@", "HEAD")
        or _REF_FORBIDDEN.search(branch)
        or any(part.startswith(".") or part.endswith(".lock") for part in branch.split("/"))
    )
    if bad:
        raise CatalogError(f"has a branch name git refuses ({branch!r})")
    _refuse_unsafe_option_text(branch, "branch")
    return branch


def check_target(target: object) -> str:
    """A relative folder under the server root: no absolute path, no ``..``, no ``.git``, no option."""
    if not isinstance(target, str) or not target.strip():
        raise CatalogError("has an empty target")
    if len(target) > 255 or _CONTROL.search(target) or "\\" in target:
        raise CatalogError("has a target with control characters or backslashes")
    if target.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", target):
        raise CatalogError("has an absolute target; give a folder relative to the server root")
    parts = target.strip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise CatalogError("has a target with '.', '..' or empty parts; it must stay inside the server root")
    if any(p.startswith("-") for p in parts):
        raise CatalogError("has a target part starting with '-'")
    if any(p.lower() == ".git" for p in parts):
        raise CatalogError("has a target inside a .git folder")
    return "/".join(parts)


def resolve_inside(root: Path, relative: str) -> Path:
    """``root/relative`` with symlinks resolved; refused when it lands outside ``root``."""
    root = root.resolve()
    path = (root / relative).resolve()
    if path != root and root not in path.parents:
        raise StudioCollabError(
            "path_outside_root",
            f"'{relative}' leads outside the server root (through a symlink or '..'); pick another target.",
            400,
        )
    return path


def refuse_symlinks(root: Path, relative: str, status: int = 409) -> None:
    """Each part of ``root/relative`` that exists must not be a symlink: status and open report a link as a
    link (``is_symlink`` naming it), never read or open what it points to, even inside the root."""
    current = root
    for part in PurePosixPath(relative).parts:
        current = current / part
        if current.is_symlink():
            shown = current.relative_to(root).as_posix()
            raise StudioCollabError(
                "is_symlink",
                f"'{shown}' is a symbolic link; studio-collab does not follow "
                "links. Replace it with the folder or file itself (or open its target "
                "directly).",
                status,
            )
        if not current.exists():
            return


def check_repo_path(path: object) -> str:
    """A file path inside a repo, as an open link carries it ('' means the repo folder)."""
    if path is None or path == "":
        return ""
    if not isinstance(path, str) or len(path) > 1024 or _CONTROL.search(path) or "\\" in path:
        raise StudioCollabError("invalid_path", "The file path in the link is not valid.", 400)
    pure = PurePosixPath(path)
    if pure.is_absolute() or any(p in ("..", ".") for p in pure.parts) or any(p.lower() == ".git" for p in pure.parts):
        raise StudioCollabError("invalid_path", "The file path in the link must stay inside the repository.", 400)
    return "/".join(pure.parts)


def repo_id(normalized_url: str, name: str) -> str:
    """Stable across restarts and sources: a readable slug plus a hash of the normalised URL."""
    digest = hashlib.sha256(normalized_url.encode("utf-8")).hexdigest()[:10]
    slug = _SLUG.sub("-", name.lower()).strip("-")[:40].strip("-")
    return f"{slug}-{digest}" if slug else digest


def default_name(url: str) -> str:
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    last = last[:-4] if last.endswith(".git") else last
    return last or "repository"


def default_target(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).lstrip(".-")
    return cleaned[:100] or "repository"


def spec_from_config(index: int, entry: object, allow_ssh: bool) -> RepoSpec:
    """One admin catalog entry, checked; :class:`CatalogError` names the entry (without credentials)."""
    label = f"repositories[{index}]"
    if not isinstance(entry, dict):
        raise CatalogError(f"{label} must be an object with at least a url")
    if isinstance(entry.get("url"), str):
        label += f" ({redact_url(entry['url'].strip())})"
    try:
        unknown = set(entry) - CONFIG_KEYS
        if unknown:
            raise CatalogError(f"has unknown keys {sorted(unknown)}; allowed: {sorted(CONFIG_KEYS)}")
        url = check_url(entry.get("url"), allow_ssh)
        name = _text_field(entry, "name", 200) or default_name(url)
        description = _text_field(entry, "description", 1000)
        branch = check_branch(entry["branch"]) if entry.get("branch") is not None else None
        target = check_target(entry["target"]) if entry.get("target") is not None else default_target(name)
        depth = entry.get("depth")
        if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or not 0 < depth <= 1_000_000):
            raise CatalogError("has a depth that is not a whole number from 1 to 1000000")
        secret = entry.get("credentials_secret")
        if secret is not None and (
            not isinstance(secret, str) or not _SECRET_ID.match(secret) or secret.startswith("-")
        ):
            raise CatalogError("has a credentials_secret that is not a Secrets Manager name or ARN")
    except CatalogError as err:
        raise CatalogError(f"{label} {err}") from None
    return RepoSpec(
        id=repo_id(normalize_url(url), name),
        name=name,
        url=url,
        source="config",
        target=target,
        branch=branch,
        depth=depth,
        description=description,
        credentials_secret=secret,
    )


def spec_from_studio(url: object, source: str, allow_ssh: bool) -> RepoSpec:
    """A ``CodeRepositories`` URL from the domain, space or user profile (no branch, no credentials)."""
    checked = check_url(url, allow_ssh)
    name = default_name(checked)
    return RepoSpec(
        id=repo_id(normalize_url(checked), name), name=name, url=checked, source=source, target=default_target(name)
    )


def load_config_catalog(entries: list, allow_ssh: bool) -> list[RepoSpec]:
    """Every admin entry checked at server start: one bad entry stops the load with its name and rule."""
    specs: list[RepoSpec] = []
    seen: dict[str, int] = {}
    targets: dict[str, int] = {}
    for index, entry in enumerate(entries or []):
        spec = spec_from_config(index, entry, allow_ssh)
        key = spec.normalized_url
        if key in seen:
            raise CatalogError(f"repositories[{index}] names the same repository as repositories[{seen[key]}]")
        if spec.target in targets:
            raise CatalogError(
                f"repositories[{index}] has the same target '{spec.target}' as repositories[{targets[spec.target]}]"
            )
        seen[key] = index
        targets[spec.target] = index
        specs.append(spec)
    return specs


def load_credential_prefixes(mapping: dict, allow_ssh: bool) -> list[tuple[str, str]]:
    """``git_credentials`` checked: ``[(normalised url prefix, secret)]``, longest prefix first."""
    prefixes = []
    for prefix, secret in (mapping or {}).items():
        label = f"git_credentials[{redact_url(prefix) if isinstance(prefix, str) else prefix!r}]"
        try:
            check_url(prefix.rstrip("/") + "/x" if isinstance(prefix, str) else prefix, allow_ssh)
            if not isinstance(secret, str) or not _SECRET_ID.match(secret) or secret.startswith("-"):
                raise CatalogError("is not a Secrets Manager name or ARN")
        except CatalogError as err:
            raise CatalogError(f"{label} {err}") from None
        prefixes.append((normalize_url(prefix), secret))
    return sorted(prefixes, key=lambda item: len(item[0]), reverse=True)


def credentials_for(normalized_url: str, prefixes: list[tuple[str, str]]) -> str | None:
    """The secret of the longest prefix that covers the URL on a path boundary."""
    for prefix, secret in prefixes:
        if normalized_url == prefix or normalized_url.startswith(prefix + "/"):
            return secret
    return None


def _text_field(entry: dict, key: str, limit: int) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or _CONTROL.search(value):
        raise CatalogError(f"has a {key} that is not plain text of at most {limit} characters")
    _refuse_unsafe_option_text(value, key)
    return value.strip() or None


def _refuse_unsafe_option_text(value: str, key: str) -> None:
    lowered = value.lower()
    for option in _UNSAFE_OPTION_TEXT:
        if option in lowered:
            raise CatalogError(f"has '{option}' in its {key}; git options are never accepted from the catalog")

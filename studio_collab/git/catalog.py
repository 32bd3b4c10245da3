"""The repo catalog (row G1): the admin's list ∪ Studio's CodeRepositories, deduplicated, with stable ids.

Studio keeps ``CodeRepositories`` (URLs only) on the domain (``DefaultUserSettings``, and
``DefaultSpaceSettings`` for shared spaces), on the space, and on the space owner's user profile. They
are read through the one Studio service (cached) and merged with the admin's ``repositories`` traitlet;
a repo named twice appears once, with the most specific source (config, space, user profile, domain).
A Studio URL that breaks the rules (plain http, credentials in it) is left out with a warning.
"""

from __future__ import annotations

import dataclasses
import logging

from ..errors import StudioCollabError
from ..studio.cache import TtlCache
from ..studio.service import StudioService
from .repo_spec import SOURCES, CatalogError, RepoSpec, credentials_for, redact_url, spec_from_studio

log = logging.getLogger(__name__)


class RepoCatalog:
    def __init__(
        self,
        config_specs: list[RepoSpec],
        studio: StudioService,
        cache: TtlCache,
        ttl: float,
        allow_ssh: bool = False,
        credential_prefixes: list[tuple[str, str]] | None = None,
    ):
        self.config_specs = list(config_specs)
        self.credential_prefixes = credential_prefixes or []
        self.studio = studio
        self.cache = cache
        self.ttl = ttl
        self.allow_ssh = allow_ssh

    async def load(self) -> tuple[list[RepoSpec], list[str]]:
        """The repos and any warnings (a source that could not be read, an entry that was refused)."""
        cached = await self.cache.get_or_stale(("git-catalog",), self._build, self.ttl)
        specs, warnings = cached.value
        if cached.stale_reason:
            warnings = [*warnings, f"Showing the last known repositories: {cached.stale_reason}"]
        return specs, warnings

    async def get(self, repo_id: str) -> RepoSpec:
        specs, _ = await self.load()
        for spec in specs:
            if spec.id == repo_id:
                return spec
        raise StudioCollabError(
            "repo_not_found",
            "No repository with this id is in the catalog. Reload the panel; the catalog may have changed.",
            404,
        )

    async def _build(self) -> tuple[list[RepoSpec], list[str]]:
        warnings: list[str] = []
        found: list[tuple[str, object]] = []
        if self.studio.context.in_studio:
            for source, loader in (
                ("space", self._space_urls),
                ("user_profile", self._profile_urls),
                ("domain", self._domain_urls),
            ):
                try:
                    found += [(source, url) for url in await loader()]
                except StudioCollabError as err:
                    warnings.append(f"Could not read the {source.replace('_', ' ')}'s repositories: {err.message}")
        specs = merge_sources(self.config_specs, found, self.allow_ssh, warnings)
        return [with_credentials(spec, self.credential_prefixes) for spec in specs], warnings

    async def _domain_urls(self) -> list:
        domain = await self.studio.describe_domain()
        urls = _code_repositories(domain.get("DefaultUserSettings"))
        if await self.studio.space_type() == "shared":
            urls += _code_repositories(domain.get("DefaultSpaceSettings"))
        return urls

    async def _space_urls(self) -> list:
        if not self.studio.context.space_name:
            return []
        space = await self.studio.describe_space()
        return _code_repositories(space.get("SpaceSettings"))

    async def _profile_urls(self) -> list:
        owner = await self.studio.owner()
        if not owner:
            return []
        profile = await self.studio.describe_user_profile(owner)
        return _code_repositories(profile.get("UserSettings"))


def merge_sources(
    config_specs: list[RepoSpec], found: list[tuple[str, object]], allow_ssh: bool, warnings: list[str]
) -> list[RepoSpec]:
    """Config first, then Studio URLs in precedence order; one entry per normalised URL, unique targets."""
    by_url: dict[str, RepoSpec] = {spec.normalized_url: spec for spec in config_specs}
    targets = {spec.target for spec in config_specs}
    ordered = list(config_specs)
    for source, url in sorted(found, key=lambda item: SOURCES.index(item[0])):
        try:
            spec = spec_from_studio(url, source, allow_ssh)
        except CatalogError as err:
            shown = redact_url(url) if isinstance(url, str) else "an entry"
            log.warning("studio-collab: skipped %s repository %s: %s", source, shown, err)
            warnings.append(f"Skipped a {source.replace('_', ' ')} repository ({shown}): it {err}.")
            continue
        if spec.normalized_url in by_url:
            continue
        if spec.target in targets:  # two repos named alike, e.g. team-a/models and team-b/models
            spec = dataclasses.replace(spec, target=f"{spec.target}-{spec.id.rsplit('-', 1)[-1][:6]}")
        by_url[spec.normalized_url] = spec
        targets.add(spec.target)
        ordered.append(spec)
    return ordered


def with_credentials(spec: RepoSpec, prefixes: list[tuple[str, str]]) -> RepoSpec:
    """Attach the admin's ``git_credentials`` secret to a repo that names none itself."""
    if spec.credentials_secret or not prefixes:
        return spec
    secret = credentials_for(spec.normalized_url, prefixes)
    return dataclasses.replace(spec, credentials_secret=secret) if secret else spec


def _code_repositories(settings: object) -> list:
    if not isinstance(settings, dict):
        return []
    jupyterlab = settings.get("JupyterLabAppSettings") or {}
    repos = jupyterlab.get("CodeRepositories") or [] if isinstance(jupyterlab, dict) else []
    return [r.get("RepositoryUrl") for r in repos if isinstance(r, dict)]

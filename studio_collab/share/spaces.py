"""The domain's spaces and the links into them (row S4).

A space's public address is only known from DescribeSpace's ``Url`` (studio-facts §1.5); JupyterLab runs
under ``/jupyterlab/default`` there. For IAM Identity Center (SSO) domains AWS documents that the URL
needs ``redirect=JupyterLab`` appended. ListSpaces answers once for the whole domain (cached); the
DescribeSpace calls behind the URLs go through the shared Studio cache, a few at a time.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ..errors import StudioCollabError
from ..studio.aws import AwsClients
from ..studio.cache import TtlCache
from ..studio.service import StudioService

log = logging.getLogger(__name__)

JUPYTERLAB_BASE = "/jupyterlab/default"
IMPORT_ROUTE = "studio-collab/import"
_DESCRIBE_CONCURRENCY = 8


def space_link(space_url: str, route: str, query: list[tuple[str, str]], sso: bool) -> str:
    """``space_url`` + JupyterLab's base path + ``route``, keeping any query the Url already has."""
    parts = urlsplit(space_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise StudioCollabError(
            "space_url_invalid",
            "Studio gave this space an address that is not a web URL; open the space once in Studio, then share again.",
            502,
        )
    path = parts.path.rstrip("/")
    if not path.endswith(JUPYTERLAB_BASE):
        path += JUPYTERLAB_BASE
    params = parse_qsl(parts.query, keep_blank_values=True) + query
    if sso and not any(key == "redirect" for key, _ in params):
        params.append(("redirect", "JupyterLab"))
    return urlunsplit((parts.scheme, parts.netloc, f"{path}/{route}", urlencode(params), ""))


# A share link opens the recipient's JupyterLab itself (…/lab?studio-collab-import=<id>): the lab asks in a
# dialog and opens the copy in the recipient's workspace. IMPORT_ROUTE's page stays as the no-JavaScript fallback.
LAB_IMPORT_PARAM = "studio-collab-import"


def import_link(space_url: str, share_id: str, sso: bool) -> str:
    return space_link(space_url, "lab", [(LAB_IMPORT_PARAM, share_id)], sso)


def live_link(space_url: str, relative_path: str, sso: bool) -> str:
    return space_link(space_url, "lab/tree/" + quote(relative_path, safe="/"), [], sso)


class SpaceDirectory:
    def __init__(self, studio: StudioService, aws: AwsClients, cache: TtlCache, ttl: float):
        self.studio = studio
        self.aws = aws
        self.cache = cache
        self.ttl = ttl

    @property
    def in_studio(self) -> bool:
        return self.studio.context.in_studio and bool(self.studio.context.domain_id)

    async def sso(self) -> bool:
        domain = await self.studio.describe_domain()
        return domain.get("AuthMode") == "SSO"

    async def spaces(self) -> list[dict]:
        """Every space of the domain with its sharing type, owner and URL; [] outside Studio."""
        if not self.in_studio:
            return []
        domain_id = self.studio.context.domain_id
        details = await self.cache.get(
            ("ListSpaces", domain_id),
            lambda: self.aws.paginate("sagemaker", "ListSpaces", "Spaces", DomainIdEquals=domain_id),
            self.ttl,
        )
        gate = asyncio.Semaphore(_DESCRIBE_CONCURRENCY)

        failures: list[StudioCollabError] = []

        async def url_of(name: str) -> str | None:
            async with gate:
                try:
                    return (await self.studio.describe_space(name)).get("Url") or None
                except StudioCollabError as err:
                    # One space we may not describe must not hide the others; it just has no link.
                    log.info("no URL for space %s: %s", name, err.code)
                    failures.append(err)
                    return None

        names = [d.get("SpaceName") for d in details if d.get("SpaceName")]
        urls = await asyncio.gather(*(url_of(n) for n in names))
        if names and len(failures) == len(names):
            raise failures[0]  # not one space could be described: say why, rather than list spaces without links
        by_name = {d.get("SpaceName"): d for d in details}
        return [
            _space_row(by_name[name], url, name == self.studio.context.space_name) for name, url in zip(names, urls)
        ]

    async def shared_target(self, name: object) -> dict:
        """The space a share is for: it must be a Shared JupyterLab space of this domain, with a URL."""
        if not isinstance(name, str) or not name:
            raise StudioCollabError("invalid_target_space", "Choose the shared space the link is for.", 400)
        space = next((s for s in await self.spaces() if s["name"] == name), None)
        if space is None:
            raise StudioCollabError(
                "unknown_space",
                f"There is no space '{name}' in this domain. Reload the list of spaces and choose again.",
                400,
            )
        if space["sharing"] != "Shared" or space["app_type"] != "JupyterLab":
            raise StudioCollabError(
                "target_not_shared",
                f"'{name}' is not a shared JupyterLab space; a share link must land in one. Choose a shared space.",
                400,
            )
        if not space["url"]:
            # Studio has no URL for it yet, or DescribeSpace failed: then that failure is the answer, not "no URL"
            space = {**space, "url": (await self.studio.describe_space(name)).get("Url") or None}
        if not space["url"]:
            raise StudioCollabError(
                "space_url_missing",
                f"Studio gives no URL for '{name}' yet. Open the space once in Studio, then share again.",
                409,
            )
        return space

    async def own_url(self) -> str | None:
        """This space's URL, when this server runs in a Studio space."""
        if not self.in_studio or not self.studio.context.space_name:
            return None
        try:
            return (await self.studio.describe_space()).get("Url") or None
        except StudioCollabError as err:
            log.info("no URL for this space: %s", err.code)
            return None


def _space_row(detail: dict, url: str | None, current: bool) -> dict:
    return {
        "name": detail["SpaceName"],
        "display_name": detail.get("SpaceDisplayName") or detail["SpaceName"],
        "sharing": (detail.get("SpaceSharingSettingsSummary") or {}).get("SharingType") or "Private",
        "owner": (detail.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName"),
        "url": url,
        "app_type": (detail.get("SpaceSettingsSummary") or {}).get("AppType"),
        "status": detail.get("Status"),
        "current": current,
    }

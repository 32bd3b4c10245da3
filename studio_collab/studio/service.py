"""The Studio facts every feature needs, read once through the AWS seam and cached.

DescribeDomain, DescribeSpace and DescribeUserProfile feed the repo catalog, share links, idle policy and
the domain posture; they change rarely, so one short-TTL cache entry serves all features and tabs.
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import StudioCollabError
from .aws import AwsClients
from .cache import TtlCache
from .context import StudioContext
from .identity import PROFILE_NAME, STUDIO_ANONYMOUS_NAME, Viewer, claimed_name, local_account

log = logging.getLogger(__name__)


class StudioService:
    def __init__(self, context: StudioContext, aws: AwsClients, cache: TtlCache, ttl: float = 60.0):
        self.context = context
        self.aws = aws
        self.cache = cache
        self.ttl = ttl

    async def describe_domain(self) -> dict:
        domain_id = self._require("domain_id")
        return await self.cache.get(
            ("DescribeDomain", domain_id),
            lambda: self.aws.call("sagemaker", "DescribeDomain", DomainId=domain_id),
            self.ttl,
        )

    async def describe_space(self, space_name: str | None = None) -> dict:
        domain_id = self._require("domain_id")
        name = space_name or self._require("space_name")
        return await self.cache.get(
            ("DescribeSpace", domain_id, name),
            lambda: self.aws.call("sagemaker", "DescribeSpace", DomainId=domain_id, SpaceName=name),
            self.ttl,
        )

    async def describe_user_profile(self, profile: str) -> dict:
        domain_id = self._require("domain_id")
        return await self.cache.get(
            ("DescribeUserProfile", domain_id, profile),
            lambda: self.aws.call("sagemaker", "DescribeUserProfile", DomainId=domain_id, UserProfileName=profile),
            self.ttl,
        )

    async def owner(self) -> str | None:
        """The user profile that owns this space (None outside Studio or when AWS cannot say)."""
        if not self.context.in_studio or not self.context.space_name:
            return None
        try:
            space = await self.describe_space()
        except StudioCollabError as err:
            log.info("space owner unknown: %s", err.message)
            return self.context.user_profile
        return (space.get("OwnershipSettings") or {}).get("OwnerUserProfileName") or self.context.user_profile

    async def space_type(self) -> str | None:
        if self.context.space_type:
            return self.context.space_type
        if not self.context.in_studio or not self.context.space_name:
            return None
        try:
            space = await self.describe_space()
        except StudioCollabError:
            return None
        sharing = (space.get("SpaceSharingSettings") or {}).get("SharingType")
        return sharing.lower() if isinstance(sharing, str) else None

    async def viewer(self, current_user: Any) -> Viewer:
        """Who is acting (see :mod:`.identity`): the owner of a private space; in a shared space (or one whose
        type cannot be read) the identity provider's name, only when it is a user profile of this domain.
        Never raises: a viewer who cannot be confirmed is unknown, with the reason."""
        if not self.context.in_studio:
            return local_account()
        if await self.space_type() == "private":
            owner = await self.owner()
            return Viewer(owner) if owner else Viewer(None, "the owner of this private space could not be read.")
        name = claimed_name(current_user)
        if not name or name == STUDIO_ANONYMOUS_NAME:
            return Viewer(
                None, "this request carries no Studio user name (the studioUserProfileName cookie is missing)."
            )
        if not PROFILE_NAME.fullmatch(name):
            return Viewer(None, "the name this request carries is not a Studio user profile name.")
        try:
            member = await self.is_user_profile(name)
        except StudioCollabError as err:
            return Viewer(None, f"Studio could not confirm the user profile {name} ({err.message})")
        if not member:
            return Viewer(None, f"{name} is not a user profile of this domain.")
        return Viewer(name)

    async def is_user_profile(self, name: str) -> bool:
        """Whether ``name`` is a user profile of this domain; both answers are cached (a wrong cookie sent
        again and again costs one AWS call per TTL, not one per request)."""
        domain_id = self._require("domain_id")

        async def load() -> bool:
            try:
                profile = await self.describe_user_profile(name)
            except StudioCollabError as err:
                if err.code == "aws_not_found":
                    return False
                raise
            return profile.get("Status") not in ("Deleting", "Delete_Failed")

        return await self.cache.get(("IsUserProfile", domain_id, name), load, self.ttl)

    def _require(self, field: str) -> str:
        value = getattr(self.context, field)
        if not self.context.in_studio or not value:
            raise StudioCollabError(
                "not_in_studio",
                self.context.reason or "This needs SageMaker Studio resource metadata; none was found.",
                409,
            )
        return value

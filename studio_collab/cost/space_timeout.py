"""Setting this space's own idle timeout (row C11) within the range the admin allows.

Studio keeps a space's choice in ``SpaceSettings.<App>AppSettings.AppLifecycleManagement.IdleSettings``
(shape ``SpaceIdleSettings``: only ``IdleTimeoutInMinutes``), changed with ``UpdateSpace``; the admin's
``Min/MaxIdleTimeoutInMinutes`` on the user profile or domain bound it. Only the space's owner changes it:
in a shared space every collaborator's app would follow one person's choice otherwise.
"""

from __future__ import annotations

import logging

from ..errors import StudioCollabError
from .idle import IdleWatch, app_settings_key

log = logging.getLogger(__name__)

# The members UpdateSpace accepts in each app's space settings (botocore: SpaceJupyterLabAppSettings,
# SpaceCodeEditorAppSettings). Sent back whole, so that an UpdateSpace that replaces the block keeps them.
_SETTABLE = {
    "JupyterLabAppSettings": ("DefaultResourceSpec", "CodeRepositories", "AppLifecycleManagement"),
    "CodeEditorAppSettings": ("DefaultResourceSpec", "AppLifecycleManagement"),
}


class SpaceIdleTimeout:
    def __init__(self, idle: IdleWatch, studio, aws, context, cache):
        self.idle = idle
        self.studio = studio
        self.aws = aws
        self.context = context
        self.cache = cache

    async def set(self, minutes, viewer: str | None) -> dict:
        if not isinstance(minutes, int) or isinstance(minutes, bool):
            raise StudioCollabError("invalid_minutes", "minutes must be a whole number of minutes.", 400)
        domain_id, space_name = self.context.domain_id, self.context.space_name
        if not (self.context.in_studio and domain_id and space_name):
            raise StudioCollabError(
                "not_in_studio", "A space's idle timeout can be set only inside a Studio space.", 409
            )
        owner = await self.studio.owner()
        if viewer is None or owner is None or viewer != owner:
            raise StudioCollabError(
                "not_owner", f"Only the owner of {space_name} ({owner or 'unknown'}) sets its idle timeout.", 403
            )
        _, allowed = await self.idle.aws_policy()
        if allowed is None:
            raise StudioCollabError(
                "idle_policy_off",
                "Studio's idle shutdown is not enabled for this space, so "
                "there is no timeout to set. Ask your admin to enable it.",
                409,
            )
        if not allowed["min"] <= minutes <= allowed["max"]:
            raise StudioCollabError(
                "timeout_out_of_range",
                f"Choose between {allowed['min']} and {allowed['max']} "
                f"minutes (the range your admin allows); {minutes} is outside it.",
                400,
            )
        key = app_settings_key(self.context.app_type)
        space = await self.studio.describe_space()
        current = (space.get("SpaceSettings") or {}).get(key) or {}
        settings = {k: v for k, v in current.items() if k in _SETTABLE.get(key, ())}
        settings["AppLifecycleManagement"] = {"IdleSettings": {"IdleTimeoutInMinutes": minutes}}
        await self.aws.call(
            "sagemaker", "UpdateSpace", DomainId=domain_id, SpaceName=space_name, SpaceSettings={key: settings}
        )
        self.cache.invalidate(("DescribeSpace", domain_id, space_name))
        log.info("studio-collab idle: %s set the idle timeout of %s to %d minutes", viewer, space_name, minutes)
        return await self.idle.status()

"""Stop a forgotten resource (row C5): a notebook instance, a Studio app or an MLflow tracking server.

Each stop first reads the resource fresh from AWS, so the answer is a plain 404 (gone), 409 (not running)
or 403 (not the viewer's) rather than whatever error text AWS gives for a stop that cannot happen. Every
stop is decided here, on the server, for a named viewer only (the handler refuses an unknown one):

- the kind must be one the admin lets users stop (``StudioCollabApp.cost_stop_kinds``, default Studio apps);
- a Studio app only in a space the viewer owns, or in the shared space they are working in (a Studio Classic
  app: only its own user profile's);
- a notebook instance (an account resource, outside any domain) only when its ``sagemaker:user-profile-arn``
  tag, which AWS sets on what a user profile creates, names the viewer's profile in this domain;
- an MLflow tracking server not when another user profile created it.

When ownership cannot be read (no permission, no tag) the stop is refused: nobody's resource is stopped on a
guess. Every stop is logged with who asked.
"""

from __future__ import annotations

import logging
import re

from ..errors import StudioCollabError
from .inventory import RUNNING_APP_STATUSES, RUNNING_MLFLOW_STATUSES
from .rows import PAGE

log = logging.getLogger(__name__)

STOPPABLE = {
    "notebook_instance": "StopNotebookInstance",
    "app": "DeleteApp",
    "mlflow_tracking_server": "StopMlflowTrackingServer",
}
# The kinds an admin can let users stop (StudioCollabApp.cost_stop_kinds), and the default: Studio apps only.
STOP_KINDS = ("app", "notebook_instance", "mlflow_tracking_server", "mlflow_app")
DEFAULT_STOP_KINDS = ("app",)
# The tag AWS puts on a resource a Studio user profile creates (studio-facts §8.4); its value is the profile's ARN.
PROFILE_ARN_TAG = "sagemaker:user-profile-arn"
_KIND_LABELS = {
    "app": "Studio apps",
    "notebook_instance": "notebook instances",
    "mlflow_tracking_server": "MLflow tracking servers",
    "mlflow_app": "MLflow Apps",
}
APP_TYPES = (
    "JupyterServer",
    "KernelGateway",
    "DetailedProfiler",
    "TensorBoard",
    "CodeEditor",
    "JupyterLab",
    "RStudioServerPro",
    "RSessionGateway",
    "Canvas",
)
# SageMaker's own name patterns and lengths, checked before any AWS call (apps: <space or profile>/<AppType>/<AppName>).
_PART = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
_NAMES = {
    "notebook_instance": (re.compile(_PART), 63),
    "mlflow_tracking_server": (re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}"), 256),
    "app": (re.compile(rf"{_PART}/({'|'.join(APP_TYPES)})/{_PART}"), 63),
}


class ResourceStopper:
    def __init__(self, aws, studio, context, allowed_kinds: tuple[str, ...] | list[str] = DEFAULT_STOP_KINDS):
        self.aws = aws
        self.studio = studio
        self.context = context
        self.allowed_kinds = tuple(allowed_kinds)

    async def stop(self, kind: str, name, viewer: str) -> dict:
        """Stop ``name`` of ``kind`` for ``viewer`` (a named user profile: the route refuses unknown viewers)."""
        if kind not in STOPPABLE:
            raise StudioCollabError(
                "invalid_kind", "kind must be one of notebook_instance, app, mlflow_tracking_server.", 400
            )
        pattern, longest = _NAMES[kind]
        if (
            not isinstance(name, str)
            or not pattern.fullmatch(name)
            or max(len(part) for part in name.split("/")) > longest
        ):
            raise StudioCollabError("invalid_name", "name must be the resource name shown in the table.", 400)
        if kind not in self.allowed_kinds:
            raise StudioCollabError(
                "stop_not_allowed",
                f"Stopping {_KIND_LABELS[kind]} from studio-collab is off "
                f"here, so {name} is left running. Whoever administers the account stops it "
                "(SageMaker console), or an admin adds "
                f'"{kind}" to StudioCollabApp.cost_stop_kinds.',
                403,
            )
        finders = {
            "app": self._app,
            "notebook_instance": self._notebook_instance,
            "mlflow_tracking_server": self._tracking_server,
        }
        params = await finders[kind](name, viewer)
        operation = STOPPABLE[kind]
        log.info("studio-collab cost: %s asked to stop %s %s (%s)", viewer, kind, name, operation)
        try:
            await self.aws.call("sagemaker", operation, **params)
        except StudioCollabError as err:
            log.info("studio-collab cost: stopping %s %s for %s failed: %s", kind, name, viewer, err.code)
            raise
        log.info("studio-collab cost: %s stopped %s %s", viewer, kind, name)
        return {"kind": kind, "name": name, "action": operation, "requested_by": viewer}

    async def _notebook_instance(self, name: str, viewer: str) -> dict:
        found = await self._describe("DescribeNotebookInstance", "notebook instance", name, NotebookInstanceName=name)
        _must_run(name, found.get("NotebookInstanceStatus") == "InService")
        tags = await self.aws.call("sagemaker", "ListTags", ResourceArn=found.get("NotebookInstanceArn") or "")
        creator = next((t.get("Value") for t in tags.get("Tags") or [] if t.get("Key") == PROFILE_ARN_TAG), None)
        mine = self._profile_arn_names(creator, viewer)
        if not mine:
            who = (
                f"the user profile its {PROFILE_ARN_TAG} tag names ({creator})"
                if creator
                else f"its creator (it has no {PROFILE_ARN_TAG} tag, so no user profile here is known to own it)"
            )
            raise StudioCollabError(
                "not_owner",
                f"{name} is a notebook instance of the account; only {who} stops "
                "it from studio-collab, or an account admin in the SageMaker console.",
                403,
            )
        return {"NotebookInstanceName": name}

    def _profile_arn_names(self, arn: str | None, viewer: str) -> bool:
        """Whether ``arn`` is ``arn:<partition>:sagemaker:<region>:<account>:user-profile/<this domain>/<viewer>``."""
        if not arn:
            return False
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sagemaker":
            return False
        if self.context.account_id and parts[4] != self.context.account_id:
            return False
        return parts[5] == f"user-profile/{self.context.domain_id}/{viewer}"

    async def _tracking_server(self, name: str, viewer: str) -> dict:
        found = await self._describe(
            "DescribeMlflowTrackingServer", "MLflow tracking server", name, TrackingServerName=name
        )
        _must_run(name, found.get("TrackingServerStatus") in RUNNING_MLFLOW_STATUSES)
        creator = (found.get("CreatedBy") or {}).get("UserProfileName")
        if creator is not None and creator != viewer:
            raise _not_owner(name, creator)
        return {"TrackingServerName": name}

    async def _app(self, name: str, viewer: str) -> dict:
        domain_id = self.context.domain_id
        if not domain_id:
            raise StudioCollabError("not_in_studio", "Apps can be stopped only from inside a Studio domain.", 409)
        holder, app_type, app_name = name.split("/")
        # The holder is a space (JupyterLab, Code Editor) or, for Studio Classic apps, a user profile.
        for holder_param in ({"SpaceNameEquals": holder}, {"UserProfileNameEquals": holder}):
            apps = await self.aws.paginate(
                "sagemaker", "ListApps", "Apps", DomainIdEquals=domain_id, **holder_param, **PAGE
            )
            app = next(
                (
                    a
                    for a in apps
                    if (a.get("AppType"), a.get("AppName")) == (app_type, app_name)
                    and a.get("Status") in RUNNING_APP_STATUSES
                ),
                None,
            )
            if app is None:
                continue
            if app.get("SpaceName"):
                await self._may_stop_in_space(name, app["SpaceName"], viewer)
                return {"DomainId": domain_id, "AppType": app_type, "AppName": app_name, "SpaceName": app["SpaceName"]}
            if app.get("UserProfileName") != viewer:
                raise _not_owner(name, app.get("UserProfileName") or "its user profile")
            return {
                "DomainId": domain_id,
                "AppType": app_type,
                "AppName": app_name,
                "UserProfileName": app["UserProfileName"],
            }
        raise StudioCollabError("not_found", f"No running app {name} in this domain. Reload the table.", 404)

    async def _describe(self, operation: str, what: str, name: str, **params) -> dict:
        try:
            return await self.aws.call("sagemaker", operation, **params)
        except StudioCollabError as err:
            # A missing notebook instance is a ValidationException ("RecordNotFound") in AWS's answer.
            if err.code == "aws_not_found" or (err.code == "aws_validation" and "not" in err.message.lower()):
                raise StudioCollabError(
                    "not_found", f"There is no {what} named {name}. Reload the table.", 404
                ) from err
            raise

    async def _may_stop_in_space(self, name: str, space_name: str, viewer: str) -> None:
        """The viewer owns the space, or it is the shared space this server runs in (where they work)."""
        if space_name == self.context.space_name and await self.studio.space_type() == "shared":
            return
        space = await self.studio.describe_space(space_name)  # no permission: the 403 names the IAM action
        owner = (space.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
        if owner != viewer:
            shared = (space.get("SpaceSharingSettings") or {}).get("SharingType") == "Shared"
            raise _not_owner(name, owner or f"the owner of {space_name}", shared_space=space_name if shared else None)


def _must_run(name: str, running: bool) -> None:
    if not running:
        raise StudioCollabError(
            "not_running", f"{name} is not running, so there is nothing to stop. Reload the table.", 409
        )


def _not_owner(name: str, owner: str, shared_space: str | None = None) -> StudioCollabError:
    where = f" (or a member working in the shared space {shared_space})" if shared_space else ""
    return StudioCollabError(
        "not_owner", f"{name} belongs to {owner}; only {owner}{where} stops it from studio-collab.", 403
    )

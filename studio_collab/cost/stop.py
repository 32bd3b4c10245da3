"""Stop a forgotten resource (row C5): a notebook instance, a Studio app or an MLflow tracking server.

Each stop first reads the resource fresh from AWS, so the answer is a plain 404 (gone), 409 (not running)
or 403 (someone else's) rather than whatever error text AWS gives for a stop that cannot happen. Apps and
tracking servers whose owner is known are stopped only by that owner; notebook instances have no owner in
AWS's answers, so the execution role's permissions decide. Every stop is logged with who asked.
"""

from __future__ import annotations

import logging
import re

from ..errors import StudioCollabError
from .inventory import RUNNING_APP_STATUSES, RUNNING_MLFLOW_STATUSES
from .rows import PAGE

log = logging.getLogger(__name__)

STOPPABLE = {"notebook_instance": "StopNotebookInstance", "app": "DeleteApp",
             "mlflow_tracking_server": "StopMlflowTrackingServer"}
APP_TYPES = ("JupyterServer", "KernelGateway", "DetailedProfiler", "TensorBoard", "CodeEditor", "JupyterLab",
             "RStudioServerPro", "RSessionGateway", "Canvas")
# SageMaker's own name patterns and lengths, checked before any AWS call (apps: <space or profile>/<AppType>/<AppName>).
_PART = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
_NAMES = {
    "notebook_instance": (re.compile(_PART), 63),
    "mlflow_tracking_server": (re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}"), 256),
    "app": (re.compile(rf"{_PART}/({'|'.join(APP_TYPES)})/{_PART}"), 63),
}


class ResourceStopper:
    def __init__(self, aws, studio, context):
        self.aws = aws
        self.studio = studio
        self.context = context

    async def stop(self, kind: str, name, viewer: str | None) -> dict:
        if kind not in STOPPABLE:
            raise StudioCollabError("invalid_kind", "kind must be one of notebook_instance, app, "
                                    "mlflow_tracking_server.", 400)
        pattern, longest = _NAMES[kind]
        if not isinstance(name, str) or not pattern.fullmatch(name) or \
                max(len(part) for part in name.split("/")) > longest:
            raise StudioCollabError("invalid_name", "name must be the resource name shown in the table.", 400)
        finders = {"app": self._app, "notebook_instance": self._notebook_instance,
                   "mlflow_tracking_server": self._tracking_server}
        params = await finders[kind](name, viewer)
        operation = STOPPABLE[kind]
        log.info("studio-collab cost: %s asked to stop %s %s (%s)", viewer or "unknown user", kind, name, operation)
        try:
            await self.aws.call("sagemaker", operation, **params)
        except StudioCollabError as err:
            log.info("studio-collab cost: stopping %s %s for %s failed: %s", kind, name, viewer, err.code)
            raise
        log.info("studio-collab cost: %s stopped %s %s", viewer or "unknown user", kind, name)
        return {"kind": kind, "name": name, "action": operation, "requested_by": viewer}

    async def _notebook_instance(self, name: str, viewer: str | None) -> dict:
        found = await self._describe("DescribeNotebookInstance", "notebook instance", name, NotebookInstanceName=name)
        _must_run(name, found.get("NotebookInstanceStatus") == "InService")
        return {"NotebookInstanceName": name}

    async def _tracking_server(self, name: str, viewer: str | None) -> dict:
        found = await self._describe("DescribeMlflowTrackingServer", "MLflow tracking server", name,
                                     TrackingServerName=name)
        _must_run(name, found.get("TrackingServerStatus") in RUNNING_MLFLOW_STATUSES)
        _must_own(name, (found.get("CreatedBy") or {}).get("UserProfileName"), viewer)
        return {"TrackingServerName": name}

    async def _app(self, name: str, viewer: str | None) -> dict:
        domain_id = self.context.domain_id
        if not domain_id:
            raise StudioCollabError("not_in_studio", "Apps can be stopped only from inside a Studio domain.", 409)
        holder, app_type, app_name = name.split("/")
        # The holder is a space (JupyterLab, Code Editor) or, for Studio Classic apps, a user profile.
        for holder_param in ({"SpaceNameEquals": holder}, {"UserProfileNameEquals": holder}):
            apps = await self.aws.paginate("sagemaker", "ListApps", "Apps", DomainIdEquals=domain_id, **holder_param,
                                           **PAGE)
            app = next((a for a in apps if (a.get("AppType"), a.get("AppName")) == (app_type, app_name)
                        and a.get("Status") in RUNNING_APP_STATUSES), None)
            if app is None:
                continue
            if app.get("SpaceName"):
                _must_own(name, await self._space_owner(app["SpaceName"]), viewer)
                return {"DomainId": domain_id, "AppType": app_type, "AppName": app_name, "SpaceName": app["SpaceName"]}
            _must_own(name, app.get("UserProfileName"), viewer)
            return {"DomainId": domain_id, "AppType": app_type, "AppName": app_name,
                    "UserProfileName": app["UserProfileName"]}
        raise StudioCollabError("not_found", f"No running app {name} in this domain. Reload the table.", 404)

    async def _describe(self, operation: str, what: str, name: str, **params) -> dict:
        try:
            return await self.aws.call("sagemaker", operation, **params)
        except StudioCollabError as err:
            # A missing notebook instance is a ValidationException ("RecordNotFound") in AWS's answer.
            if err.code == "aws_not_found" or (err.code == "aws_validation" and "not" in err.message.lower()):
                raise StudioCollabError("not_found", f"There is no {what} named {name}. Reload the table.",
                                        404) from err
            raise

    async def _space_owner(self, space_name: str) -> str | None:
        try:
            space = await self.studio.describe_space(space_name)
        except StudioCollabError as err:
            if err.code == "aws_access_denied":
                return None  # cannot tell: the execution role's permissions decide
            raise
        return (space.get("OwnershipSettings") or {}).get("OwnerUserProfileName")


def _must_run(name: str, running: bool) -> None:
    if not running:
        raise StudioCollabError("not_running", f"{name} is not running, so there is nothing to stop. "
                                "Reload the table.", 409)


def _must_own(name: str, owner: str | None, viewer: str | None) -> None:
    if owner is not None and viewer is not None and owner != viewer:
        raise StudioCollabError("not_owner", f"{name} belongs to {owner}; only its owner stops it here.", 403)

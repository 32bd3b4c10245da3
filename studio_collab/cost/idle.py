"""This app's idleness (rows C3, C4) and the optional own idle shutdown.

Idle means: no kernel busy, and no kernel or terminal activity for a while. Open but silent kernels do
not count (AWS's own shutdown counting them is why it "never shuts down"), and neither do HTTP requests,
since the panel's own polling would keep the app alive forever. The own shutdown (off by default, meant for
domains without AWS's) warns first, then calls DeleteApp on this app; outside Studio it never deletes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import StudioCollabError
from .blockers import IdleBlockers

log = logging.getLogger(__name__)

# AppType → the settings block of DescribeSpace / UserSettings that holds its idle policy.
_APP_SETTINGS = {"JupyterLab": "JupyterLabAppSettings", "CodeEditor": "CodeEditorAppSettings"}
_RETRY_AFTER_FAILED_SHUTDOWN = timedelta(minutes=5)
# IdleSettings accept 60..525,600 minutes (botocore's model); a bound the admin did not set is the API's.
API_MIN_IDLE_MINUTES = 60
API_MAX_IDLE_MINUTES = 525600


def app_settings_key(app_type: str | None) -> str:
    return _APP_SETTINGS.get(app_type or "JupyterLab", "JupyterLabAppSettings")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class IdleWatch:
    def __init__(
        self,
        kernel_manager: Callable[[], Any],
        terminal_manager: Callable[[], Any],
        context,
        studio,
        aws,
        shutdown_minutes: float = 0,
        warning_minutes: float = 10,
        clock: Callable[[], datetime] = utcnow,
        session_manager: Callable[[], Any] = lambda: None,
    ):
        self._kernel_manager = kernel_manager
        self._terminal_manager = terminal_manager
        self.context = context
        self.studio = studio
        self.aws = aws
        self.shutdown_minutes = max(0.0, float(shutdown_minutes or 0))
        self.warning_minutes = max(0.0, min(float(warning_minutes or 0), self.shutdown_minutes))
        self.clock = clock
        self.blockers = IdleBlockers(kernel_manager, terminal_manager, session_manager, lambda v: _iso(_parse(v)))
        self.started_at = clock()
        self._kept_alive_at: datetime | None = None
        self._shutdown_requested_at: datetime | None = None
        self._shutdown_error: str | None = None
        self._failed_at: datetime | None = None
        self._task: asyncio.Task | None = None

    # --- what the kernels and terminals say ---------------------------------------------------------------
    def activity(self) -> dict:
        now = self.clock()
        kernels = []
        manager = self._kernel_manager()
        for model in manager.list_kernels() if manager is not None else []:
            kernels.append(
                {
                    "id": model.get("id"),
                    "name": model.get("name"),
                    "execution_state": model.get("execution_state"),
                    "last_activity": _iso(_parse(model.get("last_activity"))),
                    "connections": model.get("connections", 0),
                }
            )
        terminals = []
        terminal_manager = self._terminal_manager()
        for model in terminal_manager.list() if terminal_manager is not None else []:
            terminals.append({"name": model.get("name"), "last_activity": _iso(_parse(model.get("last_activity")))})
        busy = any(k["execution_state"] == "busy" for k in kernels)
        moments = [self.started_at] + [m for m in (self._kept_alive_at,) if m]
        moments += [_parse(k["last_activity"]) for k in kernels] + [_parse(t["last_activity"]) for t in terminals]
        last = max(m for m in moments if m is not None)
        if busy:
            last = now
        return {
            "last_activity": last,
            "busy": busy,
            "kernels": kernels,
            "terminals": terminals,
            "idle_seconds": max(0.0, (now - last).total_seconds()),
            "now": now,
        }

    # --- which policy stops this app ----------------------------------------------------------------------
    async def policies(self) -> tuple[list[dict], list[str], dict | None]:
        """Every idle policy that applies, notes on those that could not be read, and the range of
        timeouts the user may choose for this space (None when Studio's lifecycle management is off)."""
        found: list[dict] = []
        notes: list[str] = []
        allowed = None
        if self.shutdown_minutes > 0:
            found.append({"source": "studio_collab", "timeout_minutes": self.shutdown_minutes})
        if self.context.in_studio and self.context.space_name:
            try:
                aws_policy, allowed = await self.aws_policy()
            except StudioCollabError as err:
                notes.append(f"Studio's idle policy is unknown: {err.message}")
            else:
                if aws_policy:
                    found.append(aws_policy)
        return found, notes, allowed

    async def aws_policy(self) -> tuple[dict | None, dict | None]:
        """Space, then user profile, then domain: AWS's order. Lifecycle management must be ENABLED at the
        profile or domain level for any timeout to apply; shared spaces take the domain's space defaults.
        The range a user may choose comes from the same levels' Min/MaxIdleTimeoutInMinutes; where the admin
        set no bound, the API's own limits (60 and 525,600 minutes) are the bound."""
        key = app_settings_key(self.context.app_type)
        space = await self.studio.describe_space()
        domain = await self.studio.describe_domain()
        shared = (space.get("SpaceSharingSettings") or {}).get("SharingType") == "Shared"
        levels: list[tuple[str, dict]] = [("space", _idle_settings(space.get("SpaceSettings"), key))]
        if not shared:
            owner = (space.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
            if owner:
                profile = await self.studio.describe_user_profile(owner)
                levels.append(("user_profile", _idle_settings(profile.get("UserSettings"), key)))
        defaults = domain.get("DefaultSpaceSettings") if shared else domain.get("DefaultUserSettings")
        levels.append(("domain", _idle_settings(defaults, key)))
        admin_levels = levels[1:]
        switch = next((s.get("LifecycleManagement") for _, s in admin_levels if s.get("LifecycleManagement")), None)
        if switch != "ENABLED":
            return None, None
        bounds = {}
        for bound, field, limit in (
            ("min", "MinIdleTimeoutInMinutes", API_MIN_IDLE_MINUTES),
            ("max", "MaxIdleTimeoutInMinutes", API_MAX_IDLE_MINUTES),
        ):
            bounds[bound] = next((s[field] for _, s in admin_levels if isinstance(s.get(field), int)), limit)
        bounds["source"] = next(
            (
                source
                for source, s in admin_levels
                if isinstance(s.get("MinIdleTimeoutInMinutes"), int)
                or isinstance(s.get("MaxIdleTimeoutInMinutes"), int)
            ),
            "api_limits",
        )
        for source, settings in levels:
            minutes = settings.get("IdleTimeoutInMinutes")
            if isinstance(minutes, int) and minutes > 0:
                return {"source": source, "timeout_minutes": minutes}, bounds
        return None, bounds

    async def status(self) -> dict:
        local = self.activity()
        policies, notes, allowed = await self.policies()
        effective = min(policies, key=lambda p: p["timeout_minutes"]) if policies else None
        allowed_range = {"min": allowed["min"], "max": allowed["max"], "source": allowed["source"]} if allowed else None
        shutdown_at = None
        if effective and not local["busy"]:
            shutdown_at = local["last_activity"] + timedelta(minutes=effective["timeout_minutes"])
        own = self.shutdown_minutes > 0
        warning = bool(
            own and not local["busy"] and local["idle_seconds"] >= (self.shutdown_minutes - self.warning_minutes) * 60
        )
        if own and not self.deletes_in_studio:
            notes.append("Own idle shutdown is configured, but outside SageMaker Studio nothing is ever stopped.")
        return {
            "last_activity": _iso(local["last_activity"]),
            "idle_minutes": round(local["idle_seconds"] / 60, 2),
            "busy": local["busy"],
            "kernels": local["kernels"],
            "terminals": local["terminals"],
            # What keeps Studio's own idle shutdown from counting: any open kernel or terminal.
            "blockers": await self.blockers.list(),
            "policy": (
                {"source": effective["source"], "timeout_minutes": effective["timeout_minutes"], "range": allowed_range}
                if effective
                else {"source": "none", "timeout_minutes": None, "range": allowed_range}
            ),
            "policies": policies,
            "shutdown_at": _iso(shutdown_at),
            "server_time": _iso(local["now"]),
            "own_shutdown": {
                "enabled": own,
                "acts": own and self.deletes_in_studio,
                "timeout_minutes": self.shutdown_minutes or None,
                "warning_minutes": self.warning_minutes if own else None,
                "warning": warning,
                "requested_at": _iso(self._shutdown_requested_at),
                "error": self._shutdown_error,
            },
            "notes": notes,
        }

    def keep_alive(self, who: str | None) -> None:
        self._kept_alive_at = self.clock()
        self._shutdown_error = None
        log.info("studio-collab idle: %s pressed Keep alive; the own idle countdown restarts", who or "someone")

    # --- the own shutdown ---------------------------------------------------------------------------------
    @property
    def deletes_in_studio(self) -> bool:
        c = self.context
        return bool(c.in_studio and c.domain_id and c.space_name and c.app_type and c.app_name)

    def start(self) -> None:
        if self.shutdown_minutes > 0 and self.deletes_in_studio and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down either way
                pass
            self._task = None

    async def _watch(self) -> None:
        limit = self.shutdown_minutes * 60
        # Check often enough to be late by at most ~5% of the timeout, never more than every 30 s.
        period = min(30.0, max(0.5, limit / 20))
        while self._shutdown_requested_at is None:
            await asyncio.sleep(period)
            try:
                local = self.activity()
            except Exception:  # noqa: BLE001 - a broken manager must not end the watch
                log.exception("studio-collab idle: could not read kernel activity")
                continue
            if local["busy"] or local["idle_seconds"] < limit:
                continue
            if self._failed_at and self.clock() - self._failed_at < _RETRY_AFTER_FAILED_SHUTDOWN:
                continue
            await self._shutdown(local["idle_seconds"])

    async def _shutdown(self, idle_seconds: float) -> None:
        c = self.context
        log.warning(
            "studio-collab idle: no activity for %.1f min (limit %s); stopping app %s/%s/%s in domain %s "
            "with DeleteApp",
            idle_seconds / 60,
            self.shutdown_minutes,
            c.space_name,
            c.app_type,
            c.app_name,
            c.domain_id,
        )
        try:
            await self.aws.call(
                "sagemaker",
                "DeleteApp",
                DomainId=c.domain_id,
                SpaceName=c.space_name,
                AppType=c.app_type,
                AppName=c.app_name,
            )
        except StudioCollabError as err:
            self._failed_at = self.clock()
            self._shutdown_error = err.message
            log.error("studio-collab idle: DeleteApp failed: %s", err.message)
            return
        self._shutdown_requested_at = self.clock()


def _idle_settings(settings: dict | None, key: str) -> dict:
    app = (settings or {}).get(key) or {}
    return ((app.get("AppLifecycleManagement") or {}).get("IdleSettings")) or {}


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z") if value else None

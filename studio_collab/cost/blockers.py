"""Why this app is not idle (row C11): every open kernel and terminal, and shutting one down.

Studio's idle shutdown counts an app as idle only when no kernel and no terminal is open
(aws/amazon-sagemaker-feedback#140): one forgotten terminal keeps an instance billing for days. Each open
kernel and terminal is therefore a *blocker*, listed with what a person recognises it by (the notebook it
serves, its state, its last activity). Shutting one down goes through jupyter_server's own session, kernel
and terminal managers, exactly as JupyterLab's "Shut Down Kernel" does, so the lab sees it go at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..errors import StudioCollabError

log = logging.getLogger(__name__)

BLOCKER_KINDS = ("kernel", "terminal")


class IdleBlockers:
    def __init__(
        self,
        kernel_manager: Callable[[], Any],
        terminal_manager: Callable[[], Any],
        session_manager: Callable[[], Any],
        iso: Callable[[Any], str | None],
    ):
        self._kernel_manager = kernel_manager
        self._terminal_manager = terminal_manager
        self._session_manager = session_manager
        self._iso = iso

    async def list(self) -> list[dict]:
        sessions = await self._sessions()
        by_kernel = {(s.get("kernel") or {}).get("id"): s for s in sessions}
        blockers = []
        kernels = self._kernel_manager()
        for model in kernels.list_kernels() if kernels is not None else []:
            session = by_kernel.get(model.get("id")) or {}
            blockers.append(
                {
                    "kind": "kernel",
                    "id": model.get("id"),
                    "name": session.get("name") or model.get("name"),
                    "kernel_name": model.get("name"),
                    "path": session.get("path"),
                    "state": model.get("execution_state"),
                    "last_activity": self._iso(model.get("last_activity")),
                    "connections": model.get("connections", 0),
                }
            )
        terminals = self._terminal_manager()
        for model in terminals.list() if terminals is not None else []:
            blockers.append(
                {
                    "kind": "terminal",
                    "id": model.get("name"),
                    "name": f"Terminal {model.get('name')}",
                    "kernel_name": None,
                    "path": None,
                    "state": "open",
                    "last_activity": self._iso(model.get("last_activity")),
                    "connections": None,
                }
            )
        return blockers

    async def shutdown(self, kind: str, blocker_id: str, viewer: str | None) -> dict:
        if kind not in BLOCKER_KINDS:
            raise StudioCollabError("invalid_kind", "kind must be 'kernel' or 'terminal'.", 400)
        if viewer is None:
            raise StudioCollabError(
                "unknown_viewer",
                "Who is asking is unknown here, so nothing is shut down. Reload Studio and try again.",
                403,
            )
        known = {b["id"]: b for b in await self.list() if b["kind"] == kind}
        blocker = known.get(blocker_id)
        if blocker is None:
            raise StudioCollabError("not_found", f"No open {kind} {blocker_id} here. Reload the list.", 404)
        if kind == "kernel":
            if blocker["state"] == "busy":
                raise StudioCollabError(
                    "kernel_busy",
                    f"{blocker['name']} is running code; interrupt it or wait "
                    "until it finishes before shutting it down.",
                    409,
                )
            await self._shutdown_kernel(blocker_id)
        else:
            await self._terminal_manager().terminate(blocker_id, force=True)
        log.info("studio-collab idle: %s shut down %s %s (%s)", viewer, kind, blocker_id, blocker.get("path") or "")
        return {"kind": kind, "id": blocker_id, "name": blocker["name"], "path": blocker["path"], "shut_down": True}

    async def _shutdown_kernel(self, kernel_id: str) -> None:
        # A kernel opened from a notebook belongs to a session: ending the session ends both, as the lab does.
        sessions = self._session_manager()
        for session in await self._sessions():
            if (session.get("kernel") or {}).get("id") == kernel_id and sessions is not None:
                await sessions.delete_session(session_id=session["id"])
                return
        await self._kernel_manager().shutdown_kernel(kernel_id)

    async def _sessions(self) -> list[dict]:
        sessions = self._session_manager()
        if sessions is None:
            return []
        return list(await sessions.list_sessions())

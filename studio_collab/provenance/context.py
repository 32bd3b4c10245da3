"""studio-collab's MLflow run-context provider: every run started in a git work tree records its code.

Registered through MLflow's plugin entry point ``mlflow.run_context_provider`` (see pyproject.toml), so any kernel
or script of an image where studio-collab is installed records, with no change to the user's code: the repository
URL (no credentials), commit, branch, dirty flag, and the notebook or script path relative to the repository.
Uncommitted changes go into the artifact ``studio_collab/code.diff`` (and, when small, into a tag as well).

A provider returns tags before the run exists, and ``start_run`` waits for it: so the provider reads only the
commit, branch and path (one git process) and hands the rest to :mod:`.recorder`, whose thread reads the remote,
the status and the diff at once (beside MLflow's own request that creates the run), then adds them to the run
as tags and artifacts as soon as it has an id. MLflow calls ``in_context()`` then ``tags()`` on one long-lived
instance; MLflow's classes are duck-typed rather than imported, so loading this module imports nothing of MLflow.
Whatever goes wrong, ``start_run`` goes on: one warning, and no tags.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from . import tags as T
from .capture import find_work_tree, head_of, running_file

log = logging.getLogger(__name__)

LOG_NOTEBOOK_ENV = "STUDIO_COLLAB_LOG_NOTEBOOK"  # "1": also log a copy of the running notebook
MAX_DIFF_ENV = "STUDIO_COLLAB_PROVENANCE_MAX_DIFF_BYTES"
DISABLE_ENV = "STUDIO_COLLAB_PROVENANCE"  # "0" turns the provider off


class StudioCollabRunContext:
    """MLflow ``RunContextProvider``: tags a run with its code provenance."""

    def __init__(self) -> None:
        self._warned = False

    def in_context(self) -> bool:
        if os.environ.get(DISABLE_ENV, "1").strip().lower() in ("0", "false", "off", "no"):
            return False
        try:
            running = running_file()
            return find_work_tree(running.parent if running else Path.cwd()) is not None
        except Exception as err:  # noqa: BLE001 - never break start_run
            self._warn(err)
            return False

    def tags(self) -> dict[str, str]:
        try:
            running = running_file()
            head = head_of(running.parent if running else Path.cwd(), running)
            if head is None:
                return {}
            tags = {T.COMMIT: head.commit, "mlflow.source.git.commit": head.commit}
            if head.branch:
                tags[T.BRANCH] = tags["mlflow.source.git.branch"] = head.branch[:250]
            if head.path:
                tags[T.PATH] = head.path[:1000]
            from .recorder import record_when_created

            tags[T.CAPTURE_ID] = secrets.token_hex(12)
            record_when_created(
                tags[T.CAPTURE_ID], head, running if _wants_notebook() else None, _max_diff_bytes(), self._warn
            )
            return tags
        except Exception as err:  # noqa: BLE001 - never break start_run
            self._warn(err)
            return {}

    def _warn(self, err: Exception) -> None:
        if not self._warned:  # one warning per process, not one per run
            self._warned = True
            log.warning(
                "studio-collab could not record this run's code (%s: %s); the run goes on without it.",
                type(err).__name__,
                str(err)[:300],
            )


def _wants_notebook() -> bool:
    return os.environ.get(LOG_NOTEBOOK_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _max_diff_bytes() -> int:
    from .capture import MAX_DIFF_BYTES

    try:
        return max(1, int(os.environ.get(MAX_DIFF_ENV, MAX_DIFF_BYTES)))
    except ValueError:
        return MAX_DIFF_BYTES

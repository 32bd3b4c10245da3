"""studio-collab's MLflow run-context provider: every run started in a git work tree records its code.

Registered through MLflow's plugin entry point ``mlflow.run_context_provider`` (see pyproject.toml), so any kernel
or script of an image where studio-collab is installed records, with no change to the user's code: the repository
URL (no credentials), commit, branch, dirty flag, and the notebook or script path relative to the repository.
Uncommitted changes go into the artifact ``studio_collab/code.diff`` (and, when small, into a tag as well).

A provider only returns tags, before the run exists; the artifacts are logged by :mod:`.upload` once the run has
an id. MLflow calls ``in_context()`` then ``tags()`` on one long-lived instance; MLflow's classes are duck-typed
rather than imported, so loading this module costs no import of MLflow. Whatever goes wrong, ``start_run`` goes on:
the provider logs one warning and returns no tags.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

from . import tags as T
from .capture import CodeCapture, capture, running_file

log = logging.getLogger(__name__)

LOG_NOTEBOOK_ENV = "STUDIO_COLLAB_LOG_NOTEBOOK"  # "1": also log a copy of the running notebook
MAX_DIFF_ENV = "STUDIO_COLLAB_PROVENANCE_MAX_DIFF_BYTES"
DISABLE_ENV = "STUDIO_COLLAB_PROVENANCE"  # "0" turns the provider off
MAX_NOTEBOOK_BYTES = 20 << 20


class StudioCollabRunContext:
    """MLflow ``RunContextProvider``: tags a run with its code provenance."""

    def __init__(self) -> None:
        self._warned = False

    def in_context(self) -> bool:
        if os.environ.get(DISABLE_ENV, "1").strip().lower() in ("0", "false", "off", "no"):
            return False
        try:
            from .capture import find_work_tree

            running = running_file()
            return find_work_tree(running.parent if running else Path.cwd()) is not None
        except Exception as err:  # noqa: BLE001 - never break start_run
            self._warn(err)
            return False

    def tags(self) -> dict[str, str]:
        started = time.perf_counter()
        try:
            running = running_file()
            found = capture(running.parent if running else Path.cwd(), running, _max_diff_bytes())
            if found is None:
                return {}
            files = _artifacts(found, running)
            tags = tags_of(found, files)
            if files:
                from .upload import upload_when_created

                nonce = secrets.token_hex(12)
                tags[T.CAPTURE_ID] = nonce
                upload_when_created(nonce, files)
            return tags
        except Exception as err:  # noqa: BLE001 - never break start_run
            self._warn(err)
            return {}
        finally:
            log.debug("studio-collab provenance took %.1f ms", (time.perf_counter() - started) * 1000)

    def _warn(self, err: Exception) -> None:
        if not self._warned:  # one warning per process, not one per run
            self._warned = True
            log.warning("studio-collab could not record this run's code (%s: %s); the run goes on without it.",
                        type(err).__name__, str(err)[:300])


def tags_of(found: CodeCapture, files: dict[str, bytes]) -> dict[str, str]:
    tags = {T.COMMIT: found.commit, T.DIRTY: "true" if found.dirty else "false",
            # MLflow's own git tags, which it sets for scripts only: notebooks get them too
            "mlflow.source.git.commit": found.commit}
    if found.repo_url:
        tags[T.REPO_URL] = found.repo_url[:1000]
        tags["mlflow.source.git.repoURL"] = found.repo_url[:1000]
    if found.branch:
        tags[T.BRANCH] = found.branch[:250]
        tags["mlflow.source.git.branch"] = found.branch[:250]
    if found.path:
        tags[T.PATH] = found.path[:1000]
    if found.dirty:
        tags[T.DIFF_ARTIFACT] = T.DIFF_ARTIFACT_PATH
        tags[T.DIFF_SHA256] = found.diff_sha256 or ""
        tags[T.DIFF_BYTES] = str(found.diff_bytes)
        if found.capped:
            tags[T.DIFF_CAPPED] = found.capped
        elif len(found.diff) <= T.INLINE_DIFF_MAX_CHARS:
            try:
                tags[T.DIFF_INLINE] = found.diff.decode("utf-8")
            except UnicodeDecodeError:
                pass  # a binary patch: only the artifact carries it
    if found.untracked_skipped:
        shown = found.untracked_skipped[:20]
        more = len(found.untracked_skipped) - len(shown)
        tags[T.UNTRACKED_SKIPPED] = ("; ".join(shown) + (f"; and {more} more" if more else ""))[:2000]
    notebook = next((name for name in files if name != T.DIFF_ARTIFACT_PATH), None)
    if notebook:
        tags[T.NOTEBOOK_ARTIFACT] = notebook
    return tags


def _artifacts(found: CodeCapture, running: Path | None) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if found.dirty:
        files[T.DIFF_ARTIFACT_PATH] = found.diff
    wants_notebook = os.environ.get(LOG_NOTEBOOK_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    if wants_notebook and running is not None and running.suffix == ".ipynb":
        try:
            if running.stat().st_size <= MAX_NOTEBOOK_BYTES:
                files[f"{T.NOTEBOOK_ARTIFACT_DIR}/{running.name}"] = running.read_bytes()
        except OSError:
            pass  # the notebook was moved meanwhile: the diff and tags still say what ran
    return files


def _max_diff_bytes() -> int:
    from .capture import MAX_DIFF_BYTES

    try:
        return max(1, int(os.environ.get(MAX_DIFF_ENV, MAX_DIFF_BYTES)))
    except ValueError:
        return MAX_DIFF_BYTES

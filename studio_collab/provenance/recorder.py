"""The part of a run's provenance ``start_run`` does not wait for: remote, status, diff, notebook copy.

A thread (not a daemon: a short script waits for it at exit, bounded) reads the work tree at once, so what it
records is the tree as the run started, while MLflow creates the run. It then finds that run among MLflow's
active runs of every thread by the one-off capture id the provider tagged it with (a run that already ended is
found by the same tag with one search of the active experiment), and adds the tags and artifacts to it. A
failure logs one warning and leaves the run as it is: the commit is already tagged.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from . import tags as T
from .capture import CodeCapture, CodeHead, working_state

log = logging.getLogger(__name__)

WAIT_SECONDS = 30.0
POLL_SECONDS = 0.005
# A run that ended before this thread looked (a short `with start_run(): ...` while the script goes on) is no longer
# among the active ones: it is searched for by its tag this often, not only after the whole wait.
SEARCH_SECONDS = 1.0
MAX_NOTEBOOK_BYTES = 20 << 20
NICENESS = 10
_pending: list[threading.Thread] = []


def record_when_created(
    capture_id: str, head: CodeHead, notebook: Path | None, max_diff_bytes: int, warn
) -> threading.Thread:
    import mlflow  # already imported: this runs inside mlflow.start_run

    tracking_uri = mlflow.get_tracking_uri()
    thread = threading.Thread(
        target=_record,
        args=(capture_id, head, notebook, max_diff_bytes, tracking_uri, warn),
        name="studio-collab-provenance",
        daemon=False,
    )
    thread.start()
    _pending.append(thread)
    return thread


def wait_for_uploads(timeout: float = WAIT_SECONDS) -> None:
    """Blocks until everything of every run started so far is recorded (tests and benchmarks use it)."""
    deadline = time.monotonic() + timeout
    while _pending:
        _pending.pop().join(max(0.0, deadline - time.monotonic()))


def tags_of(found: CodeCapture, files: dict[str, bytes]) -> dict[str, str]:
    tags = {T.DIRTY: "true" if found.dirty else "false"}
    if found.repo_url:
        tags[T.REPO_URL] = tags["mlflow.source.git.repoURL"] = found.repo_url[:1000]
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


def _record(
    capture_id: str, head: CodeHead, notebook: Path | None, max_diff_bytes: int, tracking_uri: str, warn
) -> None:
    try:
        _yield_cpu()
        found = working_state(head, max_diff_bytes)
        files = _artifacts(found, notebook)
        run_id = _find_run(capture_id, tracking_uri)
        if run_id is None:
            raise LookupError("the run was not found to add its code diff to; its tags still name the commit")
        from mlflow.entities import RunTag
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri)
        client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags_of(found, files).items()])
        if files:
            with tempfile.TemporaryDirectory(prefix="studio-collab-artifacts-") as scratch:
                for name, data in files.items():
                    path = Path(scratch, name)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                for folder in sorted({str(Path(name).parent) for name in files}):
                    client.log_artifacts(run_id, str(Path(scratch, folder)), folder)
    except Exception as err:  # noqa: BLE001 - the user's run must go on whatever happens here
        warn(err)


def _yield_cpu() -> None:
    """This thread, and the git processes it starts (they inherit it), run at a lower priority: on a busy machine
    the user's ``start_run`` and training get the CPU first. Linux gives each thread its own nice value."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
    except (AttributeError, OSError):
        pass  # another OS, or a container that forbids it: record at normal priority


def _artifacts(found: CodeCapture, notebook: Path | None) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if found.dirty:
        files[T.DIFF_ARTIFACT_PATH] = found.diff
    if notebook is not None and notebook.suffix == ".ipynb":
        try:
            if notebook.stat().st_size <= MAX_NOTEBOOK_BYTES:
                files[f"{T.NOTEBOOK_ARTIFACT_DIR}/{notebook.name}"] = notebook.read_bytes()
        except OSError:
            pass  # the notebook was moved meanwhile: the diff and tags still say what ran
    return files


def _find_run(capture_id: str, tracking_uri: str) -> str | None:
    deadline = time.monotonic() + WAIT_SECONDS
    main = threading.main_thread()
    next_search = time.monotonic() + SEARCH_SECONDS
    while time.monotonic() < deadline:
        run_id = _active_run_with(capture_id)
        if run_id is not None:
            return run_id
        if not main.is_alive():
            break  # the script is exiting: its run, if any, has ended; the search below finds it
        if time.monotonic() >= next_search:
            run_id = _search_run_with(capture_id, tracking_uri)
            if run_id is not None:
                return run_id
            next_search = time.monotonic() + SEARCH_SECONDS
        time.sleep(POLL_SECONDS)
    return _search_run_with(capture_id, tracking_uri)


def _active_run_with(capture_id: str) -> str | None:
    from mlflow.tracking import fluent

    stacks = fluent._active_run_stack.get_all_thread_values().values()
    for stack in list(stacks):
        for active in list(stack):
            if active.data.tags.get(T.CAPTURE_ID) == capture_id:
                return active.info.run_id
    return None


def _search_run_with(capture_id: str, tracking_uri: str) -> str | None:
    from mlflow.tracking import MlflowClient, fluent

    client = MlflowClient(tracking_uri)
    found = client.search_runs([fluent._get_experiment_id()], f"tags.`{T.CAPTURE_ID}` = '{capture_id}'", max_results=1)
    return found[0].info.run_id if found else None

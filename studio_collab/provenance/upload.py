"""Logs a run's provenance artifacts as soon as ``start_run`` has created the run.

The run-context provider runs before the run exists, so it tags the run with a one-off capture id and hands the
files here. A thread (not a daemon: a short script waits for it at exit, bounded) watches MLflow's active runs of
every thread for the run carrying that id, then logs the files to it. A run that ended before the thread saw it
is found by the same tag with one search of the active experiment. Failures log one warning; the run is not
touched otherwise.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path

from . import tags as T

log = logging.getLogger(__name__)

WAIT_SECONDS = 30.0
POLL_SECONDS = 0.005
_pending: list[threading.Thread] = []


def upload_when_created(capture_id: str, files: dict[str, bytes]) -> threading.Thread:
    import mlflow  # already imported: this runs inside mlflow.start_run

    tracking_uri = mlflow.get_tracking_uri()
    thread = threading.Thread(target=_upload, args=(capture_id, files, tracking_uri),
                              name="studio-collab-provenance", daemon=False)
    thread.start()
    _pending.append(thread)
    return thread


def wait_for_uploads(timeout: float = WAIT_SECONDS) -> None:
    """Blocks until the artifacts of every run started so far are logged (tests and benchmarks use it)."""
    deadline = time.monotonic() + timeout
    while _pending:
        _pending.pop().join(max(0.0, deadline - time.monotonic()))


def _upload(capture_id: str, files: dict[str, bytes], tracking_uri: str) -> None:
    try:
        run_id = _find_run(capture_id, tracking_uri)
        if run_id is None:
            log.warning("studio-collab could not find the run to log its code diff to; the run's tags still name "
                        "its commit.")
            return
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri)
        with tempfile.TemporaryDirectory(prefix="studio-collab-artifacts-") as scratch:
            for name, data in files.items():
                path = Path(scratch, name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            for folder in sorted({str(Path(name).parent) for name in files}):
                client.log_artifacts(run_id, str(Path(scratch, folder)), folder)
    except Exception as err:  # noqa: BLE001 - the user's run must go on whatever happens here
        log.warning("studio-collab could not log this run's code diff (%s: %s).", type(err).__name__,
                    str(err)[:300])


def _find_run(capture_id: str, tracking_uri: str) -> str | None:
    deadline = time.monotonic() + WAIT_SECONDS
    main = threading.main_thread()
    while time.monotonic() < deadline:
        run_id = _active_run_with(capture_id)
        if run_id is not None:
            return run_id
        if not main.is_alive():
            break  # the script is exiting: its run, if any, has ended; the search below finds it
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
    found = client.search_runs([fluent._get_experiment_id()], f"tags.`{T.CAPTURE_ID}` = '{capture_id}'",
                               max_results=1)
    return found[0].info.run_id if found else None

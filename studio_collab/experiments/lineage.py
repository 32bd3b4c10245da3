"""A run's code and data, read from what each source records, and what changed between runs.

MLflow runs: the code is in the tags studio-collab's run-context provider writes (``studio_collab.code.*``), the
data in MLflow's dataset inputs (``mlflow.log_input``). SageMaker training jobs: the code is where the SageMaker SDK
uploaded the source (hyperparameter ``sagemaker_submit_directory``) and its entry point (``sagemaker_program``),
the data the job's input channels.
"""

from __future__ import annotations

import json
import re

from ..provenance import tags as T

MAX_SCHEMA_COLUMNS = 50
MAX_DIFF_FILES = 200
_DIFF_HEADER = re.compile(r"^diff --git a/(.+?) b/(.+)$")
_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def code_from_tags(tags: dict[str, str]) -> dict | None:
    commit = (tags.get(T.COMMIT) or "").strip().lower()
    if not commit:
        return None
    dirty = tags.get(T.DIRTY) == "true"
    try:
        diff_bytes = int(tags.get(T.DIFF_BYTES) or 0)
    except ValueError:
        diff_bytes = 0
    return {
        "repo_url": tags.get(T.REPO_URL) or None,
        "commit": commit,
        "branch": tags.get(T.BRANCH) or None,
        "dirty": dirty,
        "path": tags.get(T.PATH) or None,
        "diff_artifact": (tags.get(T.DIFF_ARTIFACT) or None) if dirty else None,
        "diff_bytes": diff_bytes if dirty else 0,
        "diff_sha256": tags.get(T.DIFF_SHA256) or None,
        "diff_capped": tags.get(T.DIFF_CAPPED) or None,
        "untracked_skipped": tags.get(T.UNTRACKED_SKIPPED) or None,
        "notebook_artifact": tags.get(T.NOTEBOOK_ARTIFACT) or None,
        "source_uri": None,
        "restorable": bool(_COMMIT.match(commit)) and not tags.get(T.DIFF_CAPPED),
    }


def inline_diff(tags: dict[str, str]) -> bytes | None:
    text = tags.get(T.DIFF_INLINE)
    return text.encode("utf-8") if text else None


def is_provenance_tag(key: str) -> bool:
    return key.startswith(T.PREFIX)


def datasets_from_inputs(inputs: dict | None) -> list[dict]:
    """MLflow's dataset inputs as ``{name, digest, source, uri, schema, context}``."""
    found = []
    for entry in (inputs or {}).get("dataset_inputs") or []:
        dataset = entry.get("dataset") or {}
        source = _json(dataset.get("source"))
        uri = None
        if isinstance(source, dict):
            uri = next(
                (str(source[k]) for k in ("uri", "url", "path", "table_name", "location") if source.get(k)), None
            )
        schema = _json(dataset.get("schema"))
        columns = None
        if isinstance(schema, dict):
            specs = schema.get("mlflow_colspec") or schema.get("mlflow_tensorspec") or []
            columns = [str(c.get("name")) for c in specs if isinstance(c, dict) and c.get("name") is not None]
            columns = columns[:MAX_SCHEMA_COLUMNS]
        context = next((t.get("value") for t in entry.get("tags") or [] if t.get("key") == "mlflow.data.context"), None)
        found.append(
            {
                "name": dataset.get("name") or "",
                "digest": dataset.get("digest") or None,
                "source": dataset.get("source_type") or None,
                "uri": uri,
                "schema": columns,
                "context": context,
            }
        )
    return found


def code_from_hyperparameters(hyperparameters: dict[str, str]) -> dict | None:
    """Where a SageMaker SDK estimator put the training code: an S3 tarball (or a local path) and its entry."""
    submitted = hyperparameters.get("sagemaker_submit_directory")
    program = hyperparameters.get("sagemaker_program")
    if not submitted and not program:
        return None
    return {
        "repo_url": None,
        "commit": None,
        "branch": None,
        "dirty": False,
        "path": program or None,
        "diff_artifact": None,
        "diff_bytes": 0,
        "diff_sha256": None,
        "diff_capped": None,
        "untracked_skipped": None,
        "notebook_artifact": None,
        "source_uri": submitted or None,
        "restorable": False,
    }


def datasets_from_channels(channels: list[dict]) -> list[dict]:
    found = []
    for channel in channels or []:
        source = channel.get("DataSource") or {}
        if "S3DataSource" in source:
            uri, kind = source["S3DataSource"].get("S3Uri"), "s3"
        elif "FileSystemDataSource" in source:
            fs = source["FileSystemDataSource"]
            kind = str(fs.get("FileSystemType") or "filesystem").lower()
            uri = f"{kind}://{fs.get('FileSystemId')}{fs.get('DirectoryPath') or ''}"
        else:
            uri, kind = None, next(iter(source), None)
        found.append(
            {
                "name": channel.get("ChannelName") or "",
                "digest": None,
                "source": kind,
                "uri": uri,
                "schema": None,
                "context": channel.get("ContentType"),
            }
        )
    return found


def diff_summary(diff: bytes | None) -> dict | None:
    """Files a recorded diff touches, with lines added and removed (``binary`` when git wrote a binary patch)."""
    if diff is None:
        return None
    files: list[dict] = []
    current = None
    for raw in diff.split(b"\n"):
        line = raw.decode("utf-8", "replace")
        header = _DIFF_HEADER.match(line)
        if header:
            current = {"path": header.group(2), "status": "modified", "added": 0, "removed": 0, "binary": False}
            files.append(current)
        elif current is None:
            continue
        elif line.startswith("new file mode"):
            current["status"] = "added"
        elif line.startswith("deleted file mode"):
            current["status"] = "deleted"
        elif line.startswith("GIT binary patch") or line.startswith("Binary files"):
            current["binary"] = True
        elif line.startswith("+") and not line.startswith("+++ "):
            current["added"] += 1
        elif line.startswith("-") and not line.startswith("--- "):
            current["removed"] += 1
    return {
        "files": files[:MAX_DIFF_FILES],
        "file_count": len(files),
        "added": sum(f["added"] for f in files),
        "removed": sum(f["removed"] for f in files),
    }


def compare_code(runs: list[dict], summaries: list[dict | None]) -> dict:
    """Commits side by side, the range from the first run's commit to the last's, and what the diffs touch."""
    codes = [r.get("code") for r in runs]
    fields = ("repo_url", "commit", "branch", "dirty", "path", "diff_sha256", "source_uri")
    values = {f: [c.get(f) if c else None for c in codes] for f in fields}
    differing = [f for f in fields if len(set(values[f])) > 1]
    first, last = codes[0], codes[-1]
    commit_range = None
    if first and last and first.get("commit") and last.get("commit") and first.get("repo_url") == last.get("repo_url"):
        commit_range = {
            "repo_url": first.get("repo_url"),
            "from": first["commit"],
            "to": last["commit"],
            "same": first["commit"] == last["commit"],
        }
    diffs = []
    for run, summary in zip(runs, summaries):
        diffs.append({"run_id": run["id"], "summary": summary})
    paths_per_run = [{f["path"] for f in (s or {}).get("files", [])} for s in summaries]
    changed_in_some = sorted(set().union(*paths_per_run) - set.intersection(*paths_per_run)) if paths_per_run else []
    return {
        "values": {f: values[f] for f in fields},
        "differing": differing,
        "commit_range": commit_range,
        "diffs": diffs,
        "files_differing": changed_in_some[:MAX_DIFF_FILES],
    }


def compare_data(runs: list[dict]) -> dict:
    """Per dataset (or channel) name: each run's digest and URI; which names differ or are missing."""
    names = sorted({d["name"] for r in runs for d in r.get("data") or []})
    datasets = {}
    differing = []
    for name in names:
        per_run = []
        for run in runs:
            entry = next((d for d in run.get("data") or [] if d["name"] == name), None)
            per_run.append(
                {"digest": entry["digest"], "uri": entry["uri"], "source": entry["source"]} if entry else None
            )
        datasets[name] = per_run
        if len({json.dumps(p, sort_keys=True) for p in per_run}) > 1:
            differing.append(name)
    return {"datasets": datasets, "differing": differing}


def _json(value):
    if isinstance(value, (dict, list)):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None

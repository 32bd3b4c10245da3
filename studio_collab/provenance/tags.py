"""The tags a run's code provenance travels in: written in the kernel, read by the server.

Kept in a module of constants so both sides name them once; it imports nothing.
"""

from __future__ import annotations

PREFIX = "studio_collab.code."
REPO_URL = PREFIX + "repo_url"  # credentials, query and fragment stripped
COMMIT = PREFIX + "commit"
BRANCH = PREFIX + "branch"  # absent on a detached HEAD
DIRTY = PREFIX + "dirty"  # "true" | "false"
PATH = PREFIX + "path"  # the notebook or script, relative to the repository's top folder
DIFF_ARTIFACT = PREFIX + "diff_artifact"  # artifact path of the uncommitted changes
DIFF_SHA256 = PREFIX + "diff_sha256"  # of the whole diff as captured, before any cap
DIFF_BYTES = PREFIX + "diff_bytes"
DIFF_INLINE = PREFIX + "diff"  # the diff itself when it fits in one tag (MLflow keeps up to 8,000 chars)
DIFF_CAPPED = PREFIX + "diff_capped"  # why the recorded diff is incomplete, when it is
UNTRACKED_SKIPPED = PREFIX + "untracked_skipped"  # untracked files left out of the diff, and why
NOTEBOOK_ARTIFACT = PREFIX + "notebook_artifact"
CAPTURE_ID = PREFIX + "capture"  # lets the uploader find the run its artifacts belong to

DIFF_ARTIFACT_PATH = "studio_collab/code.diff"
NOTEBOOK_ARTIFACT_DIR = "studio_collab"
INLINE_DIFF_MAX_CHARS = 7000

"""Restore a run's code (row E6): its commit plus its recorded diff, in a new folder under the server root.

When the catalog repo is cloned, the new folder is a ``git worktree`` of that clone (its objects are shared, so
it is quick, and the clone's files are never touched: a worktree has its own files and index); otherwise it is a
fresh clone made by the git feature. The commit is fetched from the remote when the clone lacks it. Every check
that can be made before git runs is made before the job starts (repo in the catalog, a path that stays inside,
a complete and unaltered diff whose paths stay inside); a commit the remote does not have or a diff that does not
apply fails the job, and the new folder is removed: nothing is left behind, and nothing else is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import StudioCollabError
from ..jobs import JobCancelled
from ..studio.executor import QUICK, TRANSFER

RESTORE_FOLDER = "restored-runs"  # under the server root; one new folder per Restore
MAX_RESTORE_DIFF_BYTES = 16 << 20
# Files are written by as many workers as the machine has cores (git's parallel checkout): a restore is a full
# checkout of the commit, the bulk of its time in a large repo.
_CHECKOUT = ("checkout.workers=0",)
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
_PATCH_PATH = re.compile(
    rb"^(?:diff --git a/(.+) b/(.+)|--- a/(.+)|\+\+\+ b/(.+)|rename (?:from|to) (.+)|"
    rb"copy (?:from|to) (.+))$"
)


@dataclass(frozen=True)
class RestorePlan:
    """Everything the job needs, checked before it starts."""

    spec: object  # the catalog RepoSpec
    commit: str
    diff: bytes | None
    destination: str  # relative to the root
    open_path: str | None  # the run's notebook or script, relative to the root, once restored
    clone: Path | None  # the catalog clone to add a worktree to, else None (fresh clone)


def check_commit(commit: str | None) -> str:
    if not commit or not re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", commit):
        raise StudioCollabError(
            "invalid_recorded_commit",
            "The run's recorded commit is not a full git commit id, so its code cannot be restored.",
            409,
        )
    return commit


def check_diff(diff: bytes, expected_sha256: str | None, max_bytes: int = MAX_RESTORE_DIFF_BYTES) -> bytes:
    if len(diff) > max_bytes:
        raise StudioCollabError(
            "diff_too_large",
            f"The run's recorded changes are {len(diff):,} bytes, over the "
            f"{max_bytes:,} a Restore applies. Restore the commit alone from git, or commit the "
            "changes before the next runs.",
            413,
        )
    if expected_sha256 and hashlib.sha256(diff).hexdigest() != expected_sha256:
        raise StudioCollabError(
            "diff_mismatch",
            "The run's recorded changes do not match the checksum taken when the "
            "run started (the artifact was replaced or cut). Restore the commit alone from git.",
            409,
        )
    for line in diff.split(b"\n"):
        if not line.startswith((b"diff --git ", b"--- a/", b"+++ b/", b"rename ", b"copy ")):
            continue
        match = _PATCH_PATH.match(line.rstrip(b"\r"))
        paths = [p for p in (match.groups() if match else ()) if p]
        for raw in paths:
            path = raw.decode("utf-8", "replace")
            if path.startswith('"'):
                path = path.strip('"')  # git quotes unusual names; what matters here is '..', '/' and .git
            pure = PurePosixPath(path)
            if pure.is_absolute() or ".." in pure.parts or any(p.lower() == ".git" for p in pure.parts):
                raise StudioCollabError(
                    "diff_path_outside",
                    f"The run's recorded changes name '{path[:200]}', which "
                    "is outside the repository. Nothing was restored.",
                    400,
                )
    return diff


def destination_for(root: Path, repo_name: str, commit: str, run_id: str) -> str:
    """A folder name under :data:`RESTORE_FOLDER` that does not exist yet."""
    base = _SLUG.sub("-", f"{repo_name}-{commit[:8]}-{run_id[:8]}").strip("-.") or "run"
    for attempt in range(1, 1000):
        name = f"{RESTORE_FOLDER}/{base}" + (f"-{attempt}" if attempt > 1 else "")
        if not (root / name).exists() and not (root / name).is_symlink():
            return name
    raise StudioCollabError(
        "restore_folder_full",
        f"'{RESTORE_FOLDER}' already holds 999 restores of this run. Remove some, then restore again.",
        409,
    )


def materialise(
    plan: RestorePlan,
    *,
    runner,
    root: Path,
    timeout: float,
    env: dict | None,
    config: tuple[str, ...],
    redact,
    cancel: threading.Event,
    report,
    clone_into=None,
) -> dict:
    """Runs in a worker thread: the commit in a new folder, then the diff applied. On any failure the folder goes."""
    from ..git.command import GitCommandFailed
    from ..git.repo_spec import resolve_inside
    from ..git.worktree import Worktree

    destination = resolve_inside(root, plan.destination)
    if destination.exists() or destination.is_symlink():
        raise StudioCollabError(
            "restore_folder_exists", f"'{plan.destination}' appeared meanwhile. Restore again.", 409
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    source_clone = Worktree(runner, plan.clone, timeout) if plan.clone is not None else None
    created = False
    try:
        if source_clone is not None:
            report(0.1, "Adding a worktree at the run's commit")
            added = source_clone.run(
                "worktree", "add", "--detach", "-q", "--", str(destination), plan.commit, check=False, config=_CHECKOUT
            )
            if added.returncode != 0:
                # Most often the clone lacks the commit (a worktree add does not fetch): fetch it, then again.
                if destination.exists():
                    raise StudioCollabError(
                        "restore_folder_exists", f"'{plan.destination}' appeared meanwhile. Restore again.", 409
                    )
                report(0.2, "Fetching the commit from the remote")
                _fetch_commit(source_clone, plan, env, config, redact, cancel)
                _raise_if(cancel)
                source_clone.run(
                    "worktree", "add", "--detach", "-q", "--", str(destination), plan.commit, config=_CHECKOUT
                )
            created = True  # from here on, a failure removes the new folder
            restored = Worktree(runner, destination, timeout)
        else:
            report(0.1, "Cloning the repository")
            spec = dataclasses.replace(plan.spec, target=plan.destination, branch=None, depth=None)
            clone_into(spec)
            created = True
            restored = Worktree(runner, destination, timeout)
            if restored.rev(plan.commit) is None:
                _fetch_commit(restored, plan, env, config, redact, cancel)
            restored.run("checkout", "--detach", "-q", plan.commit, config=_CHECKOUT)
        _raise_if(cancel)
        if plan.diff:
            report(0.8, "Applying the run's uncommitted changes")
            patch = destination / ".git-studio-collab-restore.diff"
            patch.write_bytes(plan.diff)
            try:
                restored.run("apply", "--binary", "--whitespace=nowarn", "--", str(patch))
            except GitCommandFailed as err:
                raise StudioCollabError(
                    "diff_does_not_apply",
                    "The run's recorded changes do not apply to its commit "
                    f"({_first_line(err.stderr)}). Nothing was restored; the commit alone can "
                    "be checked out from git.",
                    409,
                ) from None
            finally:
                patch.unlink(missing_ok=True)
        report(1.0, "Restored")
    except BaseException:
        if created:
            _remove(destination, source_clone)
        elif source_clone is not None:
            with contextlib.suppress(Exception):
                source_clone.run("worktree", "prune", check=False)
        raise
    opened = None
    if plan.open_path and (root / plan.open_path).is_file():
        opened = plan.open_path
    return {
        "path": plan.destination,
        "opened": opened,
        "commit": plan.commit,
        "diff_applied": bool(plan.diff),
        "from": "worktree" if source_clone is not None else "clone",
    }


def _fetch_commit(worktree, plan: RestorePlan, env, config, redact, cancel) -> None:
    # Every branch of the remote: a commit reachable from none of them is one the remote does not have.
    worktree.run(
        "fetch", "--no-tags", "-q", "origin", env=env, config=config, redact=redact, cancel=cancel, background=True
    )
    if worktree.rev(plan.commit) is None:
        raise StudioCollabError(
            "commit_not_on_remote",
            f"The run's commit {plan.commit[:12]} is not on the remote "
            "(it was never pushed, or history was rewritten). Push it from where the run "
            "started, then restore again.",
            409,
        )


def _remove(destination: Path, source_clone) -> None:
    if source_clone is not None:
        with contextlib.suppress(Exception):
            source_clone.run("worktree", "remove", "--force", "--", str(destination), check=False)
    shutil.rmtree(destination, ignore_errors=True)
    if source_clone is not None:
        with contextlib.suppress(Exception):
            source_clone.run("worktree", "prune", check=False)


async def _nothing() -> None:
    return None


def _raise_if(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise JobCancelled()


def _first_line(text: str) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return (lines[0] if lines else "git failed")[:200]


class RunRestorer:
    """Starts Restore jobs: every refusal that needs no git is made here, before the job and before any write."""

    def __init__(self, git, jobs, root: Path, max_diff_bytes: int = MAX_RESTORE_DIFF_BYTES):
        self.git = git  # the git feature's GitService (None when the git feature is not present)
        self.jobs = jobs
        self.root = Path(root)
        self.max_diff_bytes = max_diff_bytes

    async def start(self, source, run: dict, owner: str | None):
        from ..git.clone import target_state
        from ..git.repo_spec import check_repo_path, normalize_url, resolve_inside

        recorded_diff = getattr(source, "recorded_diff", None)
        if recorded_diff is None:
            raise StudioCollabError(
                "not_restorable",
                "Only MLflow runs record the git commit they ran; a training job's code is where its source_uri says.",
                409,
            )
        code = run.get("code")
        if code is None or not code.get("commit"):
            raise StudioCollabError(
                "no_code_recorded",
                "This run recorded no git commit: it was not started inside a "
                "git clone, or studio-collab was not installed in its kernel.",
                409,
            )
        if self.git is None:
            raise StudioCollabError(
                "git_unavailable", "The git feature is not part of this installation, so code cannot be restored.", 503
            )
        commit = check_commit(code["commit"])
        if code.get("diff_capped"):
            raise StudioCollabError("diff_incomplete", f"{code['diff_capped']} Restore the commit alone from git.", 413)
        try:
            relative = check_repo_path(code.get("path") or "")
        except StudioCollabError:
            raise StudioCollabError(
                "recorded_path_outside",
                "The run's recorded notebook path leads outside its repository. Nothing was restored.",
                400,
            ) from None
        if not code.get("repo_url"):
            raise StudioCollabError(
                "repo_not_recorded",
                "The run's clone had no remote, so there is nowhere to "
                "restore its commit from. Push the repository and add it to the catalog.",
                409,
            )
        specs, _ = await self.git.catalog.load()
        wanted = normalize_url(code["repo_url"]) if "://" in code["repo_url"] else None
        spec = next((s for s in specs if wanted and s.normalized_url == wanted), None)
        if spec is None:
            raise StudioCollabError(
                "repo_not_in_catalog",
                f"The run's repository ({code['repo_url'][:200]}) is not in "
                "the repository catalog. Ask your admin to add it, then restore again.",
                409,
            )
        # the diff (maybe a request to MLflow) and whether the repo is cloned (a git process) are read together
        diff, state = await asyncio.gather(
            recorded_diff(run["id"], self.max_diff_bytes) if code.get("dirty") else _nothing(),
            self.git.executor.run(QUICK, target_state, self.git.runner, self.root, spec, self.git.timeout),
        )
        if diff is not None:
            diff = check_diff(diff, code.get("diff_sha256"), self.max_diff_bytes)
        clone = resolve_inside(self.root, spec.target) if state == "cloned" else None
        destination = destination_for(self.root, spec.name, commit, run["id"])
        resolve_inside(self.root, destination)  # a symlinked restore folder leading out is refused here
        plan = RestorePlan(
            spec=spec,
            commit=commit,
            diff=diff or None,
            destination=destination,
            open_path=f"{destination}/{relative}" if relative else None,
            clone=clone,
        )
        return self.jobs.start(
            "experiments_restore",
            f"restore:{source.name}:{run['id']}",
            lambda reporter: self._work(plan, reporter),
            owner,
        )

    async def _work(self, plan: RestorePlan, reporter) -> dict:
        from ..git.clone import clone_repo
        from ..git.command import GitCommandFailed, GitTimedOut
        from ..git.failures import explain

        git = self.git
        env, config, redact = await git.transfer_auth(plan.spec)
        report = lambda fraction, text: reporter.report(fraction, text)  # noqa: E731

        def clone_into(spec) -> None:
            clone_repo(
                git.runner,
                self.root,
                spec,
                timeout=git.timeout,
                env=env,
                config=config,
                redact=redact,
                cancel=reporter.cancel_event,
                report=lambda f, t: report(0.1 + 0.5 * f, t),
                job_id=reporter.job_id,
            )

        async with git.repo_lock(plan.spec.id):
            try:
                return await git.executor.run_settled(
                    TRANSFER,
                    materialise,
                    plan,
                    runner=git.runner,
                    root=self.root,
                    timeout=git.timeout,
                    env=env,
                    config=config,
                    redact=redact,
                    cancel=reporter.cancel_event,
                    report=report,
                    clone_into=clone_into,
                )
            except (GitCommandFailed, GitTimedOut, OSError) as err:  # not classified above: auth, network, disk
                raise explain(err, "restore the run's code", bool(plan.spec.credentials_secret)) from err
            finally:
                git.forget_status(plan.spec.id)

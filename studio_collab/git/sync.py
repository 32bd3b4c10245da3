"""Sync that never loses an edit (row G3): nbgitpuller's documented semantics, made notebook-safe.

In order, as nbgitpuller does it:
1. fetch the branch;
2. restore tracked files the user deleted (a deleted file comes back, so a fresh copy is one sync away);
3. commit the user's changes (tracked files, staged or not) under a dedicated identity given to that
   one git process, never written to any git config;
4. rename an untracked (or ignored) file that would be overwritten by a file new upstream;
5. merge with ``-Xours``: where both sides changed the same lines, the user's lines win; a file the
   user changed and upstream deleted is kept.
On top of that: a notebook both sides changed is never text-merged (the user's stays whole, upstream's is
saved beside it); every notebook the sync touched is checked with nbformat afterwards; a detached HEAD is
brought back onto the branch with nothing dropped; and rewritten or unrelated upstream history stops the
sync with ``history_diverged`` so the user can choose backup-and-reclone instead of a merge of two pasts.

The local part (steps 2-5) does not honour cancel: stopping git half-way through a merge would leave the
repository worse than either outcome.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from ..errors import StudioCollabError
from .command import Redactor
from .notebooks import beside_name, is_notebook, notebook_problem
from .progress import progress_parser
from .worktree import IDENTITY, SYNCED_REF, Worktree

log = logging.getLogger(__name__)

Report = Callable[[float, str], None]
MERGE_ENV = dict(IDENTITY, GIT_MERGE_AUTOEDIT="no")  # any commit a merge makes uses the sync identity too
_ARGS_PER_CALL = 500  # paths per git call, well under the argv limit


class RepoSync:
    def __init__(self, worktree: Worktree, branch: str | None, *, fetch_env: dict | None = None,
                 fetch_config: tuple[str, ...] = (), redact: Redactor | None = None,
                 cancel: threading.Event | None = None, report: Report | None = None,
                 fetch_timeout: float | None = None):
        self.wt = worktree
        self.branch = branch
        self.fetch_env = fetch_env
        self.fetch_config = fetch_config
        self.redact = redact
        self.cancel = cancel
        self.report = report or (lambda fraction, text: None)
        self.fetch_timeout = fetch_timeout
        self.files: dict[str, dict] = {}
        self.notes: list[str] = []

    # --- the whole sync -------------------------------------------------------------------------
    def run(self) -> dict:
        wt = self.wt
        busy = wt.operation_in_progress()
        if busy:
            raise StudioCollabError("operation_in_progress", f"This repository is in the middle of {busy}. Finish "
                                    "or abort it in a terminal (git status shows how), then sync again.", 409)
        wt.clear_stale_index_lock()
        branch = self.branch or wt.default_remote_branch() or wt.current_branch()
        if not branch:
            raise StudioCollabError("branch_unknown", "Cannot tell which upstream branch to sync. Ask your admin "
                                    "to set a branch for this repository in the catalog.", 409)
        upstream = self.fetch(branch)
        self.check_history(upstream)

        self.report(0.65, "Keeping your changes")
        self.restore_deleted()
        self.save_local_changes()
        if wt.current_branch() is None:
            self.reattach(branch)
        self.report(0.8, "Merging upstream")
        self.merge(upstream, f"origin/{branch}")
        wt.run("update-ref", SYNCED_REF, upstream)
        self.report(0.98, "Checking notebooks")
        return {"files": list(self.files.values()), "notes": self.notes, "branch": wt.current_branch(),
                "head": (wt.rev("HEAD") or "")[:12]}

    def fetch(self, branch: str) -> str:
        remote_ref = f"refs/remotes/origin/{branch}"
        self.report(0.01, "Fetching")
        self.wt.run("fetch", "--progress", "--no-tags", "--", "origin", f"+refs/heads/{branch}:{remote_ref}",
                    env=self.fetch_env, config=self.fetch_config, cancel=self.cancel, redact=self.redact,
                    timeout=self.fetch_timeout, on_stderr_line=progress_parser(self.report, 0.01, 0.6), background=True)
        upstream = self.wt.rev(remote_ref)
        if upstream is None:
            raise StudioCollabError("branch_not_found", f"The remote has no branch '{branch}'. Ask your admin to "
                                    "fix the catalog entry's branch.", 409)
        return upstream

    def check_history(self, upstream: str) -> None:
        synced = self.wt.rev(SYNCED_REF)
        rewritten = synced is not None and not self.wt.is_ancestor(synced, upstream)
        unrelated = self.wt.merge_base("HEAD", upstream) is None
        if rewritten or unrelated:
            raise StudioCollabError("history_diverged", "Upstream history was rewritten, so it cannot be merged "
                                    "with your copy. Choose 'Back up and re-clone': your folder is renamed (never "
                                    "deleted) and a fresh copy is cloned.", 409)

    # --- keeping the user's side ----------------------------------------------------------------
    def restore_deleted(self) -> None:
        deleted = self.wt.deleted_files()
        for start in range(0, len(deleted), _ARGS_PER_CALL):
            self.wt.run("checkout", "--", *deleted[start:start + _ARGS_PER_CALL])
        for path in deleted:
            self.note(path, "restored", "You had deleted this file; it is back from the repository.")

    def save_local_changes(self) -> None:
        if self.wt.tracked_changes():
            self.wt.commit("studio-collab: save local changes before sync", "-a")

    def reattach(self, branch: str) -> None:
        """A detached HEAD (with the user's work, now committed) goes back onto ``branch``: first the local
        branch's own commits are merged in, so moving the branch to HEAD drops nothing."""
        local = self.wt.rev(f"refs/heads/{branch}")
        if local and not self.wt.is_ancestor(local, "HEAD"):
            self.merge(local, f"local branch {branch}")
        self.wt.run("checkout", "-q", "-B", branch)
        self.notes.append(f"Your checkout was detached from a branch; your work is now on '{branch}'.")

    # --- merging ----------------------------------------------------------------------------------
    def merge(self, other: str, label: str) -> None:
        wt = self.wt
        head = wt.rev("HEAD")
        if head is None or wt.is_ancestor(other, head):
            return  # nothing new on the other side
        base = wt.merge_base(head, other)
        theirs = wt.changes(base, other)
        ours = wt.changes(base, head) if base != head else {}
        self.rename_untracked_clashes(head, other)
        if base == head:
            wt.run("merge", "-q", "--ff-only", other)
        else:
            result = wt.run("merge", "-q", "--no-ff", "--no-commit", "-Xours", other, check=False, env=MERGE_ENV)
            if result.returncode != 0 and not wt.unmerged() and wt.rev("MERGE_HEAD") is None:
                log.warning("sync merge failed: %s", result.stderr[-1000:])
                raise StudioCollabError("merge_failed", "git could not start the merge; nothing was changed "
                                        "except a commit of your edits. Details are in the server log.", 500)
            self.keep_both_changed_notebooks(head, other, ours, theirs)
            self.resolve_unmerged(head, other)
            wt.commit(f"studio-collab: merge {label}")
        for path, change in theirs.items():
            if path in self.files and self.files[path]["outcome"] != "restored":
                continue
            if change == "D":
                self.note(path, "updated", "Removed upstream.")
            elif path in ours:
                self.note(path, "merged", "Merged with upstream; where you both changed the same lines, your "
                                          "version was kept.")
            else:
                self.note(path, "updated", "New from upstream." if change == "A" else "Updated from upstream.")
        self.keep_notebooks_valid(head, other)

    def rename_untracked_clashes(self, head: str, other: str) -> None:
        added = [p for p in self.wt.out("diff", "--no-renames", "--name-only", "-z", "--diff-filter=A", head,
                                        other, "--").split("\0") if p]
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for path in added:
            parts = path.split("/")
            for depth in range(1, len(parts) + 1):
                prefix = "/".join(parts[:depth])
                full = self.wt.path / prefix
                is_last = depth == len(parts)
                if not full.is_symlink() and not full.exists():
                    break
                if is_last or not full.is_dir() or full.is_symlink():
                    renamed = beside_name(self.wt.path, prefix, f"local-{stamp}")
                    full.rename(self.wt.path / renamed)
                    self.note(prefix, "renamed", f"Your own '{prefix}' was renamed to '{renamed}' because upstream "
                                                 "added a file with the same name.")
                    break

    def keep_both_changed_notebooks(self, head: str, other: str, ours: dict, theirs: dict) -> None:
        for path in sorted(set(ours) & set(theirs)):
            if not is_notebook(path) or ours[path] == "D" or theirs[path] == "D":
                continue
            mine, upstream = self.wt.show(head, path), self.wt.show(other, path)
            if mine is None or upstream is None or mine == upstream:
                continue
            self.wt.write_file(path, mine)
            self.wt.run("add", "--", path)
            beside = self.save_beside(path, upstream, other)
            self.note(path, "kept_local", f"You and upstream both changed this notebook. Yours is kept whole; "
                                          f"upstream's version is saved as '{beside}'.")

    def resolve_unmerged(self, head: str, other: str) -> None:
        for path, stages in self.wt.unmerged().items():
            if 2 in stages:
                self.wt.run("checkout", "--ours", "--", path)
                self.wt.run("add", "--", path)
                if 3 not in stages:
                    self.note(path, "kept_local", "Upstream deleted this file; your changed copy is kept.")
                    continue
                detail = "Upstream changed it too; your version is kept."
                upstream = self.wt.show(other, path)
                if upstream is not None and is_notebook(path):
                    detail += f" Upstream's version is saved as '{self.save_beside(path, upstream, other)}'."
                self.note(path, "kept_local", detail)
            else:
                self.wt.run("checkout", "--theirs", "--", path)
                self.wt.run("add", "--", path)
                self.note(path, "restored", "You had deleted this file and upstream changed it, so upstream's "
                                            "version is back.")

    def keep_notebooks_valid(self, before: str, other: str) -> None:
        """Any notebook this merge changed into something nbformat rejects goes back to the user's version
        (upstream's saved beside), so a sync never leaves a notebook Jupyter cannot open."""
        changed = [p for p in self.wt.out("diff", "--name-only", "-z", before, "HEAD", "--").split("\0")
                   if p and is_notebook(p)]
        fixed = False
        for path in changed:
            current = self.wt.path / path
            if not current.is_file() or notebook_problem(current.read_bytes()) is None:
                continue
            previous = self.wt.show(before, path)
            if previous is None or notebook_problem(previous) is not None:
                self.note(path, "updated", "Upstream's version of this notebook is not a valid notebook; tell "
                                           "the repository's maintainers.")
                continue
            beside = self.save_beside(path, current.read_bytes(), other)
            self.wt.write_file(path, previous)
            self.wt.run("add", "--", path)
            fixed = True
            self.note(path, "kept_local", f"Upstream's version is not a valid notebook, so yours is kept; "
                                          f"theirs is saved as '{beside}'.")
        if fixed:
            self.wt.commit("studio-collab: keep notebooks valid")

    def save_beside(self, path: str, data: bytes, other: str) -> str:
        beside = beside_name(self.wt.path, path, f"upstream-{other[:7]}")
        self.wt.write_file(beside, data)
        return beside

    def note(self, path: str, outcome: str, detail: str) -> None:
        earlier = self.files.get(path)
        if earlier and earlier["outcome"] == "restored" and outcome in ("updated", "merged"):
            if detail.startswith("Removed"):
                self.files[path] = {"path": path, "outcome": "updated", "detail": "Removed upstream (you had "
                                                                                  "deleted it too)."}
            else:
                earlier["detail"] = "You had deleted this file; it is back, with upstream's latest version."
            return
        self.files[path] = {"path": path, "outcome": outcome, "detail": detail}


"""Sync a team can trust (row G3): upstream comes in, the user's work stays theirs, and nothing is committed
for them.

One planner answers "what would Sync do" (preview) and drives the sync itself:

1. fetch the branch (the only network step; cancel stops it and nothing else has changed);
2. pick the target: upstream itself when the user has no commits of their own (a fast-forward); when they
   have, the plan says a choice is needed (``merge`` with their own git identity, ``rebase`` their commits,
   or ``branch``: keep their commits on a branch of their own) and only that choice, made by the user, acts;
3. per path upstream changed, decide from the user's index and work tree what becomes of it: plain update,
   three-way merge (notebooks cell by cell with nbdime, text with ``git merge-file``), keep both (conflict
   regions, or upstream's file saved beside), restore, or skip with a next step;
4. record the exact prior state (HEAD, index, every file the sync will touch) under a private ref, so
   "Undo sync" can restore it byte for byte;
5. apply: move the user's clashing files aside, update the index entries of those paths only (what the user
   staged elsewhere stays staged), write the work tree, then move the branch ref to the target.

The user's uncommitted changes stay uncommitted, in place: no stash, no commit, no ``-Xours``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import StudioCollabError
from .command import Redactor
from .notebooks import NotebookInvalid, beside_name, is_notebook, merge_notebooks, same_notebook
from .progress import progress_parser
from .undo import SyncRecorder, clear_dir_for_file, expand_files, prune_empty_parents
from .worktree import IDENTITY, SYNCED_REF, Worktree

log = logging.getLogger(__name__)

Report = Callable[[float, str], None]
CHOICES = ("merge", "rebase", "branch")
OUTCOMES = ("updated", "merged", "kept_both", "renamed", "restored", "skipped")
ZERO = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_GITLINK, _SYMLINK = "160000", "120000"
_CHUNK = 500  # paths per git call, well under the argv limit
_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
_HUGE = 64 * 1024 * 1024  # larger files are never merged line by line: both are kept whole


@dataclass(frozen=True)
class Entry:
    mode: str
    oid: str


@dataclass
class Change:
    """One upstream change: ``old`` path in HEAD (None: added) to ``new`` path in the target (None: deleted)."""

    old: str | None
    new: str | None
    base: Entry | None
    theirs: Entry | None

    @property
    def renamed(self) -> bool:
        return self.old is not None and self.new is not None and self.old != self.new


@dataclass
class Plan:
    head: str | None
    target: str
    branch: str
    entries: dict[str, dict] = field(default_factory=dict)  # path -> its report line, once per path
    notes: list[str] = field(default_factory=list)
    # what applying does, in order
    aside: list[tuple[str, str]] = field(default_factory=list)  # (user's path, new name beside it)
    removes: set[str] = field(default_factory=set)  # files to delete from the work tree
    index: dict[str, Entry | None] = field(default_factory=dict)  # index entries to set (None: remove)
    checkout: list[str] = field(default_factory=list)  # written from the new index entry
    writes: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (bytes, mode)
    staged_merges: dict[str, tuple[bytes | None, bytes, bytes]] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)  # path -> assume-unchanged | skip-worktree, re-applied
    choice_needed: list[str] | None = None
    local_commits: int = 0

    def report(self, path: str, outcome: str, detail: str, **extra) -> None:
        self.entries.pop(path, None)
        self.entries[path] = {
            "path": path,
            "outcome": outcome,
            "detail": detail,
            **{k: v for k, v in extra.items() if v is not None},
        }

    @property
    def files(self) -> list[dict]:
        return list(self.entries.values())

    def touched(self, root: Path) -> set[str]:
        """Every file whose bytes may change on disk: what undo must be able to put back."""
        paths = set(self.removes) | set(self.checkout) | set(self.writes)
        for source, destination in self.aside:
            inside = expand_files(root, source)
            paths.update(inside)
            paths.update(destination + p[len(source) :] for p in inside)
        return paths


class RepoSync:
    def __init__(
        self,
        worktree: Worktree,
        branch: str | None,
        *,
        fetch_env: dict | None = None,
        fetch_config: tuple[str, ...] = (),
        redact: Redactor | None = None,
        cancel: threading.Event | None = None,
        report: Report | None = None,
        fetch_timeout: float | None = None,
        preview: bool = False,
        choice: str | None = None,
        expect_upstream: str | None = None,
        fan_out: Callable[..., Future] | None = None,
    ):
        if choice is not None and choice not in CHOICES:
            raise StudioCollabError("invalid_request", f"choice must be one of {', '.join(CHOICES)}.", 400)
        self.wt = worktree
        self.branch = branch
        self.fetch_env = fetch_env
        self.fetch_config = fetch_config
        self.redact = redact
        self.cancel = cancel
        self.report = report or (lambda fraction, text: None)
        self.fetch_timeout = fetch_timeout
        self.preview = preview
        self.choice = choice
        self.expect_upstream = expect_upstream
        # Runs a few text merges at once (the server's executor); without it (a sync run alone) one at a time.
        self.fan_out = fan_out
        self._blobs: dict[str, bytes] = {}
        self._text_merges: dict[tuple[bytes, bytes, bytes], tuple[bytes, int]] = {}

    # --- the whole sync -------------------------------------------------------------------------
    def run(self) -> dict:
        with repo_lock(self.wt):
            return self._run()

    def _run(self) -> dict:
        wt = self.wt
        busy = wt.operation_in_progress()
        if busy:
            raise StudioCollabError(
                "operation_in_progress",
                f"This repository is in the middle of {busy}. Finish "
                "or abort it in a terminal (git status shows how), then sync again.",
                409,
            )
        wt.clear_stale_index_lock()
        branch = self.branch or wt.default_remote_branch() or wt.current_branch()
        if not branch:
            raise StudioCollabError(
                "branch_unknown",
                "Cannot tell which upstream branch to sync. Ask your admin "
                "to set a branch for this repository in the catalog.",
                409,
            )
        current = wt.current_branch()
        if current is not None and current != branch:
            raise StudioCollabError(
                "other_branch",
                f"You have branch '{current}' checked out; Sync updates "
                f"'{branch}'. Switch with `git switch {branch}` in a terminal (your "
                "uncommitted changes come along), then sync again.",
                409,
            )
        upstream = self.fetch(branch)
        if self.expect_upstream and not upstream.startswith(self.expect_upstream):
            raise StudioCollabError(
                "upstream_moved",
                "Upstream changed since the preview you confirmed, so "
                "nothing was changed. Preview again to see the new plan.",
                409,
            )
        self.check_history(upstream)
        self.report(0.65, "Planning")
        plan = self.plan(branch, upstream)
        result = {
            "preview": self.preview,
            "branch": branch,
            "upstream": upstream[:12],
            "choice_needed": plan.choice_needed,
            "local_commits": plan.local_commits,
        }
        if self.preview or plan.choice_needed:
            return {**result, "files": plan.files, "notes": plan.notes, "head": (plan.head or "")[:12], "undo": None}
        self.report(0.8, "Applying")
        undo_id = self.apply(plan)
        wt.run("update-ref", SYNCED_REF, upstream)
        return {
            **result,
            "files": plan.files,
            "notes": plan.notes,
            "head": (wt.rev("HEAD") or "")[:12],
            "undo": undo_id,
        }

    def fetch(self, branch: str) -> str:
        remote_ref = f"refs/remotes/origin/{branch}"
        self.report(0.01, "Fetching")
        self.wt.run(
            "fetch",
            "--progress",
            "--no-tags",
            "--no-recurse-submodules",
            "--",
            "origin",
            f"+refs/heads/{branch}:{remote_ref}",
            env=self.fetch_env,
            config=self.fetch_config,
            cancel=self.cancel,
            redact=self.redact,
            timeout=self.fetch_timeout,
            on_stderr_line=progress_parser(self.report, 0.01, 0.6),
            background=True,
        )
        upstream = self.wt.rev(remote_ref)
        if upstream is None:
            raise StudioCollabError(
                "branch_not_found",
                f"The remote has no branch '{branch}'. Ask your admin to fix the catalog entry's branch.",
                409,
            )
        return upstream

    def check_history(self, upstream: str) -> None:
        synced = self.wt.rev(SYNCED_REF)
        rewritten = synced is not None and not self.wt.is_ancestor(synced, upstream)
        unrelated = (
            self.wt.rev("HEAD") is not None
            and self.wt.merge_base("HEAD", upstream) is None
            and not self.wt.is_shallow()
        )
        if rewritten or unrelated:
            raise StudioCollabError(
                "history_diverged",
                "Upstream history was rewritten, so it cannot be merged "
                "with your copy. Choose 'Back up and re-clone': your folder is renamed (never "
                "deleted) and a fresh copy is cloned.",
                409,
            )

    # --- choosing the target --------------------------------------------------------------------
    def plan(self, branch: str, upstream: str) -> Plan:
        wt = self.wt
        head = wt.rev("HEAD")
        local = wt.rev(f"refs/heads/{branch}")
        detached = wt.current_branch() is None
        if detached and local and head and not wt.is_ancestor(local, head) and not wt.is_ancestor(local, upstream):
            raise StudioCollabError(
                "detached_head",
                f"Your checkout is detached and branch '{branch}' has commits "
                "that are neither in it nor upstream. In a terminal, `git switch "
                f"{branch}` (or `git switch -c my-work` to keep where you are), then sync.",
                409,
            )
        plan = Plan(head=head, target=upstream, branch=branch)
        if head is not None and wt.is_ancestor(upstream, head):
            plan.target = head
            if detached:
                plan.notes.append(f"Your checkout is detached from '{branch}'; it was left as it is.")
            return plan  # nothing new upstream (the user's own commits, if any, are simply ahead)
        if head is not None and not wt.is_ancestor(head, upstream):
            plan.local_commits = int(wt.out("rev-list", "--count", f"{upstream}..{head}").strip() or 0)
            if self.choice is None:
                plan.choice_needed = list(CHOICES)
                for change in self.changes(wt.merge_base(head, upstream), upstream):
                    plan.report(change.new or change.old, "updated", "Changed upstream (applied once you choose).")
                plan.notes.append(
                    f"You have {plan.local_commits} commit(s) of your own and upstream has new ones. "
                    "Choose: merge (a merge commit with your git identity), rebase (your commits "
                    "replayed on upstream's), or branch (your commits kept on a branch of their own "
                    f"and '{branch}' follows upstream)."
                )
            else:
                plan.target = self.choose(head, upstream, branch)
        if plan.choice_needed:
            return plan
        if detached:
            plan.notes.append(f"Your checkout was detached; it is back on '{branch}'.")
        self.plan_paths(plan)
        return plan

    def choose(self, head: str, upstream: str, branch: str) -> str:
        """The tree-ish the user's choice leads to. In preview only trees are made (objects, no ref); the
        commits themselves are made when applying."""
        wt = self.wt
        if self.choice == "branch":
            return upstream
        if self.choice == "merge":
            tree = self._merge_trees(head, upstream)
            if self.preview:
                return tree
            return self._commit_tree(tree, [head, upstream], f"Merge upstream '{branch}' into {branch}\n")
        if wt.out("rev-list", "--merges", f"{upstream}..{head}").strip():
            raise StudioCollabError(
                "rebase_refused",
                "Your commits include a merge, which a rebase would flatten. Choose 'merge' or 'branch' instead.",
                409,
            )
        current = upstream
        for commit in wt.out("rev-list", "--reverse", f"{upstream}..{head}").split():
            parent = wt.out("rev-parse", f"{commit}^").strip()
            ours = wt.run(
                "commit-tree", f"{current}^{{tree}}", "-p", parent, "-m", "studio-collab rebase step", env=IDENTITY
            ).stdout.strip()  # dangling helpers: merge-tree finds ``parent`` as the base
            theirs = wt.run(
                "commit-tree", f"{commit}^{{tree}}", "-p", parent, "-m", "studio-collab rebase step", env=IDENTITY
            ).stdout.strip()
            tree = self._merge_trees(ours, theirs)
            if self.preview:
                current = wt.run("commit-tree", tree, "-p", current, "-m", "preview", env=IDENTITY).stdout.strip()
                continue
            author = wt.out("log", "-1", "--format=%an%x00%ae%x00%ad", "--date=raw", commit).rstrip("\n").split("\0")
            message = wt.run("log", "-1", "--format=%B", commit, stdout_bytes=True).stdout
            current = self._commit_tree(
                tree,
                [current],
                message,
                {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": author[2]},
            )
        return current

    def _merge_trees(self, ours: str, theirs: str) -> str:
        result = self.wt.run(
            "merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", ours, theirs, check=False
        )
        fields = result.stdout.split("\0")
        if result.returncode == 1:
            conflicted = sorted({p for p in fields[1:] if p})
            raise StudioCollabError(
                "choice_conflicts",
                f"Your commits and upstream's change the same lines of "
                f"{', '.join(conflicted[:5])}{'…' if len(conflicted) > 5 else ''}. Choose "
                "'branch' to keep your commits on a branch of their own, or resolve the merge "
                "in a terminal.",
                409,
            )
        if result.returncode != 0:
            raise StudioCollabError(
                "merge_failed",
                "git could not combine your commits with upstream's: "
                f"{self._short(result.stderr)}. Nothing was changed.",
                409,
            )
        return fields[0].strip()

    def _commit_tree(self, tree: str, parents: list[str], message: bytes | str, env: dict | None = None) -> str:
        """A commit the user chose, under their own git identity (never the studio-collab one)."""
        # only an identity the user configured: git would otherwise invent one from the host name
        configured = [
            self.wt.run("config", "--get", key, check=False).stdout.strip() for key in ("user.name", "user.email")
        ]
        if not all(configured):
            raise StudioCollabError(
                "identity_missing",
                "Your git name and email are not set, and the commit you "
                'chose is yours. In a terminal: git config --global user.name "Your Name"; '
                "git config --global user.email you@example.com. Then sync again.",
                409,
            )
        data = message if isinstance(message, bytes) else message.encode()
        args = ["commit-tree", tree, *[a for p in parents for a in ("-p", p)], "-F", "-"]
        return self.wt.run(*args, env=env, input=data).stdout.strip()

    @staticmethod
    def _short(text: str) -> str:
        return (text.strip().splitlines() or ["unknown error"])[-1][:200]

    # --- per path -----------------------------------------------------------------------------------
    def plan_paths(self, plan: Plan) -> None:
        wt = self.wt
        changes = self.changes(plan.head or EMPTY_TREE, plan.target)  # an unborn HEAD: everything is new
        paths = sorted({p for c in changes for p in (c.old, c.new) if p})
        index, flags = wt.index_entries(paths)
        modified = wt.modified_in_worktree(paths, [p for p, f in flags.items() if f == "assume-unchanged"], index)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        label = f"upstream {plan.target[:7]}"
        # the blobs a merge may need (paths the user changed too), read in one call
        mine = [c for c in changes if c.old and (c.old in modified or index.get(c.old) != c.base)]
        self._blobs.update(
            wt.blobs(
                {
                    e.oid
                    for c in mine
                    for e in (c.base, c.theirs, index.get(c.old))
                    if e is not None and e.mode != _GITLINK
                }
            )
        )
        self._prepare_text_merges(changes, index, modified, label)
        for change in changes:
            self.plan_change(plan, change, index, flags, modified, label)
        self.plan_clashes(plan, stamp, index)

    def _prepare_text_merges(
        self, changes: list[Change], index: dict[str, Entry], modified: set[str], label: str
    ) -> None:
        """The text merges the plan will ask for, run a few at a time (each is a git process): the plan then
        reads their results. Anything unusual (notebook, binary, symlink, flag) is left to the plan itself."""
        if self.fan_out is None:
            return  # the plan merges each as it meets it
        jobs = {}
        for change in changes:
            old, base, theirs = change.old, change.base, change.theirs
            if (
                not (old and change.new and base and theirs)
                or is_notebook(change.new)
                or _SYMLINK in (base.mode, theirs.mode)
                or _GITLINK in (base.mode, theirs.mode)
                or not (old in modified or index.get(old) != base)
            ):
                continue
            seen = _lstat(self.wt.path / old)
            if seen is None or not stat.S_ISREG(seen.st_mode) or seen.st_size > _HUGE:
                continue
            mine = (self.wt.path / old).read_bytes()
            base_data, theirs_data = self._blob(base.oid), self._blob(theirs.oid)
            if any(b"\0" in d[:8000] or d.startswith(_LFS_POINTER) for d in (mine, base_data, theirs_data)):
                continue
            jobs[(base_data, mine, theirs_data)] = None
        if len(jobs) < 2:
            return
        futures = {key: self.fan_out(self._merge_text_now, *key, label) for key in jobs}
        self._text_merges.update({key: future.result() for key, future in futures.items()})

    def changes(self, head: str, target: str) -> list[Change]:
        fields = self.wt.out("diff-tree", "-r", "-z", "-M", "--no-commit-id", head, target, "--").split("\0")
        changes: list[Change] = []
        i = 0
        while i < len(fields) - 1:
            meta = fields[i]
            if not meta.startswith(":"):
                i += 1
                continue
            old_mode, new_mode, old_oid, new_oid, status = meta[1:].split(" ")
            base = Entry(old_mode, old_oid) if old_oid != ZERO else None
            theirs = Entry(new_mode, new_oid) if new_oid != ZERO else None
            if status[0] in "RC":
                old, new = fields[i + 1], fields[i + 2]
                i += 3
                if status[0] == "C":
                    old, base = None, None
            else:
                path = fields[i + 1]
                i += 2
                old = path if base is not None else None
                new = path if theirs is not None else None
            changes.append(Change(old, new, base, theirs))
        return changes

    def plan_change(
        self, plan: Plan, change: Change, index: dict[str, Entry], flags: dict[str, str], modified: set[str], label: str
    ) -> None:
        if change.old is None and change.new in index:  # both added it: the user's staged file is their work
            change = Change(change.new, change.new, None, change.theirs)
        old, new, base, theirs = change.old, change.new, change.base, change.theirs
        path = new or old
        for p in (old, new):
            if p in flags:
                plan.flags[p] = flags[p]
        if flags.get(old) == "skip-worktree" or flags.get(new) == "skip-worktree":
            self._set_index(plan, change, index)
            plan.report(
                path,
                "skipped",
                "This path is marked skip-worktree (a sparse checkout), so it was not "
                "written; its new version is in the index. To get it: git update-index "
                f"--no-skip-worktree -- '{path}' && git checkout -- '{path}'.",
            )
            return
        if _GITLINK in (getattr(base, "mode", None), getattr(theirs, "mode", None)):
            staged = old is not None and index.get(old) != base
            if not staged:
                self._set_index(plan, change, index)
            plan.report(
                path,
                "skipped",
                "A submodule: "
                + (
                    "you changed its commit, so yours stays staged."
                    if staged
                    else "it now points at upstream's commit; to check it out, run "
                    f"git submodule update --init -- '{path}' in a terminal."
                ),
            )
            return
        staged = old is not None and index.get(old) != base
        on_disk = _lstat(self.wt.path / old) if old else None
        touched = old is not None and (staged or old in modified)
        if not touched:
            self._take_theirs(plan, change, index)
            if change.renamed:
                plan.report(new, "renamed", f"Renamed upstream from '{old}'.", **{"from": old})
            elif theirs is None:
                plan.report(old, "updated", "Removed upstream.")
            else:
                plan.report(new, "updated", "New from upstream." if base is None else "Updated from upstream.")
            return
        # the user changed ``old``: in the index, the work tree, or both
        if on_disk is None:
            if theirs is None:
                plan.index[old] = index.get(old) if staged else None
                return  # deleted on both sides: nothing on disk changes
            if index.get(old) is None:  # a staged deletion stays staged
                if change.renamed:
                    self._take_theirs(plan, change, index, keep_old_index=True)
                    plan.report(
                        new,
                        "restored",
                        f"You had deleted '{old}'; upstream renamed it to '{new}' and that file is here.",
                        **{"from": old},
                    )
                else:
                    plan.report(
                        old,
                        "skipped",
                        "You deleted this file (staged) and upstream changed it; your "
                        "deletion stays staged. Upstream's version: git restore --staged --worktree -- "
                        f"'{old}'.",
                    )
                return
            self._take_theirs(plan, change, index)
            if staged:  # staged content whose file was then deleted: that content is kept beside
                taken = set(plan.writes) | {d for _, d in plan.aside}
                beside = beside_name(self.wt.path, new, f"staged-{time.strftime('%Y%m%d-%H%M%S')}", taken)
                plan.writes[beside] = (self._blob(index[old].oid), index[old].mode)
                plan.report(
                    new,
                    "kept_both",
                    f"You had staged a change to this file, then deleted it; upstream "
                    f"changed it too. Upstream's version is here and what you had staged is saved as "
                    f"'{beside}'.",
                    beside=beside,
                )
                return
            plan.report(
                new,
                "restored",
                "You had deleted this file and upstream changed it, so upstream's version is back.",
                **({"from": old} if change.renamed else {}),
            )
            return
        if stat.S_ISDIR(on_disk.st_mode):
            self._set_index(plan, change, index)
            plan.report(
                old,
                "skipped",
                "You replaced this file with a folder; upstream changed the file. Your "
                f"folder stays; upstream's version: git show HEAD:'{path}'.",
            )
            return
        if theirs is None:
            plan.index[old] = index.get(old) if staged else None
            plan.report(
                old, "skipped", "Upstream deleted this file; your changed copy stays where it is (no longer tracked)."
            )
            return
        self._merge(plan, change, index, on_disk, staged, label)

    def _merge(
        self, plan: Plan, change: Change, index: dict[str, Entry], on_disk: os.stat_result, staged: bool, label: str
    ) -> None:
        old, new, base, theirs = change.old, change.new, change.base, change.theirs
        extra = {"from": old} if change.renamed else {}
        verb = "renamed" if change.renamed else None
        mine = _read_entry(self.wt.path / old, on_disk)
        base_data = self._blob(base.oid) if base and base.mode != _GITLINK else None
        if not staged and is_notebook(old) and base_data is not None and same_notebook(mine, base_data):
            # opened and saved by Jupyter, nothing changed as a notebook: upstream's version simply replaces it
            self._take_theirs(plan, change, index)
            plan.report(new, "renamed" if change.renamed else "updated", "Updated from upstream.", **extra)
            return
        theirs_data = self._blob(theirs.oid)
        mode = theirs.mode if (base is None or _mode_of(on_disk) == base.mode) else _mode_of(on_disk)
        self._set_index(plan, change, index, staged_content=(base_data, index.get(old)) if staged else None)
        if change.renamed:
            plan.removes.add(old)
        same = mine == theirs_data or (is_notebook(new) and same_notebook(mine, theirs_data))
        if same and _mode_of(on_disk) == theirs.mode:
            if change.renamed:
                plan.checkout.append(new)
                plan.report(new, "renamed", f"Renamed upstream from '{old}' (you had made the same change).", **extra)
            return
        symlinks = _SYMLINK in (theirs.mode, _mode_of(on_disk), getattr(base, "mode", None))
        binary = any(
            d is not None and (b"\0" in d[:8000] or d.startswith(_LFS_POINTER) or len(d) > _HUGE)
            for d in (mine, theirs_data, base_data)
        )
        if is_notebook(new) and not symlinks:
            try:
                merged = merge_notebooks(base_data, mine, theirs_data, label)
            except NotebookInvalid as err:
                if _problem_of(theirs_data):
                    self._keep_mine_at(plan, old, new, mine, mode)
                    plan.report(
                        new,
                        verb or "skipped",
                        f"Upstream's version is not a valid notebook "
                        f"({_problem_of(theirs_data)}), so it was not merged; it is in HEAD as upstream "
                        f"wrote it (git show HEAD:'{new}'). Yours stays in place. Tell the repository's "
                        "maintainers.",
                        **extra,
                    )
                    return
                log.info("notebook merge of %s refused: %s", new, err.reason)
                self._keep_both_beside(
                    plan,
                    old,
                    new,
                    mine,
                    mode,
                    theirs,
                    label,
                    extra,
                    f"Your notebook could not be read as a notebook ({err.reason})",
                )
                return
            plan.writes[new] = (merged.data, mode)
            outcome = "kept_both" if merged.conflicts else verb or "merged"
            detail = (
                f"Merged cell by cell; {merged.conflicts} cell conflict(s): your cell is kept and "
                "upstream's is right after it, marked with a note."
                if merged.conflicts
                else "Merged cell by cell with upstream's changes."
            )
            if change.renamed:
                detail = f"Renamed upstream from '{old}'. " + detail
            plan.report(new, outcome, detail, cells=merged.cells, conflicts=merged.conflicts or None, **extra)
            return
        if symlinks or binary or base_data is not None and b"\0" in base_data[:8000]:
            self._keep_both_beside(
                plan, old, new, mine, mode, theirs, label, extra, "You and upstream both changed this file"
            )
            return
        text, conflicts = self.merge_text(base_data or b"", mine, theirs_data, label)
        plan.writes[new] = (text, mode)
        detail = (
            "Merged with upstream's changes."
            if not conflicts
            else f"You and upstream both changed the same lines: {conflicts} conflict region(s) marked "
            f"<<<<<<< yours / >>>>>>> {label} hold both versions; keep what you need."
        )
        if change.renamed:
            detail = f"Renamed upstream from '{old}'. " + detail
        plan.report(new, "kept_both" if conflicts else verb or "merged", detail, **extra)

    def _keep_mine_at(self, plan: Plan, old: str, new: str, mine: bytes, mode: str) -> None:
        if old != new:
            plan.writes[new] = (mine, mode)

    def _keep_both_beside(
        self, plan: Plan, old: str, new: str, mine: bytes, mode: str, theirs: Entry, label: str, extra: dict, why: str
    ) -> None:
        self._keep_mine_at(plan, old, new, mine, mode)
        taken = set(plan.writes) | {d for _, d in plan.aside}
        beside = beside_name(self.wt.path, new, f"upstream-{plan.target[:7]}", taken)
        plan.writes[beside] = (self._blob(theirs.oid), theirs.mode if theirs.mode != _SYMLINK else "100644")
        plan.report(
            new,
            "kept_both",
            f"{why}; yours is kept whole and upstream's version is saved beside it as '{beside}'.",
            beside=beside,
            **extra,
        )

    def _take_theirs(self, plan: Plan, change: Change, index: dict[str, Entry], keep_old_index: bool = False) -> None:
        if change.old and change.old != change.new:
            if not keep_old_index:
                plan.index[change.old] = None
            plan.removes.add(change.old)
        if change.new:
            plan.index[change.new] = change.theirs
            plan.checkout.append(change.new)

    def _set_index(
        self,
        plan: Plan,
        change: Change,
        index: dict[str, Entry],
        staged_content: tuple[bytes | None, Entry | None] | None = None,
    ) -> None:
        if change.old and change.old != change.new:
            plan.index[change.old] = None
        if change.new:
            plan.index[change.new] = change.theirs
            if (
                staged_content is not None
                and staged_content[1] is not None
                and staged_content[1].oid != change.theirs.oid
            ):
                plan.staged_merges[change.new] = (
                    staged_content[0],
                    self._blob(staged_content[1].oid),
                    self._blob(change.theirs.oid),
                )

    def plan_clashes(self, plan: Plan, stamp: str, index: dict[str, Entry]) -> None:
        """Whatever of the user's stands where upstream's file must go (an untracked or ignored file, a folder
        with files left in it, a file where a folder must be, a symlink on the way) is moved aside, never
        overwritten, never followed."""
        root = self.wt.path
        moved: set[str] = set()
        for path in sorted(set(plan.checkout) | set(plan.writes)):
            parts = path.split("/")
            for depth in range(1, len(parts) + 1):
                prefix = "/".join(parts[:depth])
                if prefix in moved:
                    break
                seen = _lstat(root / prefix)
                if seen is None or prefix in plan.removes:
                    break
                if depth < len(parts):
                    if stat.S_ISDIR(seen.st_mode):
                        continue
                elif stat.S_ISDIR(seen.st_mode):
                    if not [p for p in expand_files(root, prefix) if p not in plan.removes]:
                        break
                elif prefix in index:
                    break  # a tracked file updated in place
                elif self._same_as_planned(plan, prefix, seen):
                    plan.entries.pop(prefix, None)  # already identical: no change on disk
                    break
                self._move_aside(plan, prefix, stamp, moved)
                break

    def _same_as_planned(self, plan: Plan, path: str, seen: os.stat_result) -> bool:
        if path in plan.writes:
            return False  # a beside name is always free; a merged file is tracked
        entry = plan.index.get(path)
        return (
            entry is not None
            and entry.mode == _mode_of(seen)
            and _read_entry(self.wt.path / path, seen) == self._blob(entry.oid)
        )

    def _move_aside(self, plan: Plan, prefix: str, stamp: str, moved: set[str]) -> None:
        taken = set(plan.writes) | {d for _, d in plan.aside}
        destination = beside_name(self.wt.path, prefix, f"local-{stamp}", taken)
        plan.aside.append((prefix, destination))
        moved.add(prefix)
        earlier = plan.entries.get(prefix)
        why = {"skipped": "Upstream deleted it and now has something else under this name"}.get(
            earlier["outcome"] if earlier else "", "Upstream now has a file or folder under this name"
        )
        if earlier and earlier["outcome"] == "skipped":
            del plan.entries[prefix]
        plan.entries[destination] = {
            "path": destination,
            "from": prefix,
            "outcome": "renamed",
            "detail": f"{why}, so your '{prefix}' was moved to '{destination}' (nothing in it changed).",
        }
        if prefix not in plan.entries:
            plan.report(prefix, "updated", "Now upstream's version (yours was moved aside).")

    # --- contents -----------------------------------------------------------------------------------
    def _blob(self, oid: str) -> bytes:
        if oid not in self._blobs:
            self._blobs[oid] = self.wt.run("cat-file", "blob", oid, stdout_bytes=True).stdout
        return self._blobs[oid]

    def merge_text(self, base: bytes, mine: bytes, theirs: bytes, label: str) -> tuple[bytes, int]:
        ready = self._text_merges.get((base, mine, theirs))
        return ready if ready is not None else self._merge_text_now(base, mine, theirs, label)

    def _merge_text_now(self, base: bytes, mine: bytes, theirs: bytes, label: str) -> tuple[bytes, int]:
        with tempfile.TemporaryDirectory(prefix="studio-collab-merge-") as folder:
            files = []
            for name, data in (("mine", mine), ("base", base), ("theirs", theirs)):
                target = Path(folder, name)
                target.write_bytes(data)
                files.append(str(target))
            result = self.wt.run(
                "merge-file", "-p", "-L", "yours", "-L", "base", "-L", label, *files, check=False, stdout_bytes=True
            )
        if result.returncode < 0 or result.returncode > 127:
            raise StudioCollabError("merge_failed", f"git could not merge a file: {self._short(result.stderr)}", 409)
        return result.stdout, result.returncode

    # --- applying -------------------------------------------------------------------------------------
    def apply(self, plan: Plan) -> str | None:
        wt = self.wt
        root = wt.path
        if plan.target == plan.head and not plan.index and not plan.aside:
            return None
        created_branch = None
        if self.choice == "branch":
            created_branch = self._keep_commits_on_branch(plan)
        recorder = SyncRecorder(wt)
        touched = plan.touched(root)
        record = recorder.begin(touched)
        for source, destination in plan.aside:
            os.rename(root / source, root / destination)
        for path in sorted(plan.removes, reverse=True):
            with contextlib.suppress(FileNotFoundError):
                (root / path).unlink()
            prune_empty_parents(root, path)
        entries = []
        for path, entry in plan.index.items():
            if path in plan.staged_merges:
                entry = self._staged(path, entry, plan)
            entries.append(f"0 {ZERO}\t{path}" if entry is None else f"{entry.mode} {entry.oid}\t{path}")
        for start in range(0, len(entries), _CHUNK * 10):
            wt.run(
                "update-index",
                "-z",
                "--index-info",
                input="".join(e + "\0" for e in entries[start : start + _CHUNK * 10]).encode(),
            )
        for path in plan.checkout:
            clear_dir_for_file(root, path)
        for path, entry in plan.index.items():
            if entry is not None and entry.mode == _GITLINK and not os.path.lexists(root / path):
                (root / path).mkdir(parents=True)  # as git checkout does: an empty folder until `submodule update`
        if plan.checkout:
            wt.run(
                "checkout-index", "-f", "-u", "-z", "--stdin", input="".join(p + "\0" for p in plan.checkout).encode()
            )
        for path, (data, mode) in plan.writes.items():
            clear_dir_for_file(root, path)
            wt.write_file(path, data, executable=mode == "100755")
        self._move_branch(plan)
        for path, flag in plan.flags.items():
            if plan.index.get(path) is not None:
                wt.run("update-index", f"--{flag}", "--", path, check=False)
        files = [{"path": f["path"], "outcome": f["outcome"]} for f in plan.files]
        return recorder.finish(record, touched, files, created_branch)

    def _staged(self, path: str, entry: Entry, plan: Plan) -> Entry:
        """What the user staged for a path upstream changed stays staged, merged onto upstream's version when
        that merges cleanly; otherwise the index takes upstream's (the user's version is in the work tree)."""
        base, staged, theirs = plan.staged_merges[path]
        if is_notebook(path):
            try:
                merged = merge_notebooks(base, staged, theirs, "upstream")
            except NotebookInvalid:
                return entry
            if merged.conflicts:
                return entry
            data = merged.data
        else:
            if b"\0" in staged[:8000] or b"\0" in theirs[:8000]:
                return entry
            data, conflicts = self.merge_text(base or b"", staged, theirs, "upstream")
            if conflicts:
                return entry
        oid = self.wt.run("hash-object", "-w", "--stdin", "--no-filters", input=data).stdout.strip()
        return Entry(entry.mode, oid)

    def _keep_commits_on_branch(self, plan: Plan) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = f"{plan.branch}-mine-{stamp}"
        n = 2
        while self.wt.rev(f"refs/heads/{name}"):
            name = f"{plan.branch}-mine-{stamp}-{n}"
            n += 1
        self.wt.run("update-ref", f"refs/heads/{name}", plan.head, ZERO)
        plan.notes.append(
            f"Your {plan.local_commits} commit(s) are kept on branch '{name}'; '{plan.branch}' now follows upstream."
        )
        return name

    def _move_branch(self, plan: Plan) -> None:
        ref = f"refs/heads/{plan.branch}"
        current = self.wt.rev(ref) or ZERO
        if self.wt.current_branch() == plan.branch:
            self.wt.run("update-ref", "-m", "studio-collab sync", ref, plan.target, plan.head or ZERO)
        else:  # detached: the branch moves to the target and HEAD goes back onto it
            self.wt.run("update-ref", "-m", "studio-collab sync", ref, plan.target, current)
            self.wt.run("symbolic-ref", "-m", "studio-collab sync", "HEAD", ref)


# --- helpers -------------------------------------------------------------------------------------------
@contextlib.contextmanager
def repo_lock(wt: Worktree):
    """One sync (or undo) per repository, across processes too (a second server, the CLI)."""
    path = wt.git_dir() / "studio-collab.lock"
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno in (errno.EAGAIN, errno.EACCES):
                raise StudioCollabError(
                    "repo_busy",
                    "Another sync or undo of this repository is running. Wait for it to finish, then try again.",
                    409,
                ) from err
            raise
        yield
    finally:
        handle.close()


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _read_entry(path: Path, seen: os.stat_result) -> bytes:
    if stat.S_ISLNK(seen.st_mode):
        return os.fsencode(os.readlink(path))  # never followed: the link itself is the content
    return path.read_bytes()


def _mode_of(seen: os.stat_result) -> str:
    if stat.S_ISLNK(seen.st_mode):
        return _SYMLINK
    return "100755" if seen.st_mode & stat.S_IXUSR else "100644"


def _problem_of(data: bytes) -> str | None:
    from .notebooks import notebook_problem

    return notebook_problem(data)

"""Fixtures for the git tests: real bare repos and clones on disk (the merge-logic tests use a local path as
transport; everything that tests transport — clone, progress, token, kill — uses the world's HTTPS server)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio_collab.git.clone import clone_repo
from studio_collab.git.command import GitRunner
from studio_collab.git.repo_spec import RepoSpec
from studio_collab.git.sync import RepoSync
from studio_collab.git.worktree import Worktree
from tests.git.repos import Upstream, git, notebook


def pytest_configure(config):
    config.addinivalue_line("markers", "git_config(**options): StudioCollabApp options for this test's server")


class SyncCase:
    """An upstream with a few files and the user's clone of it under a server root."""

    def __init__(self, base: Path):
        self.upstream = Upstream(base)
        self.upstream.commit(
            {
                "README.md": "# Course\n",
                "lesson.py": "".join(f"line {i}\n" for i in range(1, 11)),
                "data/table.csv": "a,b\n1,2\n",
                "analysis.ipynb": notebook("import math", "x = 1", "print(x)"),
                "image.bin": bytes(range(256)),
            },
            "initial",
        )
        self.root = base / "root"
        self.root.mkdir()
        self.runner = GitRunner(allowed_protocols=("file",))
        self.spec = RepoSpec(
            id="course-0000000000",
            name="course",
            url=self.upstream.url,
            source="config",
            target="course",
            branch="main",
        )
        clone_repo(self.runner, self.root, self.spec, timeout=60)
        self.repo = self.root / "course"

    def sync(
        self, branch: str | None = "main", *, preview: bool = False, choice: str | None = None, judge: bool = True
    ) -> dict:
        """Sync, then judge invariants 1, 4 and 5 with git and the file system as the truth."""
        before = self.state()
        result = RepoSync(Worktree(self.runner, self.repo, 60), branch, preview=preview, choice=choice).run()
        after = self.state()
        if preview or result.get("choice_needed"):
            assert after == before, "a preview (or a sync waiting for a choice) changed the repository"
            return result
        if judge:
            self.judge(before, after, result)
        return result

    def judge(self, before: dict, after: dict, result: dict) -> None:
        # 1. no commit the user did not make: no studio-collab identity anywhere in HEAD's history
        assert "studio-collab" not in self.git("log", "--format=%an %ae %cn %ce", "HEAD")
        # 4. never a conflict left in the index, never a git artifact in the tree
        porcelain = self.git("status", "--porcelain=v1", "-z", "--untracked-files=all").split("\0")
        assert not [line for line in porcelain if line[:2] in ("UU", "AA", "DD", "AU", "UA", "DU", "UD")]
        assert not [p for p in after["files"] if "~HEAD" in p or "~" in p.rsplit("/", 1)[-1]]
        # 5. every file whose bytes changed on disk is listed exactly once; nothing unchanged is listed
        paths = [f["path"] for f in result["files"]]
        assert len(paths) == len(set(paths)), paths
        listed = set(paths) | {f[k] for f in result["files"] for k in ("beside", "from") if f.get(k)}
        changed = {
            p for p in set(before["files"]) | set(after["files"]) if before["files"].get(p) != after["files"].get(p)
        }
        for path in changed:
            assert path in listed or any(path.startswith(f + "/") for f in listed), (path, result["files"])
        for f in result["files"]:
            assert f["outcome"] in ("updated", "merged", "kept_both", "renamed", "restored", "skipped"), f
            if f["outcome"] != "skipped":
                assert (
                    f["path"] in changed
                    or any(p.startswith(f["path"] + "/") for p in changed)
                    or f.get("from") in changed
                    or f.get("beside") in changed
                ), (f, changed)

    def state(self) -> dict:
        """HEAD, branch, index and every work-tree file's bytes (not .git): what must not move in a preview."""
        files = {}
        for path in sorted(self.repo.rglob("*")):
            rel = path.relative_to(self.repo).as_posix()
            if rel == ".git" or rel.startswith(".git/"):
                continue
            if path.is_symlink():
                files[rel] = ("link", os.readlink(path))
            elif path.is_file():
                files[rel] = (path.stat().st_mode & 0o111, path.read_bytes())
        return {
            "head": self.git("rev-parse", "-q", "--verify", "HEAD", check=False).strip(),
            "branch": self.git("symbolic-ref", "-q", "HEAD", check=False).strip(),
            "index": self.git("ls-files", "-s", "-v"),
            "files": files,
        }

    def outcomes(self, result: dict) -> dict[str, str]:
        return {f["path"]: f["outcome"] for f in result["files"]}

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.repo, *args, check=check)

    def read(self, path: str) -> str:
        return (self.repo / path).read_text()

    def write(self, path: str, text: str) -> None:
        (self.repo / path).parent.mkdir(parents=True, exist_ok=True)
        (self.repo / path).write_text(text)


@pytest.fixture
def case(tmp_path, monkeypatch) -> SyncCase:
    # A HOME of its own: the user's real git config must not influence (or be touched by) the tests.
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Real User\n\temail = user@example.com\n")
    monkeypatch.setenv("HOME", str(home))
    return SyncCase(tmp_path)

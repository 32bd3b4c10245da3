"""Fixtures for the git tests: real bare repos and clones on disk (the merge-logic tests use a local path as
transport; everything that tests transport — clone, progress, token, kill — uses the world's HTTPS server)."""

from __future__ import annotations

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
        self.upstream.commit({
            "README.md": "# Course\n",
            "lesson.py": "".join(f"line {i}\n" for i in range(1, 11)),
            "data/table.csv": "a,b\n1,2\n",
            "analysis.ipynb": notebook("import math", "x = 1", "print(x)"),
            "image.bin": bytes(range(256)),
        }, "initial")
        self.root = base / "root"
        self.root.mkdir()
        self.runner = GitRunner(allowed_protocols=("file",))
        self.spec = RepoSpec(id="course-0000000000", name="course", url=self.upstream.url, source="config",
                             target="course", branch="main")
        clone_repo(self.runner, self.root, self.spec, timeout=60)
        self.repo = self.root / "course"

    def sync(self, branch: str | None = "main") -> dict:
        return RepoSync(Worktree(self.runner, self.repo, 60), branch).run()

    def outcomes(self, result: dict) -> dict[str, str]:
        return {f["path"]: f["outcome"] for f in result["files"]}

    def git(self, *args: str) -> str:
        return git(self.repo, *args)

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

"""The provider's reading of a work tree, against git itself, on local repos (no world needed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from studio_collab.provenance.capture import head_of, read_head, strip_credentials, working_state


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@x",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@x",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "a.txt").write_text("one\n")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "first")
    git(path, "remote", "add", "origin", "https://user:s3cret@git.example.com/team/repo.git?token=x")
    return path


def truth(path: Path) -> tuple[str, str]:
    return git(path, "rev-parse", "HEAD").strip(), git(path, "rev-parse", "--abbrev-ref", "HEAD").strip()


@pytest.mark.parametrize("layout", ["loose", "packed", "detached", "linked_worktree"])
def test_head_read_from_files_matches_git(repo, tmp_path, layout):
    where = repo
    if layout == "packed":
        git(repo, "pack-refs", "--all")
        assert not (repo / ".git/refs/heads/main").exists()
    elif layout == "detached":
        git(repo, "checkout", "-q", "--detach")
    elif layout == "linked_worktree":
        (repo / "b.txt").write_text("two\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "second")
        where = tmp_path / "linked"
        git(repo, "worktree", "add", "-q", "-b", "side", str(where), "HEAD~1")
    top, index, commit, branch = read_head(where)
    assert (commit, branch) == truth(where) and top == where
    assert index == Path(git(where, "rev-parse", "--path-format=absolute", "--git-path", "index").strip())


def test_a_repo_without_commits_records_nothing(tmp_path):
    git(tmp_path, "init", "-q")
    assert head_of(tmp_path, None) is None


def test_working_state_diff_applies_to_rebuild_the_tree(repo, tmp_path):
    (repo / "a.txt").write_text("one\nedited\n")
    (repo / "new.py").write_text("print('new')\n")
    (repo / "blob.bin").write_bytes(b"\0" * 10)
    (repo / ".ipynb_checkpoints").mkdir()
    (repo / ".ipynb_checkpoints" / "x-checkpoint.ipynb").write_text("{}")
    index_before = (repo / ".git" / "index").read_bytes()
    found = working_state(head_of(repo, repo / "new.py"))
    assert found.dirty and found.path == "new.py" and found.branch == "main"
    assert found.repo_url == "https://git.example.com/team/repo.git"
    assert found.untracked_skipped == ["blob.bin (binary)"]
    assert (repo / ".git" / "index").read_bytes() == index_before  # the user's index is never written
    copy = tmp_path / "copy"
    git(tmp_path, "clone", "-q", str(repo), str(copy))
    (tmp_path / "p.diff").write_bytes(found.diff)
    git(copy, "apply", str(tmp_path / "p.diff"))
    assert (copy / "a.txt").read_bytes() == (repo / "a.txt").read_bytes()
    assert (copy / "new.py").read_bytes() == (repo / "new.py").read_bytes()


def test_a_clean_tree_has_no_diff(repo):
    found = working_state(head_of(repo, None))
    assert not found.dirty and found.diff == b"" and found.path is None


@pytest.mark.parametrize(
    "url, shown",
    [
        ("https://user:tok@github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://github.com/a/b.git?access_token=x#f", "https://github.com/a/b.git"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
        ("ssh://git@host:2222/a/b.git", "ssh://git@host:2222/a/b.git"),
    ],
)
def test_credentials_never_leave_the_kernel(url, shown):
    assert strip_credentials(url) == shown

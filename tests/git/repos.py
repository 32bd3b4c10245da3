"""Real git repos on disk for the git tests: a bare upstream, a maintainer's clone that pushes to it, and
notebooks written with nbformat. No mocks of git anywhere."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat

ENV_IDENTITY = {
    "GIT_AUTHOR_NAME": "Maintainer",
    "GIT_AUTHOR_EMAIL": "m@example.com",
    "GIT_COMMITTER_NAME": "Maintainer",
    "GIT_COMMITTER_EMAIL": "m@example.com",
}


def git(cwd: Path, *args: str, env: dict | None = None, check: bool = True) -> str:
    import os

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    full_env.update(ENV_IDENTITY, GIT_LITERAL_PATHSPECS="1")
    full_env.update(env or {})
    result = subprocess.run(["git", *args], cwd=cwd, env=full_env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def notebook(*sources: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nbformat.writes(nb)


class Upstream:
    """A bare repo plus a working clone the 'maintainer' commits and pushes from."""

    def __init__(self, base: Path, branch: str = "main"):
        self.bare = base / "upstream.git"
        self.work = base / "maintainer"
        self.branch = branch
        git(base, "init", "-q", "--bare", f"--initial-branch={branch}", str(self.bare))
        git(base, "clone", "-q", str(self.bare), str(self.work))
        git(self.work, "checkout", "-q", "-b", branch)

    @property
    def url(self) -> str:
        return str(self.bare)

    def commit(self, files: dict[str, str | bytes | None], message: str = "change") -> str:
        """Write (str/bytes) or delete (None) files, commit and push; returns the new commit."""
        for path, content in files.items():
            full = self.work / path
            if content is None:
                git(self.work, "rm", "-q", "--", path)
                continue
            full.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                full.write_bytes(content)
            else:
                full.write_text(content)
            git(self.work, "add", "--", path)
        git(self.work, "commit", "-q", "-m", message)
        git(self.work, "push", "-q", "origin", f"HEAD:refs/heads/{self.branch}")
        return git(self.work, "rev-parse", "HEAD").strip()

    def rewrite_history(self, files: dict[str, str]) -> None:
        """A force-push of a new root commit: the history users cloned is gone upstream."""
        git(self.work, "checkout", "-q", "--orphan", "rewritten")
        git(self.work, "rm", "-q", "-rf", "--cached", ".")
        for path, content in files.items():
            (self.work / path).parent.mkdir(parents=True, exist_ok=True)
            (self.work / path).write_text(content)
            git(self.work, "add", "--", path)
        git(self.work, "commit", "-q", "-m", "rewritten")
        git(self.work, "push", "-q", "--force", "origin", f"HEAD:refs/heads/{self.branch}")


def all_notebooks_valid(folder: Path) -> list[str]:
    """Paths of notebooks under ``folder`` that nbformat rejects (should be empty)."""
    bad = []
    for path in folder.rglob("*.ipynb"):
        if ".git" in path.parts:
            continue
        try:
            nbformat.validate(nbformat.reads(path.read_text(), as_version=nbformat.NO_CONVERT))
        except Exception:  # noqa: BLE001
            bad.append(str(path.relative_to(folder)))
    return bad

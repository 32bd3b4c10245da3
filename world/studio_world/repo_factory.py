"""Makes the git repos the world serves: real histories of notebooks and code, branches, and big repos.

Each repo is a bare repo ``<root>/<name>.git`` plus a working clone the factory keeps, so tests can add commits
upstream later (``commit``) and the product sees "updates available". Commits have fixed authors and dates so the
same scenario gives the same history.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import nbformat

AUTHORS = [("Alice Martin", "alice@example.com"), ("Bob Chen", "bob@example.com"), ("Carol Diaz", "carol@example.com")]
BASE_DATE = 1_763_000_000  # 2025-11-13: histories look a year old


class RepoFactory:
    def __init__(self, root: Path, workdir: Path):
        self.root = Path(root)
        self.workdir = Path(workdir)
        self.root.mkdir(parents=True, exist_ok=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._clock: dict[str, int] = {}

    def bare_path(self, name: str) -> Path:
        return self.root / f"{name}.git"

    def work_path(self, name: str) -> Path:
        return self.workdir / name

    # --- git plumbing ---------------------------------------------------------------------------
    def _git(self, cwd: Path, *args: str, author: tuple[str, str] | None = None, when: int | None = None) -> str:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.workdir),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }
        if author:
            env.update(
                GIT_AUTHOR_NAME=author[0],
                GIT_AUTHOR_EMAIL=author[1],
                GIT_COMMITTER_NAME=author[0],
                GIT_COMMITTER_EMAIL=author[1],
            )
        if when is not None:
            env.update(GIT_AUTHOR_DATE=f"{when} +0000", GIT_COMMITTER_DATE=f"{when} +0000")
        done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"git {args[0]} failed in {cwd}: {done.stderr.strip()}")
        return done.stdout

    def create(
        self, name: str, template: str = "notebooks", commits: int = 3, branches: list[str] | None = None, seed: int = 0
    ) -> Path:
        """A new bare repo ``name`` with ``commits`` commits on main from ``template`` and the extra branches."""
        bare, work = self.bare_path(name), self.work_path(name)
        for path in (bare, work):
            if path.exists():
                shutil.rmtree(path)
        self._git(self.root, "init", "--bare", "-b", "main", str(bare))
        self._git(bare, "config", "http.receivepack", "true")
        self._git(self.workdir, "clone", str(bare), str(work))
        self._git(work, "checkout", "-b", "main")
        rng = random.Random(f"{name}/{seed}")
        self._clock[name] = BASE_DATE + rng.randint(0, 86400 * 30)
        writer = TEMPLATES[template]
        for index in range(commits):
            message = writer(work, index, rng)
            self._commit(name, message, rng)
        self._git(work, "push", "-q", "origin", "main")
        for branch in branches or []:
            if branch == "main":
                continue
            self._git(work, "checkout", "-q", "-b", branch)
            (work / "NOTES.md").write_text(f"# Work on {branch}\n\nExperiments in progress on this branch.\n")
            self._commit(name, f"Start {branch}", rng)
            self._git(work, "push", "-q", "origin", branch)
            self._git(work, "checkout", "-q", "main")
        return bare

    def _commit(self, name: str, message: str, rng: random.Random | None = None) -> str:
        work = self.work_path(name)
        self._clock[name] = self._clock.get(name, BASE_DATE) + (rng or random).randint(3600, 86400 * 3)
        author = (rng or random).choice(AUTHORS)
        self._git(work, "add", "-A")
        self._git(work, "commit", "-q", "--allow-empty", "-m", message, author=author, when=self._clock[name])
        return self._git(work, "rev-parse", "HEAD").strip()

    def commit(self, name: str, files: dict[str, str | bytes | None], message: str, branch: str = "main") -> str:
        """Add a commit upstream (write, or delete when None, each file) and push it; returns its sha."""
        work = self.work_path(name)
        self._git(work, "checkout", "-q", branch)
        self._git(work, "pull", "-q", "--ff-only", "origin", branch)
        for rel, content in files.items():
            path = work / rel
            if content is None:
                path.unlink(missing_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        sha = self._commit(name, message)
        self._git(work, "push", "-q", "origin", branch)
        return sha

    def head(self, name: str, branch: str = "main") -> str:
        return self._git(self.bare_path(name), "rev-parse", branch).strip()


# --- templates: each writes commit number ``index`` into ``work`` and returns its message --------------
def _notebook(cells: list[tuple[str, str]]) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    for kind, source in cells:
        nb.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source))
    return nbformat.writes(nb)


def notebooks_template(work: Path, index: int, rng: random.Random) -> str:
    if index == 0:
        (work / "README.md").write_text(f"# {work.name}\n\nNotebooks of the data science team.\n")
        (work / "requirements.txt").write_text("pandas>=2.0\nscikit-learn>=1.4\nmlflow>=2.16\n")
        (work / "src").mkdir(exist_ok=True)
        (work / "src" / "features.py").write_text(
            '"""Feature engineering shared by the notebooks."""\n\n\ndef tenure_bucket(months: int) -> str:\n'
            '    return "new" if months < 6 else "regular" if months < 24 else "loyal"\n'
        )
        (work / "explore.ipynb").write_text(
            _notebook(
                [
                    ("md", "# Explore the data"),
                    ("code", "import pandas as pd\ndf = pd.read_csv('data/customers.csv')"),
                    ("code", "df.describe()"),
                ]
            )
        )
        return "Initial notebooks"
    depth = rng.randint(3, 9)
    rate = round(rng.uniform(0.01, 0.3), 3)
    (work / "train.ipynb").write_text(
        _notebook(
            [
                ("md", "# Train the model"),
                ("code", f"params = {{'max_depth': {depth}, 'learning_rate': {rate}}}"),
                ("code", "from src.features import tenure_bucket\nprint(tenure_bucket(12))"),
                ("md", f"Revision {index}: tuned depth to {depth}."),
            ]
        )
    )
    return f"Tune training parameters (max_depth={depth}, learning_rate={rate})"


def library_template(work: Path, index: int, rng: random.Random) -> str:
    package = work / work.name.replace("-", "_")
    package.mkdir(exist_ok=True)
    if index == 0:
        (work / "README.md").write_text(f"# {work.name}\n\nInternal library (private).\n")
        (package / "__init__.py").write_text('"""Internal feature library."""\n\n__version__ = "0.1.0"\n')
        return "Create the library"
    (package / f"features_{index}.py").write_text(
        f"def feature_{index}(x: float) -> float:\n    return x * {rng.randint(2, 9)}\n"
    )
    (package / "__init__.py").write_text(f'"""Internal feature library."""\n\n__version__ = "0.{index}.0"\n')
    return f"Add feature_{index}"


def big_template(work: Path, index: int, rng: random.Random) -> str:
    """~70 MB in ~3,000 files of poorly compressible text (a data-heavy repo for the benchmarks)."""
    if index > 0:
        (work / "CHANGELOG.md").write_text(f"Revision {index}\n")
        return f"Revision {index}"
    for i in range(3000):
        folder = work / "data" / f"part-{i // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"chunk-{i:04d}.txt").write_text(_noise(rng, 17_500))
    (work / "README.md").write_text("# Big repo\n\nGenerated data for clone benchmarks.\n")
    return "Add generated data"


def dataset_template(work: Path, index: int, rng: random.Random) -> str:
    """~6 MB of poorly compressible sample data: with the demo's bandwidth limit a clone takes ~20 s, long enough
    to watch its progress (percent and phase) and to reload the page in the middle of it."""
    if index > 0:
        (work / "CHANGELOG.md").write_text(f"Revision {index}\n")
        return f"Revision {index}"
    for i in range(250):
        folder = work / "samples" / f"batch-{i // 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"sample-{i:03d}.txt").write_text(_noise(rng, 17_500))
    (work / "README.md").write_text("# Sample images (encoded)\n\nA data-heavy repo served slowly in the demo.\n")
    return "Add sample data"


def _noise(rng: random.Random, size: int) -> str:
    import base64

    return base64.b64encode(rng.randbytes(size)).decode() + "\n"


TEMPLATES = {
    "notebooks": notebooks_template,
    "library": library_template,
    "big": big_template,
    "dataset": dataset_template,
}

# A bare repo holding this file is served at most this many bytes per second (the demo's slow repo).
RATE_LIMIT_FILE = "studio-world-rate-limit"

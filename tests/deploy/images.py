"""Stand-ins for a Studio image: the project's wheel, venvs that never saw this checkout, a PATH without node.

Creating a venv with JupyterLab takes about a minute here, so each venv is kept under
$STUDIO_COLLAB_TEST_VENVS (default /tmp/studio-collab-test-venvs), keyed by Python version and requirements,
and put back to its pristine state (no studio_collab, no config of ours) by every fixture that uses it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
VENVS = Path(os.environ.get("STUDIO_COLLAB_TEST_VENVS", "/tmp/studio-collab-test-venvs"))
PIP_TIMEOUT = 600
# What the LCC script and a Jupyter server need from the system; node deliberately absent.
SYSTEM_TOOLS = (
    "bash",
    "sh",
    "env",
    "git",
    "timeout",
    "sha256sum",
    "cmp",
    "cut",
    "mktemp",
    "date",
    "dirname",
    "basename",
    "rm",
    "mkdir",
    "cp",
    "mv",
    "cat",
    "ls",
    "uname",
    "sleep",
    "tee",
    "head",
    "tr",
    "grep",
    "sed",
    "id",
    "chmod",
    "touch",
    "readlink",
    "ln",
    "which",
    "ps",
)
# The extension set of the current SageMaker Distribution release (v4.4.0, studio-facts §8.1), pinned as the image
# pins it: the panel must load beside exactly these, at the oldest JupyterLab it supports (the one it is built for).
# Not installed here, being ML stacks rather than JupyterLab extensions studio-collab meets in the page: mlflow 3.15.1
# + sagemaker-mlflow 0.5.0, jupyter-ai (its @jupyter/chat share comes from jupyterlab-chat here), jupyter-scheduler
# 2.12 + amazon-sagemaker-jupyter-scheduler 3.2.2, git-remote-codecommit.
STUDIO_JUPYTERLAB = "4.5.10"
STUDIO_IMAGE = (
    f"jupyterlab=={STUDIO_JUPYTERLAB}",
    "notebook==7.5.7",
    "jupyterlab-git==0.54.1",
    "nbdime==4.0.4",
    "jupyter-collaboration==4.4.2",
    "jupyter-activity-monitor-extension==0.3.2",
    "sagemaker-jupyterlab-extension==0.6.1",
    "sagemaker-jupyterlab-extension-common==0.5.3",
    "jupyterlab-chat",
)
# The other end of the supported range: the newest JupyterLab 4.x with the newest of the same extensions that pip
# installs beside it (sagemaker-jupyterlab-extension then resolves to 0.5.x, not the image's 0.6.1).
NEWEST_IMAGE = (
    "jupyterlab>=4.6,<5",
    "jupyterlab-git",
    "jupyter-collaboration",
    "jupyter-activity-monitor-extension",
    "sagemaker-jupyterlab-extension",
    "jupyterlab-chat",
)
IMAGES = {"studio-image": STUDIO_IMAGE, "newest-image": NEWEST_IMAGE}


def product_dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"])


def image_requirements() -> list[str]:
    """What a Studio image has before studio-collab arrives: JupyterLab and the product's dependencies."""
    return [f"jupyterlab=={STUDIO_JUPYTERLAB}", *product_dependencies()]


@dataclass
class Venv:
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def prefix_config(self) -> Path:
        return self.path / "etc" / "jupyter"

    def pip(self, *args: str, timeout: float = PIP_TIMEOUT) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.python), "-m", "pip", "--disable-pip-version-check", "--no-input", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def has(self, distribution: str) -> bool:
        probe = (
            f"import importlib.metadata as m\ntry: m.version({distribution!r})\n"
            "except m.PackageNotFoundError: raise SystemExit(1)"
        )
        return subprocess.run([str(self.python), "-c", probe], timeout=60).returncode == 0

    def reset(self) -> None:
        """Back to the image as built: no studio_collab, none of the config files studio-collab writes."""
        if self.has("studio_collab"):
            result = self.pip("uninstall", "-y", "studio_collab", timeout=120)
            assert result.returncode == 0, result.stderr[-2000:]
        (self.prefix_config / "jupyter_studio_collab_config.json").unlink(missing_ok=True)

    def install_wheel(self, wheel: Path) -> None:
        result = self.pip("install", "--no-deps", "--no-index", str(wheel), timeout=180)
        assert result.returncode == 0, result.stderr[-3000:]


def ensure_venv(name: str, requirements: list[str], attempts: int = 2) -> tuple[Venv | None, str | None]:
    """A venv with ``requirements`` (made once, then reused); or None and pip's reason when they do not install.
    A failed install leaves nothing behind (no marker): the next session tries again, and within this one a
    failure is retried once (an index or network hiccup), so a test fails with pip's reason, never skips."""
    key = hashlib.sha256("\n".join([sys.version, *requirements]).encode()).hexdigest()[:12]
    venv = Venv(VENVS / f"{name}-{key}")
    ready = venv.path / ".ready"
    if ready.exists():
        return venv, None
    reason = None
    for _ in range(attempts):
        shutil.rmtree(venv.path, ignore_errors=True)  # a half-made venv, or one from before markers went away
        VENVS.mkdir(parents=True, exist_ok=True)
        subprocess.run([_base_python(), "-m", "venv", str(venv.path)], check=True, timeout=120)
        result = venv.pip("install", *requirements)
        if result.returncode == 0:
            ready.write_text("\n".join(requirements))
            return venv, None
        reason = _pip_reason(result)
    shutil.rmtree(venv.path, ignore_errors=True)
    return None, reason


def _base_python() -> str:
    """The interpreter this test venv was made from, so the new venv shares nothing with the project's."""
    return str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}")


def _pip_reason(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip() and "is ignored" not in line]
    errors = [line for line in lines if "ERROR" in line or "error:" in line.lower()]
    return " | ".join((errors or lines)[-3:])[:800]


def build_wheel(dest: Path) -> Path:
    """`pip wheel` of this checkout, with the prebuilt labextension inside (no node at install time)."""
    labextension = ROOT / "studio_collab" / "labextension"
    if not (labextension / "package.json").exists() or not list((labextension / "static").glob("remoteEntry.*.js")):
        raise RuntimeError("The labextension is not built: run `make build` (jlpm build:prod) first.")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dest), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pip wheel failed: {_pip_reason(result)}")
    wheel = next(dest.glob("studio_collab-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shared = "share/jupyter/labextensions/studio-collab/"
    for needed in (
        f"{shared}package.json",
        f"{shared}install.json",
        f"{shared}static/style.js",
        "etc/jupyter/jupyter_server_config.d/studio_collab.json",
    ):
        assert any(n.endswith(needed) for n in names), f"{wheel.name} lacks {needed}"
    return wheel


def node_free_env(venv: Venv, tmp: Path, **extra: str) -> dict:
    """An environment for the image's processes: its venv first, a few system tools, no node, no user site,
    and Jupyter config/data dirs of its own so nothing from this machine leaks in."""
    bin_dir = tmp / "system-bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in SYSTEM_TOOLS:
        found = shutil.which(tool)
        if found and not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(found)
    path = f"{venv.path / 'bin'}:{bin_dir}"
    assert shutil.which("node", path=path) is None and shutil.which("nodejs", path=path) is None
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "USER")}
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return {
        **keep,
        "PATH": path,
        "HOME": str(home),
        "PYTHONNOUSERSITE": "1",
        "VIRTUAL_ENV": str(venv.path),
        "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        **extra,
    }

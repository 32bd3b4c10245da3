"""The README's configuration reference is exactly what the traitlets say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from studio_collab.app import StudioCollabApp
from studio_collab.deploy import config_reference

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_section_equals_the_generated_reference():
    section = config_reference.section(README.read_text(encoding="utf-8"))
    assert section == config_reference.render(), (
        "README.md's configuration reference is stale: run "
        "`python -m studio_collab.deploy.config_reference --write README.md`"
    )


def test_every_admin_option_is_documented_once():
    reference = config_reference.render()
    for name in StudioCollabApp.class_own_traits(config=True):
        assert reference.count(f"| `{name}` |") == 1, name


def test_write_replaces_only_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{config_reference.START}\nold table\n{config_reference.END}\noutro\n")
    result = subprocess.run(
        [sys.executable, "-m", "studio_collab.deploy.config_reference", "--check", str(readme)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "out of date" in result.stderr
    subprocess.run(
        [sys.executable, "-m", "studio_collab.deploy.config_reference", "--write", str(readme)], check=True, timeout=60
    )
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old table" not in text
    assert config_reference.section(text) == config_reference.render()


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError, match="markers"):
        config_reference.replace_section("no markers here", "table")

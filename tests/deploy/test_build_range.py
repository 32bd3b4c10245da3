"""The prebuilt panel asks the page only for what both ends of the supported JupyterLab range provide.

Truths: the built remoteEntry (what the browser's module federation checks) and the lock file each image's own
JupyterLab ships (``jupyterlab/staging/yarn.lock``: the versions its page bundles and shares)."""

from __future__ import annotations

import json
import re

from tests.deploy.images import ROOT, STUDIO_JUPYTERLAB

SHARED = re.compile(r'shareKey:"(?P<key>[^"]+)",import:null,requiredVersion:"(?P<range>[^"]+)"')
LOCKED = re.compile(r'^"(?P<key>@?[^@"]+)@[^"]*":\n  version: (?P<version>\S+)', re.M)


def required_versions() -> dict[str, str]:
    [entry] = (ROOT / "studio_collab" / "labextension" / "static").glob("remoteEntry.*.js")
    found = {m["key"]: m["range"] for m in SHARED.finditer(entry.read_text(encoding="utf-8"))}
    assert "@jupyterlab/application" in found, "no shared packages found in remoteEntry: was the build changed?"
    return found


def provided_versions(venv) -> dict[str, str]:
    [lock] = venv.path.glob("lib/python*/site-packages/jupyterlab/staging/yarn.lock")
    return {m["key"]: m["version"] for m in LOCKED.finditer(lock.read_text(encoding="utf-8"))}


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.match(r"\d+(?:\.\d+)*", version).group(0).split("."))


def satisfies(version: str, caret_range: str) -> bool:
    """npm's ``^a.b.c`` for a >= 1: the same major, and at least a.b.c (a prerelease bound counts as its release's
    lower neighbour, which is all the ranges here need)."""
    assert caret_range.startswith("^"), caret_range
    wanted = _numbers(caret_range[1:])
    have = _numbers(version)
    return have[0] == wanted[0] and have >= wanted


def test_the_check_itself():
    assert satisfies("4.5.10", "^4.5.10") and satisfies("4.6.6", "^4.5.10")
    assert not satisfies("4.5.10", "^4.6.4") and not satisfies("5.0.0", "^4.5.10")


def test_built_for_the_oldest_jupyterlab_supported():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    build = package["studioCollab"]["jupyterlab"]
    assert build["builtFor"] == STUDIO_JUPYTERLAB == package["resolutions"]["@jupyterlab/application"]
    assert required_versions()["@jupyterlab/application"] == f"^{STUDIO_JUPYTERLAB}"
    assert f"JupyterLab {build['supported']}" in (ROOT / "README.md").read_text(encoding="utf-8")
    # the installed labextension says the same (what `studio-collab doctor` reads)
    built = json.loads((ROOT / "studio_collab" / "labextension" / "package.json").read_text(encoding="utf-8"))
    assert built["studioCollab"] == package["studioCollab"]


def test_every_shared_package_is_in_both_images(_studio_image_venv):
    provided = provided_versions(_studio_image_venv)
    unsatisfied = {
        key: (wanted, provided.get(key))
        for key, wanted in required_versions().items()
        if key not in provided or not satisfies(provided[key], wanted)
    }
    assert unsatisfied == {}, f"{_studio_image_venv.image}: {unsatisfied}"

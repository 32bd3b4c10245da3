"""The product wheel carries the product only: no local Studio world (emulator, scenarios, git server), and the
price table once. Read from the built wheel itself, as pip would install it."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile

from tests.deploy.images import ROOT


def members(wheel) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


def test_no_world_in_the_product_wheel(project_wheel):
    files = members(project_wheel)
    assert not [n for n in files if "studio_world" in n or "moto" in n.lower()]
    world_sources = {
        hashlib.sha256(p.read_bytes()).hexdigest(): p.name
        for p in (ROOT / "world" / "studio_world").rglob("*")
        if p.is_file() and p.suffix != ".pyc"
    }
    copied = sorted(
        f"{name} (= world/{world_sources[digest]})"
        for name, data in files.items()
        if (digest := hashlib.sha256(data).hexdigest()) in world_sources and not name.endswith("sagemaker-prices.json")
    )
    assert copied == [], copied
    # moto (the emulator's engine) is imported nowhere; the world only by `studio-collab demo`, which says how to
    # install it when it is absent (cli.py)
    assert [
        n for n, data in files.items() if n.endswith(".py") and re.search(rb"^\s*(import|from) moto\b", data, re.M)
    ] == []
    assert [n for n, data in files.items() if n.endswith(".py") and b"studio_world" in data] == ["studio_collab/cli.py"]


def test_the_price_table_ships_once(project_wheel):
    files = members(project_wheel)
    tables = [n for n, data in files.items() if n.endswith(".json") and b'"ml.t3.medium"' in data]
    assert tables == ["studio_collab/cost/data/sagemaker-prices.json"], tables
    json.loads(files[tables[0]])

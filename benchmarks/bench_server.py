"""Server start-to-ready, resident memory, and the JavaScript the labextension ships.

Method:
- start-to-ready: `jupyter server` on a free port, timed from spawn until `GET /api/status` answers 200
  (asked every 10 ms; the package's bytecode compiled first, as a wheel install does),
  with and without studio_collab enabled, interleaved; median of 5 each (1 in smoke mode). Figure: the
  difference of the medians (budget +150 ms).
- memory: VmRSS of each server after one GET to every parameterless studio-collab GET route (and the same
  requests on the server without the extension); figure: the difference (budget +60 MB).
- JavaScript: bytes of every file under the labextension's static folder (budget 250 KB; jupyterlab-git 0.55
  ships 930 KB).
"""

from __future__ import annotations

import compileall
import json
import tempfile
import time
from pathlib import Path

import requests

from tests.servers import start_lab

from .framework import Figure, limit_figure, median

PACKAGE = Path(__file__).resolve().parents[1] / "studio_collab"
OFF = ["--ServerApp.jpserver_extensions=studio_collab=False"]


def _start(root: Path, with_extension: bool):
    began = time.perf_counter()
    server = start_lab(root, command="server", args=[] if with_extension else OFF, poll_interval=0.01,
                       env={"STUDIO_COLLAB_RESOURCE_METADATA": str(root.parent / "absent.json")})
    seconds = time.perf_counter() - began
    answer = requests.get(server.api("status"), headers=server.headers, timeout=30).status_code
    if (answer == 200) != with_extension:  # the baseline must really run without the extension
        server.stop()
        raise RuntimeError(f"studio-collab status answered {answer} with_extension={with_extension}")
    return server, seconds


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _touch_every_route(server) -> None:
    document = requests.get(server.api("openapi.json"), headers=server.headers, timeout=30)
    paths = document.json()["paths"] if document.status_code == 200 else {"/status": {"get": {}}}
    for path, item in paths.items():
        if "get" in item and "{" not in path and not path.endswith("events"):
            requests.get(server.api(path.lstrip("/")), headers=server.headers, timeout=60)


def _compile_bytecode() -> None:
    """As `pip install` of the wheel does: an editable checkout (and PYTHONDONTWRITEBYTECODE) would otherwise
    charge the extension for compiling its own source at every start, which no installed copy pays."""
    compileall.compile_dir(str(PACKAGE), quiet=1)


def run(smoke: bool) -> list[Figure]:
    _compile_bytecode()
    repetitions = 1 if smoke else 5
    times = {True: [], False: []}
    memory = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(repetitions):
            for with_extension in (False, True):
                server, seconds = _start(Path(tmp) / f"root-{index}-{with_extension}", with_extension)
                try:
                    times[with_extension].append(seconds)
                    if index == repetitions - 1:
                        _touch_every_route(server)
                        time.sleep(0.5)
                        memory[with_extension] = _rss_mb(server.process.pid)
                finally:
                    server.stop()
    start_delta_ms = (median(times[True]) - median(times[False])) * 1000
    static = PACKAGE / "labextension" / "static"
    js_bytes = sum(f.stat().st_size for f in static.rglob("*") if f.is_file())
    return [
        limit_figure("server start-to-ready, extension cost", start_delta_ms, "ms", 150,
                     baseline=median(times[False]) * 1000, note=f"median of {repetitions}"),
        limit_figure("server RSS after every route, extension cost", memory[True] - memory[False], "MB", 60,
                     baseline=memory[False]),
        limit_figure("labextension JavaScript", js_bytes / 1024, "KB", 250, baseline=930.0,
                     note="baseline: jupyterlab-git 0.55"),
    ]


if __name__ == "__main__":
    print(json.dumps([f.__dict__ for f in run(smoke=True)], indent=2))

"""Share then import of a 20 MB notebook, against a plain copy through the same store.

Method: a notebook with 20 MB of outputs (1 MB in smoke mode) is shared with outputs and imported back by
the real ShareService (snapshot, sha256, manifest, background jobs, verified landing in a second root), timed
from the create call until the imported file exists. The baseline moves the same bytes through the same store
with no service around them: for the folder store `shutil.copyfile` into the store and back; for S3 one
upload and one download with boto3's transfer manager (same part size) against the local world's AWS
emulator, run in its own process. One warm-up round, then interleaved rounds, median of 11 each (1 in smoke mode). Budget: 1.5x.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .framework import Figure, median, ratio_figure

BUCKET = "studio-collab-bench"
BENCH_VIEWER = "bench-user"  # the named viewer who shares and imports (an unknown one never acts)


def _notebook(path: Path, size: int) -> Path:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    for index in range(40):
        output = nbformat.v4.new_output("stream", name="stdout", text="x" * (size // 40))
        notebook.cells.append(nbformat.v4.new_code_cell(f"print({index})", execution_count=index + 1,
                                                        outputs=[output]))
    nbformat.write(notebook, path)
    return path


def _service(root: Path, store):
    from studio_collab.jobs import JobRegistry
    from studio_collab.share.service import ShareService, ShareSettings
    from studio_collab.share.spaces import SpaceDirectory
    from studio_collab.studio.aws import AwsClients, AwsSettings
    from studio_collab.studio.cache import TtlCache
    from studio_collab.studio.context import StudioContext
    from studio_collab.studio.service import StudioService

    context = StudioContext(False, "benchmark: outside Studio")
    aws, cache = AwsClients(AwsSettings()), TtlCache()
    studio = StudioService(context, aws, cache)
    return ShareService(store, studio, SpaceDirectory(studio, aws, cache, 60.0), JobRegistry(), cache, root,
                        ShareSettings(max_bytes=200 << 20))


async def _share_and_import(service, name: str) -> float:
    began = time.perf_counter()
    created = await service.create(BENCH_VIEWER, {"path": name, "include_outputs": True}, "http://127.0.0.1/import")
    share = created.result if created.job is None else (await service.jobs.wait(created.job.id)).result
    imported = await service.import_share(BENCH_VIEWER, share["share"]["id"])
    landed = imported.result if imported.job is None else (await service.jobs.wait(imported.job.id)).result
    seconds = time.perf_counter() - began
    if not landed or not (service.root_dir / landed["path"]).exists():
        raise RuntimeError(f"the import did not land: {landed}")
    return seconds


async def _interleaved(service, baseline, repetitions: int) -> tuple[list[float], list[float]]:
    """One service for every round, as in a running server; a first unmeasured round warms both paths."""
    ours, plain = [], []
    for round_number in range(repetitions + 1):
        seconds = await _share_and_import(service, "big.ipynb")
        plain_seconds = baseline()
        if round_number:
            ours.append(seconds)
            plain.append(plain_seconds)
    return ours, plain


def _folder_copy(source: Path, store: Path, back: Path) -> float:
    began = time.perf_counter()
    shutil.copyfile(source, store / "plain-copy")
    shutil.copyfile(store / "plain-copy", back)
    return time.perf_counter() - began


def _s3_copy(aws, source: Path, back: Path) -> float:
    from studio_collab.share.store import S3ShareStore

    config = S3ShareStore(aws, BUCKET, "")._transfer_config()
    client = aws.client("s3")
    began = time.perf_counter()
    with open(source, "rb") as reader:
        client.upload_fileobj(reader, BUCKET, "plain-copy", Config=config)
    with open(back, "wb") as writer:
        client.download_fileobj(BUCKET, "plain-copy", writer, Config=config)
    return time.perf_counter() - began


def _start_emulator() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "studio_world.emulator", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    line = process.stdout.readline()
    if not line:
        raise RuntimeError("the AWS emulator did not start")
    return process, json.loads(line)["url"]


def _measure(kind: str, size: int, repetitions: int) -> Figure:
    from studio_collab.share.store import FolderShareStore, S3ShareStore
    from studio_collab.studio.aws import AwsClients, AwsSettings

    with tempfile.TemporaryDirectory(prefix="bench-share-") as scratch:
        work = Path(scratch)
        root = work / "root"
        root.mkdir()
        source = _notebook(root / "big.ipynb", size)
        emulator, aws = None, None
        try:
            if kind == "folder":
                (work / "store").mkdir()
                store = FolderShareStore(work / "store")
                baseline = lambda: _folder_copy(source, work / "store", work / "back")  # noqa: E731
            else:
                emulator, url = _start_emulator()
                os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
                os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
                aws = AwsClients(AwsSettings(region="us-east-1", endpoint_url=url, max_attempts=1, read_timeout=60))
                aws.client("s3").create_bucket(Bucket=BUCKET)
                store = S3ShareStore(aws, BUCKET, "bench/")
                baseline = lambda: _s3_copy(aws, source, work / "back")  # noqa: E731
            ours, plain = asyncio.run(_interleaved(_service(root.resolve(), store), baseline, repetitions))
        finally:
            if aws is not None:
                aws.close()
            if emulator is not None:
                os.killpg(emulator.pid, signal.SIGTERM)
                emulator.wait(timeout=15)
    return ratio_figure(f"share+import {size >> 20} MB notebook ({kind} store)", median(ours), median(plain), "s",
                        1.5, f"baseline: plain {'file copy' if kind == 'folder' else 'S3 put+get'} of the same bytes")


def run(smoke: bool) -> list[Figure]:
    size = (1 if smoke else 20) << 20
    repetitions = 1 if smoke else 11
    return [_measure("folder", size, repetitions), _measure("s3", size, repetitions)]

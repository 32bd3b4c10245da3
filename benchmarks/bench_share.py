"""Share then import of a 20 MB notebook through the product's routes, against a plain copy through the same store.

Method: the Studio-like server (`benchmarks.studio_like`: alice's private space, jupyter lab at
/jupyterlab/default, AWS's latency profile) has a notebook with 20 MB of outputs (1 MB in smoke mode) under its
root. Ours: `POST shares {path, include_outputs: true, target_space: "team-space"}` (snapshot, sha256, manifest,
upload job), then `POST shares/{id}/import` (download job, verified landing), each job followed through `GET
jobs/{id}` every 20 ms, timed from the first request until the imported file is reported. The baseline moves the
same bytes through the same store with no service around them: for the folder store (`share_folder`, a shared
EFS in Studio) `shutil.copyfile` into the store and back; for S3 (`share_store=s3`, a bucket of the world's S3,
30 ms a call) one upload and one download with boto3's transfer manager (the product's part size) against the
same endpoint. One warm-up round, then interleaved rounds, median of 11 each (1 in smoke mode). Budget: 1.5x.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import requests

from .framework import Figure, median, ratio_figure
from .studio_like import StudioLike, wait_job

BUCKET = "studio-collab-bench-shares"
TARGET_SPACE = "team-space"


def _notebook(path: Path, size: int) -> Path:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    for index in range(40):
        output = nbformat.v4.new_output("stream", name="stdout", text="x" * (size // 40))
        notebook.cells.append(nbformat.v4.new_code_cell(f"print({index})", execution_count=index + 1, outputs=[output]))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def _post(server, session, path: str, body: dict) -> dict:
    answer = session.post(server.api(path), headers=server.headers, json=body, timeout=120)
    if answer.status_code not in (200, 201, 202):
        raise RuntimeError(f"POST {path} answered {answer.status_code}: {answer.text[:300]}")
    return answer.json()


def _result(server, session, answer: dict) -> dict:
    if "job" not in answer:
        return answer
    job = wait_job(server, answer["job"], session, interval=0.02)
    if job["state"] != "succeeded":
        raise RuntimeError(f"share job failed: {job}")
    return job["result"]


def _share_and_import(server, session, name: str) -> float:
    began = time.perf_counter()
    share = _result(
        server,
        session,
        _post(server, session, "shares", {"path": name, "include_outputs": True, "target_space": TARGET_SPACE}),
    )["share"]
    landed = _result(server, session, _post(server, session, f"shares/{share['id']}/import", {}))
    seconds = time.perf_counter() - began
    if not landed.get("path") or not (server.root_dir / landed["path"]).exists():
        raise RuntimeError(f"the import did not land: {landed}")
    return seconds


def _folder_copy(source: Path, store: Path, back: Path) -> float:
    began = time.perf_counter()
    shutil.copyfile(source, store / "plain-copy")
    shutil.copyfile(store / "plain-copy", back)
    return time.perf_counter() - began


def _transfer_config():
    """The product's S3 transfer settings (part size, concurrency), so both sides move the same parts."""
    from studio_collab.share import store

    for name in ("transfer_config", "_transfer_config"):
        made = getattr(store, name, None)
        if callable(made):
            return made()
    return store.S3ShareStore._transfer_config(None)


def _s3_copy(client, config, source: Path, back: Path) -> float:
    began = time.perf_counter()
    with open(source, "rb") as reader:
        client.upload_fileobj(reader, BUCKET, "plain-copy", Config=config)
    with open(back, "wb") as writer:
        client.download_fileobj(BUCKET, "plain-copy", writer, Config=config)
    return time.perf_counter() - began


def _measure(studio: StudioLike, kind: str, size: int, repetitions: int) -> Figure:
    work = studio.workdir / f"share-{kind}"
    config = {"share_store": "s3", "share_s3_bucket": BUCKET} if kind == "s3" else {}
    source = _notebook(work / "root" / "big.ipynb", size)
    client = None
    if kind == "s3":
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=studio.world.emulator_url,
            region_name=studio.world.scenario.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket=BUCKET)
        transfer = _transfer_config()
        baseline = lambda: _s3_copy(client, transfer, source, work / "back")  # noqa: E731
    else:
        store = studio.workdir / "shares"
        store.mkdir(exist_ok=True)
        baseline = lambda: _folder_copy(source, store, work / "back")  # noqa: E731
    server = studio.lab(f"share-{kind}", config=config)
    try:
        session = requests.Session()
        ours, plain = [], []
        for round_number in range(repetitions + 1):
            pair = (
                (_share_and_import(server, session, "big.ipynb"), baseline())
                if round_number % 2 == 0
                else tuple(reversed((baseline(), _share_and_import(server, session, "big.ipynb"))))
            )
            if round_number:  # the first round warms both paths
                ours.append(pair[0])
                plain.append(pair[1])
    finally:
        server.stop()
    return ratio_figure(
        f"share+import {size >> 20} MB notebook ({kind} store)",
        median(ours),
        median(plain),
        "s",
        1.5,
        f"POST shares + POST import, jobs followed; baseline: plain "
        f"{'file copy' if kind == 'folder' else 'S3 put+get'} of the same bytes",
    )


def run(smoke: bool) -> list[Figure]:
    size = (1 if smoke else 20) << 20
    repetitions = 1 if smoke else 11
    with tempfile.TemporaryDirectory(prefix="bench-share-") as scratch:
        with StudioLike.start(Path(scratch)) as studio:
            return [_measure(studio, "folder", size, repetitions), _measure(studio, "s3", size, repetitions)]

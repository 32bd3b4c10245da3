"""GET cost over the `large` scenario: cold, warm, and what 20 concurrent pollers cost AWS.

Method: the local Studio world runs in its own processes (emulator seeded with `large`: 1,000 apps (111 of them
deleted, so their spaces' volumes bill alone), 200 notebook instances, 100 endpoints, 5,000 training jobs, and the
kinds people forget: 20 warm pools, 20 scheduled notebook jobs, 20 inference components, 10 MLflow Apps; `demo` in
smoke mode), and a real `jupyter server` with studio-collab points at it from the scenario's first space, keeping
the domain's shared inventory in a share folder (as on Studio's shared EFS).
- cold: the first GET cost (scope=domain) after start, i.e. one full inventory round (lists through paginators,
  bounded Describe* fan-out, pricing, the shared snapshot written) plus the answer; median of 3 rounds, each after
  the cache expired (budget 2 s). Baseline: the same calls, read from the emulator's journal of that round, replayed one after
  another with plain boto3 (budget 1x).
- warm: 50 sequential GETs inside the cache TTL on one kept-alive connection, each read to its last byte as
  sent (gzip, as browsers ask) without decompressing, answered from the shared inventory; p50 (budget 5 ms), with
  GET status on the same server as the baseline.
- pollers: AWS calls counted at the emulator for 20 concurrent GETs (half `domain`, half `mine`) right after
  the cache expired, against the calls of one round (budget 1.2x).
- spaces: 20 spaces' servers (3 in smoke mode), one `jupyter server` each on one shared folder, polling GET cost
  every 2 s for 5 minutes (30 s in smoke mode) with AWS's rate limits on at the emulator; their SageMaker calls
  against one server polling alone for as long (budget 1.2x), and the errors any poller saw (budget 0).
`make bench` runs the full sizes (20 servers, 5 minutes, `large`); `--smoke` (the benchmark smoke test) the small.
"""

from __future__ import annotations

import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.servers import start_lab

from .framework import Figure, limit_figure, median, percentile, ratio_figure

TTL = 4.0
# The kinds people forget (row C9); the cold round must list each of them in the full run.
FORGOTTEN_KINDS = {"space_storage", "warm_pool", "scheduled_notebook_job", "inference_component", "mlflow_app"}
SPACES_TTL = 5.0  # the shipped default is 30 s; shorter, so that a run sees many rounds


def _get(server, scope: str = "domain", session=requests) -> dict:
    answer = session.get(server.api(f"cost?scope={scope}"), headers=server.headers, timeout=60)
    answer.raise_for_status()
    return answer.json()


def _read_raw(session, url: str, headers: dict) -> bytes:
    answer = session.get(url, headers={**headers, "Accept-Encoding": "gzip"}, timeout=60, stream=True)
    answer.raise_for_status()
    return answer.raw.read(decode_content=False)


def _p50_ms(call, repetitions: int) -> tuple[float, float]:
    times = []
    for _ in range(repetitions):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return percentile(times, 50), percentile(times, 99)


def _replay_sequentially(world, journal: list[dict]) -> float:
    """The baseline: the very calls the round made (from the emulator's journal), one after another with plain
    boto3 clients made beforehand: no cache, no threads, no answer to build."""
    import boto3
    from botocore import xform_name

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=world.scenario.region
    )
    calls = []
    clients = {}
    for call in journal:
        service, operation = call["operation"].split(":", 1)
        if call["params"] is None:
            raise RuntimeError(f"{call['operation']} is not a JSON-protocol call; the replay cannot make it")
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=world.emulator_url)
        calls.append((getattr(clients[service], xform_name(operation)), call["params"]))
    began = time.perf_counter()
    for method, params in calls:
        method(**params)
    return time.perf_counter() - began


def _space_server(world, tmp: Path, space: str, share_folder: Path, sharing: str):
    metadata = world.write_resource_metadata(tmp / f"{space}-metadata.json", space)
    env = {
        "AWS_ENDPOINT_URL": world.emulator_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": world.scenario.region,
        "STUDIO_COLLAB_RESOURCE_METADATA": str(metadata),
        "SAGEMAKER_SPACE_TYPE_LOWERCASE": sharing.lower(),
    }
    server = start_lab(
        tmp / f"{space}-root",
        command="server",
        env=env,
        timeout=240,
        args=[
            f"--StudioCollabApp.cost_cache_ttl_seconds={SPACES_TTL}",
            f"--StudioCollabApp.share_folder={share_folder}",
            f"--SQLiteYStore.db_path={tmp / f'{space}-ystore.db'}",
        ],
    )
    # "mine" needs a named viewer: a private space's owner. These requests carry no Studio cookie, so a shared
    # space's panels read the domain's table (as the panel itself does then).
    server.scopes = ("domain", "mine") if sharing.lower() == "private" else ("domain", "domain")
    return server


def _poll(servers: list, seconds: float) -> tuple[int, int]:
    """Every server polled every 2 s (one `domain`, one `mine` panel each) for ``seconds``: (answers, errors)."""
    answers = errors = 0
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(max_workers=min(40, 2 * len(servers))) as pool:
        while time.monotonic() < deadline:
            began = time.monotonic()
            batch = list(
                pool.map(
                    lambda job: _get(job[0], job[1]), [(server, scope) for server in servers for scope in server.scopes]
                )
            )
            answers += len(batch)
            errors += sum(1 for a in batch if a["errors"] or a["stale"] or not a["available"])
            time.sleep(max(0.0, 2.0 - (time.monotonic() - began)))
    return answers, errors


def _sagemaker_calls(world) -> int:
    return sum(n for op, n in world.control.calls().items() if op.startswith("sagemaker:"))


def shared_inventory_figures(smoke: bool) -> list[Figure]:
    """N spaces' servers sharing one inventory vs one server alone, under the account's rate limits."""
    from studio_world.local_world import LocalWorld

    count, seconds = (3, 30.0) if smoke else (20, 300.0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        world = LocalWorld(tmp_path / "world", "demo" if smoke else "large", in_process=False)
        world.start()
        servers = []
        try:
            share_folder = tmp_path / "efs"
            share_folder.mkdir()
            spaces = world.scenario.section("spaces")[:count]
            with ThreadPoolExecutor(max_workers=4) as pool:
                servers = list(
                    pool.map(lambda sp: _space_server(world, tmp_path, sp["name"], share_folder, sp["sharing"]), spaces)
                )
            world.control.rate_limits(True)
            for server in servers:
                _get(server)  # the first round
            time.sleep(SPACES_TTL)
            world.control.clear_calls()
            _, alone_errors = _poll(servers[:1], seconds)
            alone = _sagemaker_calls(world)
            # The others' snapshots age meanwhile: start the crowd on a fresh TTL window, as the single one did.
            time.sleep(SPACES_TTL)
            world.control.clear_calls()
            answers, errors = _poll(servers, seconds)
            crowd = _sagemaker_calls(world)
            throttled = sum(world.control.rate_limits()["throttled"].values())
        finally:
            for server in servers:
                server.stop()
            world.stop()
    note = (
        f"{count} spaces' servers, {seconds:.0f} s, TTL {SPACES_TTL:.0f} s, rate limits on; {answers} answers; "
        f"{throttled} calls throttled at the emulator (absorbed by pacing and retries)"
    )
    return [
        ratio_figure(
            f"{count} spaces' servers sharing one inventory: SageMaker calls",
            crowd,
            alone,
            "calls",
            1.2,
            note=note + "; baseline: one server polling alone as long",
        ),
        limit_figure(
            f"{count} spaces' servers: answers with an error or stale rows",
            errors + alone_errors,
            "answers",
            0,
            note="throttling never reaches a user",
        ),
    ]


def run(smoke: bool) -> list[Figure]:
    from studio_world.local_world import LocalWorld

    scenario = "demo" if smoke else "large"
    with tempfile.TemporaryDirectory() as tmp:
        world = LocalWorld(Path(tmp) / "world", scenario, in_process=False)
        world.start()
        server = None
        try:
            space = world.scenario.lab_space or world.scenario.section("spaces")[0]["name"]
            metadata = world.write_resource_metadata(Path(tmp) / "resource-metadata.json", space)
            env = {
                "AWS_ENDPOINT_URL": world.emulator_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": world.scenario.region,
                "STUDIO_COLLAB_RESOURCE_METADATA": str(metadata),
                "SAGEMAKER_SPACE_TYPE_LOWERCASE": "private",
            }
            share_folder = Path(tmp) / "efs"
            share_folder.mkdir()
            server = start_lab(
                Path(tmp) / "root",
                command="server",
                env=env,
                args=[
                    f"--StudioCollabApp.cost_cache_ttl_seconds={TTL}",
                    f"--StudioCollabApp.share_folder={share_folder}",
                ],
            )
            colds, sequential, rows, round_calls, forgotten = [], [], 0, 0, 0
            for index in range(1 if smoke else 3):
                if index:
                    time.sleep(TTL + 0.2)
                world.control.clear_calls()
                began = time.perf_counter()
                answer = _get(server)
                colds.append(time.perf_counter() - began)
                rows, round_calls = len(answer["resources"]), sum(world.control.calls().values())
                if not answer["inventory"]["shared"]:
                    raise RuntimeError(f"the inventory is not shared: {answer['inventory']['reason']}")
                kinds = {r["kind"] for r in answer["resources"]}
                if not smoke and not FORGOTTEN_KINDS <= kinds:
                    raise RuntimeError(f"the cold round lists none of {sorted(FORGOTTEN_KINDS - kinds)}")
                forgotten = sum(1 for r in answer["resources"] if r["kind"] in FORGOTTEN_KINDS)
                sequential.append(_replay_sequentially(world, world.control.journal()))
            # One kept-alive connection, as a browser tab polls; the status route of the same server is the
            # baseline, so a loaded machine shows as a high baseline rather than a missed budget alone.
            session = requests.Session()
            repetitions = 10 if smoke else 50
            status_p50, _ = _p50_ms(
                lambda: session.get(server.api("status"), headers=server.headers, timeout=60), repetitions
            )
            # The server's latency: the answer's bytes as sent (gzip, as browsers ask), read to the end but not
            # decompressed or parsed by this Python client, which would time the client instead.
            warm_p50, warm_p99 = _p50_ms(
                lambda: _read_raw(session, server.api("cost?scope=domain"), server.headers), repetitions
            )
            time.sleep(TTL + 0.2)
            world.control.clear_calls()
            with ThreadPoolExecutor(max_workers=20) as pool:
                answers = list(pool.map(lambda i: _get(server, "mine" if i % 2 else "domain"), range(20)))
            poller_calls = sum(world.control.calls().values())
            if not all(a["available"] for a in answers):
                raise RuntimeError("a poller got no inventory")
        finally:
            if server is not None:
                server.stop()
            world.stop()
    note = (
        f"{scenario} scenario, {rows} resources ({forgotten} of the forgotten kinds), {round_calls} AWS calls a "
        "round, shared inventory in a share folder"
    )
    return [
        limit_figure("GET cost cold (one inventory round)", median(colds), "s", 2.0, note=note),
        ratio_figure(
            "GET cost cold vs the same AWS calls made sequentially",
            median(colds),
            median(sequential),
            "s",
            1.0,
            note="baseline: the round's calls (emulator journal) replayed one by one with plain boto3",
        ),
        limit_figure(
            "GET cost warm p50 (shared inventory)",
            warm_p50,
            "ms",
            5.0,
            baseline=status_p50,
            note=f"p99 {warm_p99:.1f} ms over {repetitions} GETs; baseline: GET status p50",
        ),
        ratio_figure(
            "GET cost, AWS calls of 20 concurrent pollers",
            poller_calls,
            round_calls,
            "calls",
            1.2,
            note="baseline: the calls of one poller's round",
        ),
        *shared_inventory_figures(smoke),
    ]


if __name__ == "__main__":
    print(json.dumps([f.__dict__ for f in run(smoke=True)], indent=2))

"""GET cost on the Studio-like server: cold, warm, and what concurrent pollers and many spaces cost AWS.

Method: every server is `benchmarks.studio_like` (`jupyter lab` at /jupyterlab/default inside a space of the
world's domain: resource metadata, the world's AWS endpoint answering at AWS's per-call latency, `aws` profile,
docs/aws-latency.md); the domain's shared inventory lives in a share folder (as on Studio's shared EFS). The full
run's domain is the `large` scenario (1,000 apps (111 of them deleted, so their spaces' volumes bill alone), 200
notebook instances, 100 endpoints, 5,000 training jobs, and the kinds people forget: 20 warm pools, 20 scheduled
notebook jobs, 20 inference components, 10 MLflow Apps), in a world of its own; smoke mode uses the shared `demo`
world. Every figure is read over HTTP from `GET cost`.
- cold: the first GET cost (scope=domain) after the cache expired, i.e. one full inventory round (lists through
  paginators, bounded Describe* fan-out, pricing, the shared snapshot written) plus the answer; median of 3 rounds
  (1 in smoke mode); budget 2 s. Baseline: the round's very calls (the emulator's journal of that round) replayed
  with plain boto3 by a client that knows every call beforehand (no list has to answer before the Describe*
  calls its rows lead to): as many at a time as the product's Describe* fan-out (`cost_describe_concurrency`,
  8), each paginated list's pages in order, paced under the same per-operation rates the product keeps under
  AWS's limits. Budget 1.2x. (The product also runs its kinds' lists side by side, so it can beat this.)
- warm: 50 sequential GETs (10 in smoke mode) inside the cache TTL on one kept-alive connection, each read to
  its last byte as sent (gzip, as browsers ask) without decompressing, answered from the shared inventory; p50
  (budget 5 ms), with GET status on the same server as the baseline.
- pollers: AWS calls counted at the emulator for 20 concurrent GETs (half `domain`, half `mine`) right after
  the cache expired, against the calls of one round (budget 1.2x).
- spaces: 20 spaces' Studio-like servers (2 in smoke mode), each inside its own space of the domain, on one
  shared folder, polling GET cost every 2 s for 5 minutes (8 s in smoke mode) with AWS's rate limits on at the
  emulator; their SageMaker calls against one server polling alone for as long (budget 1.2x), and the errors
  any poller saw (budget 0).
`make bench` runs the full sizes; `--smoke` (the benchmark smoke test) the small ones with short cache TTLs.
"""

from __future__ import annotations

import fnmatch
import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from .framework import Figure, limit_figure, median, percentile, ratio_figure
from .studio_like import StudioLike

TTL = 4.0
SMOKE_TTL = 1.5  # long enough for a smoke round's GETs, short enough not to make the smoke wait
DESCRIBE_CONCURRENCY = 8  # StudioCollabApp.cost_describe_concurrency's default, what the server runs with
PAGE_TOKENS = ("NextToken", "Marker", "ContinuationToken")
# The kinds people forget (row C9); the cold round must list each of them in the full run.
FORGOTTEN_KINDS = {"space_storage", "warm_pool", "scheduled_notebook_job", "inference_component", "mlflow_app"}
SPACES_TTL = 5.0  # the shipped default is 30 s; shorter, so that a run sees many rounds
SMOKE_SPACES_TTL = 2.0


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


class _PacedClient:
    """The replaying client's pacing: a token bucket per operation at the rates the product keeps under AWS's limits
    (`studio_collab.cost.pacing`), so that the baseline is held to the same limits as the server it is compared
    with."""

    def __init__(self):
        from studio_collab.cost.pacing import clean_rates

        self._rates = clean_rates(None)
        self._buckets: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait(self, operation: str) -> None:
        with self._lock:
            rate, burst = next(v for p, v in self._rates.items() if fnmatch.fnmatchcase(operation, p))
            now = time.monotonic()
            tokens, updated = self._buckets.get(operation, [burst, now])
            tokens = min(burst, tokens + (now - updated) * rate) - 1
            self._buckets[operation] = [tokens, now]
        if tokens < 0:
            time.sleep(-tokens / rate)


def _chains(journal: list[dict]) -> list[list[dict]]:
    """The round's calls as chains that must run in order: a call carrying a page token follows the last call of
    the same operation and parameters; every other call starts a chain of its own."""
    chains: list[list[dict]] = []
    last: dict[str, list[dict]] = {}
    for call in journal:
        params = call["params"] or {}
        key = call["operation"] + json.dumps({k: v for k, v in params.items() if k not in PAGE_TOKENS}, sort_keys=True)
        if any(token in params for token in PAGE_TOKENS) and key in last:
            last[key].append(call)
        else:
            last[key] = [call]
            chains.append(last[key])
    return chains


def _replay(world, journal: list[dict]) -> float:
    """The baseline: the very calls the round made (from the emulator's journal), with plain boto3 clients made
    beforehand, ``DESCRIBE_CONCURRENCY`` chains at a time, each chain's pages in order, paced as the product is:
    no cache, no dependency between a list and the Describe* calls its rows lead to, no answer to build."""
    import boto3
    from botocore import xform_name

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=world.scenario.region
    )
    clients = {}
    chains = []
    for chain in _chains(journal):
        steps = []
        for call in chain:
            service, operation = call["operation"].split(":", 1)
            if call["params"] is None:
                raise RuntimeError(f"{call['operation']} is not a JSON-protocol call; the replay cannot make it")
            if service not in clients:
                clients[service] = session.client(
                    service, endpoint_url=world.emulator_url, config=_client_config(DESCRIBE_CONCURRENCY)
                )
            steps.append((operation, getattr(clients[service], xform_name(operation)), call["params"]))
        chains.append(steps)
    pacing = _PacedClient()

    def run_chain(steps) -> None:
        for operation, method, params in steps:
            pacing.wait(operation)
            method(**params)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=DESCRIBE_CONCURRENCY) as pool:
        list(pool.map(run_chain, chains))
    return time.perf_counter() - began


def _client_config(connections: int):
    from botocore.config import Config

    return Config(max_pool_connections=connections, retries={"max_attempts": 0})


def _space_server(scratch: Path, scenario: str, space: str, share_folder: Path, ttl: float):
    """One space's Studio-like server, on the domain's shared folder."""
    studio = StudioLike.start(scratch / space, space=space, scenario=scenario)
    server = studio.lab(space, config={"cost_cache_ttl_seconds": ttl, "share_folder": str(share_folder)})
    # "mine" needs a named viewer: a private space's owner. These requests carry no Studio cookie, so a shared
    # space's panels read the domain's table (as the panel itself does then).
    sharing = studio.env["SAGEMAKER_SPACE_TYPE_LOWERCASE"]
    server.scopes = ("domain", "mine") if sharing == "private" else ("domain", "domain")
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


def shared_inventory_figures(smoke: bool, scenario: str) -> list[Figure]:
    """N spaces' servers sharing one inventory vs one server alone, under the account's rate limits."""
    count, seconds, ttl = (2, 8.0, SMOKE_SPACES_TTL) if smoke else (20, 300.0, SPACES_TTL)
    with tempfile.TemporaryDirectory(prefix="bench-cost-spaces-") as scratch:
        scratch_path = Path(scratch)
        share_folder = scratch_path / "efs"
        share_folder.mkdir()
        world = StudioLike.start(scratch_path / "world", scenario=scenario).world
        servers = []
        try:
            spaces = world.scenario.section("spaces")[:count]
            with ThreadPoolExecutor(max_workers=4) as pool:
                servers = list(
                    pool.map(lambda sp: _space_server(scratch_path, scenario, sp["name"], share_folder, ttl), spaces)
                )
            world.control.rate_limits(True)
            for server in servers:
                _get(server)  # the first round
            time.sleep(ttl)
            world.control.clear_calls()
            _, alone_errors = _poll(servers[:1], seconds)
            alone = _sagemaker_calls(world)
            # The others' snapshots age meanwhile: start the crowd on a fresh TTL window, as the single one did.
            time.sleep(ttl)
            world.control.clear_calls()
            answers, errors = _poll(servers, seconds)
            crowd = _sagemaker_calls(world)
            throttled = sum(world.control.rate_limits()["throttled"].values())
        finally:
            world.control.rate_limits(False)  # the world is shared with the benchmarks that follow
            for server in servers:
                server.stop()
    note = (
        f"{count} spaces' Studio-like servers, {seconds:.0f} s, TTL {ttl:.0f} s, rate limits on; {answers} answers; "
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
    scenario = "demo" if smoke else "large"
    ttl = SMOKE_TTL if smoke else TTL
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as scratch:
        studio = StudioLike.start(Path(scratch), scenario=scenario)
        world = studio.world
        server = None
        try:
            share_folder = Path(scratch) / "efs"  # the domain's shared folder exists, as Studio's EFS does
            share_folder.mkdir()
            server = studio.lab("cost", config={"cost_cache_ttl_seconds": ttl, "share_folder": str(share_folder)})
            colds, replays, rows, round_calls, forgotten = [], [], 0, 0, 0
            for index in range(1 if smoke else 3):
                if index:
                    time.sleep(ttl + 0.2)
                world.control.clear_calls()
                began = time.perf_counter()
                answer = _get(server)
                colds.append(time.perf_counter() - began)
                rows, round_calls = len(answer["resources"]), sum(world.control.calls().values())
                if not answer["inventory"]["shared"]:
                    raise RuntimeError(f"the inventory is not shared: {answer['inventory']['reason']}")
                if not rows or answer["errors"] or answer["stale"]:
                    raise RuntimeError(f"no real data: {str(answer)[:300]}")
                kinds = {r["kind"] for r in answer["resources"]}
                if not smoke and not FORGOTTEN_KINDS <= kinds:
                    raise RuntimeError(f"the cold round lists none of {sorted(FORGOTTEN_KINDS - kinds)}")
                forgotten = sum(1 for r in answer["resources"] if r["kind"] in FORGOTTEN_KINDS)
                replays.append(_replay(world, world.control.journal()))
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
            time.sleep(ttl + 0.2)
            world.control.clear_calls()
            with ThreadPoolExecutor(max_workers=20) as pool:
                answers = list(pool.map(lambda i: _get(server, "mine" if i % 2 else "domain"), range(20)))
            poller_calls = sum(world.control.calls().values())
            if not all(a["available"] for a in answers):
                raise RuntimeError("a poller got no inventory")
        finally:
            if server is not None:
                server.stop()
    note = (
        f"{scenario} scenario, {rows} resources ({forgotten} of the forgotten kinds), {round_calls} AWS calls a "
        "round at AWS's latency, shared inventory in a share folder"
    )
    return [
        limit_figure("GET cost cold (one inventory round)", median(colds), "s", 2.0, note=note),
        ratio_figure(
            "GET cost cold vs the same AWS calls replayed 8 at a time",
            median(colds),
            median(replays),
            "s",
            1.2,
            note=f"baseline: the round's calls (emulator journal) replayed with plain boto3, {DESCRIBE_CONCURRENCY} "
            "at a time, pages in order, paced as the product is",
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
        *shared_inventory_figures(smoke, scenario),
    ]


if __name__ == "__main__":
    print(json.dumps([f.__dict__ for f in run(smoke=True)], indent=2))

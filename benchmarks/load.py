"""Concurrent pollers against a live server: what many open tabs do to it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

POLLED_ROUTES = ("status", "repos", "cost", "idle")
# A client is an open panel at the fastest poll interval its settings allow (2 s, minimum of
# pollIntervalSeconds) asking all four routes in that time: one request every 0.5 s. The panel's default
# (10 s, and 30-60 s for cost and status) asks far less.
PANEL_PAUSE_SECONDS = 0.5


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    by_route_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    requests: int = 0


async def _poll(
    api_base: str, headers: dict, clients: int, seconds: float, routes: tuple[str, ...], pause: float
) -> LoadResult:
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest

    client = AsyncHTTPClient(force_instance=True, max_clients=clients)
    result = LoadResult()
    deadline = time.monotonic() + seconds

    async def one_client(index: int) -> None:
        position = index
        while time.monotonic() < deadline:
            route = routes[position % len(routes)]
            position += 1
            began = time.perf_counter()
            try:
                response = await client.fetch(
                    HTTPRequest(f"{api_base}{route}", headers=headers, request_timeout=30), raise_error=False
                )
                code = response.code
            except Exception as err:  # noqa: BLE001 - every failure counts as an error of the run
                code = f"{type(err).__name__}"
            took = (time.perf_counter() - began) * 1000
            result.latencies_ms.append(took)
            result.by_route_ms.setdefault(route, []).append(took)
            result.requests += 1
            if code != 200:
                result.errors.append(f"{route}: {code}")
            await asyncio.sleep(pause)

    try:
        await asyncio.gather(*(one_client(i) for i in range(clients)))
    finally:
        client.close()
    return result


def run_load(
    api_base: str,
    headers: dict,
    clients: int = 50,
    seconds: float = 60,
    routes: tuple[str, ...] = POLLED_ROUTES,
    pause: float = PANEL_PAUSE_SECONDS,
) -> LoadResult:
    """Runs on its own event loop; safe to call from a plain thread or test. ``pause``: between a client's
    requests (0 floods the server)."""
    return asyncio.run(_poll(api_base, headers, clients, seconds, routes, pause))

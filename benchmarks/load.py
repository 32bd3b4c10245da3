"""Concurrent pollers against a live server: what many open tabs do to it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

POLLED_ROUTES = ("status", "repos", "cost", "idle")


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: int = 0


async def _poll(api_base: str, headers: dict, clients: int, seconds: float, routes: tuple[str, ...]) -> LoadResult:
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
                response = await client.fetch(HTTPRequest(f"{api_base}{route}", headers=headers, request_timeout=30),
                                              raise_error=False)
                code = response.code
            except Exception as err:  # noqa: BLE001 - every failure counts as an error of the run
                code = f"{type(err).__name__}"
            result.latencies_ms.append((time.perf_counter() - began) * 1000)
            result.requests += 1
            if code != 200:
                result.errors.append(f"{route}: {code}")
            await asyncio.sleep(0.05)  # a poller, not a flood: each client asks ~20 times a second at most

    try:
        await asyncio.gather(*(one_client(i) for i in range(clients)))
    finally:
        client.close()
    return result


def run_load(api_base: str, headers: dict, clients: int = 50, seconds: float = 60,
             routes: tuple[str, ...] = POLLED_ROUTES) -> LoadResult:
    """Runs on its own event loop; safe to call from a plain thread or test."""
    return asyncio.run(_poll(api_base, headers, clients, seconds, routes))

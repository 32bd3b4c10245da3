"""The one cache: a TTL cache with single-flight loading.

N concurrent callers of the same key share one load (one AWS round), and a failed refresh can fall back
to the last good value so that a throttled AWS answer never empties the panel.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Hashable

Loader = Callable[[], Awaitable[Any]]
# A fixed number of seconds, or how long this value stays good (e.g. a shared snapshot that is already aging).
Ttl = float | Callable[[Any], float]


@dataclass
class _Entry:
    value: Any
    loaded_at: float
    expires_at: float


@dataclass
class CachedValue:
    """A value with how fresh it is: ``stale_reason`` is set when the last refresh failed."""

    value: Any
    loaded_at: float
    stale_reason: str | None = None


class TtlCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic, max_entries: int = 512):
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[Hashable, _Entry] = {}
        self._inflight: dict[Hashable, asyncio.Future] = {}

    async def get(self, key: Hashable, loader: Loader, ttl: Ttl) -> Any:
        """The cached value for ``key``, loading it (once for all concurrent callers) when expired."""
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at > self._clock():
            return entry.value
        return await self._load(key, loader, ttl)

    async def get_or_stale(self, key: Hashable, loader: Loader, ttl: Ttl) -> CachedValue:
        """Like :meth:`get`, but a failed refresh returns the last good value with the failure as reason."""
        from ..errors import StudioCollabError

        entry = self._entries.get(key)
        if entry is not None and entry.expires_at > self._clock():
            return CachedValue(entry.value, entry.loaded_at)
        try:
            value = await self._load(key, loader, ttl)
        except StudioCollabError as err:
            if entry is None:
                raise
            return CachedValue(entry.value, entry.loaded_at, err.message)
        return CachedValue(value, self._entries[key].loaded_at if key in self._entries else self._clock())

    def invalidate(self, key: Hashable | None = None) -> None:
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)

    async def _load(self, key: Hashable, loader: Loader, ttl: Ttl) -> Any:
        inflight = self._inflight.get(key)
        if inflight is not None:
            # shield: one caller giving up must not cancel the load the others wait for
            return await asyncio.shield(inflight)
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await loader()
        except BaseException as err:
            if not future.done():
                future.set_exception(err)
                future.exception()  # mark retrieved: callers that left early must not warn
            raise
        else:
            now = self._clock()
            self._store(key, _Entry(value, now, now + (ttl(value) if callable(ttl) else ttl)))
            future.set_result(value)
            return value
        finally:
            self._inflight.pop(key, None)

    def _store(self, key: Hashable, entry: _Entry) -> None:
        if len(self._entries) >= self._max_entries and key not in self._entries:
            oldest = min(self._entries, key=lambda k: self._entries[k].loaded_at)
            del self._entries[oldest]
        self._entries[key] = entry

"""The one cache: every cached thing of studio-collab is a named entry of :class:`TtlCache`.

- ``get``: a TTL with single-flight loading: N concurrent callers of the same key share one load (one AWS round).
- ``get_or_stale``: a failed refresh falls back to the last good value, so a throttled AWS answer never empties
  the panel; with ``retry_after`` the failure is remembered and the loader left alone that long (a back-off).
- ``remembered``: a synchronous, thread-safe memo valid for one *version* of its input (a file's stat, an
  inventory round), for work already in a worker thread (git's origin URL, a notebook compared with its commit).

A key is a tuple whose first element is one of :data:`NAMES`; :meth:`TtlCache.entries` lists what is held now.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

Loader = Callable[[], Awaitable[Any]]
# A fixed number of seconds, or how long this value stays good (e.g. a shared snapshot that is already aging).
Ttl = float | Callable[[Any], float]

# Every name a key starts with, and what its entries hold.
NAMES = {
    "DescribeDomain": "the Studio domain's description (studio/service.py)",
    "DescribeSpace": "a space's description (studio/service.py)",
    "DescribeUserProfile": "a user profile's description (studio/service.py)",
    "IsUserProfile": "whether a name is a user profile of the domain (studio/service.py)",
    "ListSpaces": "the domain's spaces (share/spaces.py, cost/spend.py)",
    "share-store-check": "whether the share store is usable from here (share/service.py)",
    "git-catalog": "the merged repository catalog, stale on error (git/catalog.py)",
    "git-credential": "a private repo's token from Secrets Manager (git/credentials.py)",
    "git:status": "a repo's status for GET repos; a running job's repo serves its last one (git/service.py)",
    "git:origin": "a clone's origin URL per version of its .git/config (git/worktree.py)",
    "git:notebook-unchanged": "whether a saved notebook equals its commit, per file version (git/worktree.py)",
    "experiments": "experiment lists, runs, pages and histories per source (experiments/*)",
    "cost:inventory": "the domain's resources, stale on error with a back-off (cost/service.py)",
    "cost:answer": "a rendered GET cost answer per inventory round, scope and viewer (cost/report.py)",
    "cost:spend": "billed spend from Cost Explorer (cost/spend.py)",
    "cost:posture": "the domain's posture per domain version (cost/posture.py)",
}


@dataclass
class _Entry:
    value: Any
    loaded_at: float
    expires_at: float
    version: Hashable = None
    failure: tuple[float, Exception] | None = None  # the last failed refresh, for ``retry_after``
    used_at: float = 0.0  # the last hit: a full cache evicts the entry least recently used, never a hot one


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
        self._lock = threading.Lock()  # ``remembered`` writes from worker threads

    async def get(self, key: Hashable, loader: Loader, ttl: Ttl) -> Any:
        """The cached value for ``key``, loading it (once for all concurrent callers) when expired."""
        entry = self._entries.get(key)
        now = self._clock()
        if entry is not None and entry.expires_at > now:
            entry.used_at = now
            return entry.value
        return await self._load(key, loader, ttl)

    async def get_or_stale(
        self, key: Hashable, loader: Loader, ttl: Ttl, retry_after: float | None = None
    ) -> CachedValue:
        """Like :meth:`get`, but a failed refresh returns the last good value with the failure as reason. With
        ``retry_after``, for that many seconds after a failure the last good value is served without loading."""
        from ..errors import StudioCollabError

        entry = self._entries.get(key)
        now = self._clock()
        if entry is not None and entry.expires_at > now:
            entry.used_at = now
            return CachedValue(entry.value, entry.loaded_at)
        if (
            entry is not None
            and entry.failure is not None
            and retry_after is not None
            and now - entry.failure[0] < retry_after
        ):
            return CachedValue(entry.value, entry.loaded_at, getattr(entry.failure[1], "message", None))
        try:
            value = await self._load(key, loader, ttl)
        except StudioCollabError as err:
            entry = self._entries.get(key, entry)
            if entry is None:
                raise
            entry.failure = (self._clock(), err)
            return CachedValue(entry.value, entry.loaded_at, err.message)
        return CachedValue(value, self._entries[key].loaded_at if key in self._entries else self._clock())

    def peek(self, key: Hashable) -> Any:
        """The last value loaded for ``key``, fresh or not (None when there is none); never loads."""
        entry = self._entries.get(key)
        return entry.value if entry is not None else None

    def remembered(self, key: Hashable, version: Hashable, compute: Callable[[], Any]) -> Any:
        """Synchronous and thread-safe: the value computed for this ``version`` of ``key``'s input, computed
        (in the calling thread) again when the version changes. ``version`` None means "unknown": never kept."""
        if version is not None:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry.version == version:
                    entry.used_at = self._clock()
                    return entry.value
        value = compute()
        if version is not None:
            now = self._clock()
            self._store(key, _Entry(value, now, float("inf"), version))
        return value

    async def get_version(self, key: Hashable, version: Hashable, loader: Loader) -> Any:
        """The value loaded for this ``version`` of ``key``'s input (e.g. an inventory round), loaded once for
        all concurrent callers when the version changes; no time limit."""
        entry = self._entries.get(key)
        if entry is not None and entry.version == version:
            entry.used_at = self._clock()
            return entry.value
        return await self._load(key, loader, float("inf"), version)

    def expire(self, key: Hashable) -> None:
        """Make ``key`` load again on its next read, keeping its value for :meth:`peek` and as the stale
        fallback of :meth:`get_or_stale`."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.expires_at = float("-inf")
            self._inflight.pop(key, None)

    def invalidate(self, key: Hashable | None = None) -> None:
        """Forget ``key`` (or everything): the next read loads afresh, and a load already running for it is
        neither joined nor kept (it may have read the world before the change that asked for this)."""
        with self._lock:
            if key is None:
                self._entries.clear()
                self._inflight.clear()
            else:
                self._entries.pop(key, None)
                self._inflight.pop(key, None)

    def invalidate_name(self, name: str) -> None:
        """Forget every entry whose key starts with ``name``."""
        with self._lock:
            for key in [k for k in self._entries if _name_of(k) == name]:
                del self._entries[key]
            for key in [k for k in self._inflight if _name_of(k) == name]:
                del self._inflight[key]

    def entries(self) -> list[dict]:
        """What is cached now, by name: for `doctor`, a debugger, or a test asking what a feature keeps."""
        now = self._clock()
        with self._lock:
            held = list(self._entries.items())
        return [
            {
                "name": _name_of(key),
                "key": repr(key),
                "age_seconds": round(now - entry.loaded_at, 3),
                "fresh": entry.expires_at > now,
                "stale_reason": getattr(entry.failure[1], "message", None) if entry.failure else None,
            }
            for key, entry in held
        ]

    async def _load(self, key: Hashable, loader: Loader, ttl: Ttl, version: Hashable = None) -> Any:
        inflight = self._inflight.get(key)
        if inflight is not None and getattr(inflight, "version", None) == version:
            # shield: one caller giving up must not cancel the load the others wait for
            return await asyncio.shield(inflight)
        future = asyncio.get_running_loop().create_future()
        future.version = version  # a load for another version is not joined
        self._inflight[key] = future
        try:
            value = await loader()
        except BaseException as err:
            if not future.done():
                future.set_exception(err)
                future.exception()  # mark retrieved: callers that left early must not warn
            raise
        else:
            if self._inflight.get(key) is future:  # not invalidated while loading
                now = self._clock()
                self._store(key, _Entry(value, now, now + (ttl(value) if callable(ttl) else ttl), version))
            future.set_result(value)
            return value
        finally:
            if self._inflight.get(key) is future:
                del self._inflight[key]

    def _store(self, key: Hashable, entry: _Entry) -> None:
        with self._lock:
            if len(self._entries) >= self._max_entries and key not in self._entries:
                least_used = min(self._entries, key=lambda k: self._entries[k].used_at)
                del self._entries[least_used]
            entry.used_at = entry.loaded_at
            self._entries[key] = entry


def _name_of(key: Hashable) -> str:
    return str(key[0]) if isinstance(key, tuple) and key else str(key)

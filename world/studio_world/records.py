"""Records of emulated resources: per-region stores and status transitions that happen with time.

AWS resources pass through transient states (an app is Pending before InService, Deleting before Deleted).
A record keeps its pending transition as ``_next = (status, due)`` and settles when read, so nothing needs a
background thread and a test can make transitions instant with ``transition_seconds = 0``.
"""

from __future__ import annotations

import copy
import threading
from datetime import timedelta

from .awsproto import now


class Clock:
    """How long transient states last; a control endpoint changes it."""

    def __init__(self, transition_seconds: float = 1.0):
        self.transition_seconds = transition_seconds


def begin(record: dict, status_field: str, transient: str, final: str, clock: Clock, extra: dict | None = None):
    """Put ``record`` in ``transient`` now and schedule ``final`` (with ``extra`` fields) after the delay."""
    record[status_field] = transient
    record["_next"] = (status_field, final, now() + timedelta(seconds=clock.transition_seconds), extra or {})
    settle(record)


def settle(record: dict) -> dict:
    pending = record.get("_next")
    if pending and now() >= pending[2]:
        field, final, _, extra = pending
        record[field] = final
        record.update(extra)
        record["LastModifiedTime"] = pending[2]
        record.pop("_next", None)
    return record


def public(record: dict, keys: tuple[str, ...] | None = None) -> dict:
    """The record as the API shows it: settled, private fields dropped, optionally only ``keys``."""
    settle(record)
    return {
        k: copy.deepcopy(v)
        for k, v in record.items()
        if not k.startswith("_") and v is not None and (keys is None or k in keys)
    }


class RegionStores:
    """Per-region dictionaries of records with one lock (requests arrive on many server threads)."""

    def __init__(self, *kinds: str):
        self.kinds = kinds
        self.lock = threading.RLock()
        self._regions: dict[str, dict[str, dict]] = {}

    def of(self, region: str, kind: str) -> dict:
        with self.lock:
            region_stores = self._regions.setdefault(region, {k: {} for k in self.kinds})
            return region_stores[kind]

    def clear(self) -> None:
        with self.lock:
            self._regions.clear()


def deep_merge_members(current: dict | None, update: dict | None) -> dict:
    """UpdateDomain/UpdateUserProfile semantics: each member given replaces that member, one level down."""
    merged = copy.deepcopy(current or {})
    for key, value in (update or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **copy.deepcopy(value)}
        else:
            merged[key] = copy.deepcopy(value)
    return merged

"""The GET cost answer, built from one inventory: prices per row, accrued cost, burn rate, forecast.

Rendering a domain of a thousand resources takes tens of milliseconds, so an answer is rendered once per
inventory round, scope and viewer (``CostReports``) and served as bytes until the next round: twenty tabs
polling cost one render, not twenty, and one gzip. Accrued figures are "as of" the render, which the answer
states.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from datetime import datetime, timezone

from ..studio.cache import TtlCache
from ..studio.executor import QUICK, Executor
from .budget import budget_json
from .inventory import KINDS, Inventory
from .prices import Price
from .rows import KindResult
from .stop import STOPPABLE

HOURS_PER_MONTH = 730  # AWS's own convention for monthly figures
IDLE_FLAG_MINUTES = 30  # this app is flagged idle in the table after this long without activity
_INTERNAL = ("started_epoch", "component", "price")


def price_rows(inventory: Inventory, price_of: Callable[[str | None, str | None], Price]) -> None:
    """Price every row once per round (one lookup per meter and instance type)."""
    memo: dict[tuple, Price] = {}
    for row in inventory.rows():
        if "price" in row:
            continue  # a stale row kept from a previous round is already priced
        key = (row["component"], row["instance_type"])
        price = memo.get(key) or memo.setdefault(key, price_of(*key))
        if row.get("serverless"):
            price = Price(
                None, False, "none", "Serverless endpoints bill per request and duration, not per hour.", None
            )
        count = row["count"] if row["count"] is not None else 1
        row["price"] = price
        row["unit_price"] = price.usd_per_hour
        row["hourly_price"] = None if price.usd_per_hour is None else round(price.usd_per_hour * count, 6)
        if row.get("storage_gb") is not None:  # priced per GB-month
            row["unit_price"] = None
            row["gb_month_price"] = price.usd_per_hour
            row["hourly_price"] = (
                None
                if price.usd_per_hour is None
                else round(price.usd_per_hour * row["storage_gb"] / HOURS_PER_MONTH, 6)
            )
        elif row.get("billing") == "per_run":  # bills only while a run executes: no burn between runs
            row["hourly_price"] = None
            row["run_hourly_price"] = None if price.usd_per_hour is None else round(price.usd_per_hour * count, 6)
        row["price_estimate"] = price.estimate
        row["price_basis"] = price.basis


def can_stop(kind: str, mine: bool, owner: str | None, stop_kinds: frozenset[str]) -> bool:
    """Whether to offer Stop on this row (cost/stop.py decides, reading the resource fresh; this only hides
    buttons it would surely refuse): the admin enabled the kind, and the row is the viewer's own, or, for an
    account-level resource whose owner the table does not know, one the server will check when asked."""
    if kind not in STOPPABLE or kind not in stop_kinds:
        return False
    return mine or (kind != "app" and owner is None)


def render(
    inventory: Inventory,
    scope: str,
    viewer: str | None,
    stale_reason: str | None,
    this_app_idle_minutes: float | None,
    prices: dict,
    budget: tuple | None = None,
    stop_kinds: frozenset[str] = frozenset({"app"}),
    actual: tuple | None = None,
) -> dict:
    now = time.time()
    rows, errors, by_kind, stale_kinds = [], [], {}, []
    kept: list[dict] = []  # the inventory rows in this scope, with their internal fields (for the budget)
    sources: dict[Price, str] = {}
    for kind in KINDS:
        result: KindResult = inventory.results[kind]
        if result.error is not None:
            errors.append(
                {
                    "kind": kind,
                    "code": result.error.code,
                    "message": result.error.message,
                    "stale": result.stale_since is not None,
                }
            )
        if result.stale_since is not None:
            stale_kinds.append(kind)
        for note in result.notes:
            errors.append({"kind": kind, "code": "partial", "message": note, "stale": False})
        for row in result.resources:
            mine = bool(row.get("this_app")) or (viewer is not None and row.get("owner") == viewer)
            if scope == "mine" and not mine:
                continue
            out = {k: v for k, v in row.items() if k not in _INTERNAL}
            out["meter"] = row["component"]
            # Rows cite their price source by key: a thousand rows share a handful of sources.
            out["price_source"] = sources.setdefault(row["price"], f"p{len(sources) + 1}")
            started, hourly = row.get("started_epoch"), row.get("hourly_price")
            out["accrued"] = (
                round(hourly * max(0.0, now - started) / 3600, 4)
                if hourly is not None and started is not None
                else None
            )
            out["mine"] = mine
            kept.append(row)
            out["can_stop"] = can_stop(kind, mine, row.get("owner"), stop_kinds)
            if row.get("this_app") and this_app_idle_minutes is not None:
                out["idle"] = this_app_idle_minutes >= IDLE_FLAG_MINUTES
            out.setdefault("idle", None)
            rows.append(out)
            summary = by_kind.setdefault(
                kind, {"kind": kind, "count": 0, "burn_rate_per_hour": 0.0, "accrued": 0.0, "unpriced": 0}
            )
            summary["count"] += 1
            if hourly is None:
                summary["unpriced"] += row["price"].basis == "none"
            else:
                summary["burn_rate_per_hour"] += hourly
                summary["accrued"] += out["accrued"] or 0.0
    rows.sort(key=lambda r: (not r["mine"], -(r["hourly_price"] or 0.0), r["kind"], r["name"]))
    burn = sum(r["hourly_price"] for r in rows if r["hourly_price"] is not None)
    reasons = [stale_reason] if stale_reason else []
    reasons += [
        f"{e['message']} (showing the last good list of {e['kind'].replace('_', ' ')}s)" for e in errors if e["stale"]
    ]
    for summary in by_kind.values():
        summary["burn_rate_per_hour"] = round(summary["burn_rate_per_hour"], 4)
        summary["accrued"] = round(summary["accrued"], 2)
    return {
        "available": True,
        "reason": " ".join(reasons) or None,
        "scope": scope,
        "currency": "USD",
        "burn_rate_per_hour": round(burn, 4),
        "forecast": {"day": round(burn * 24, 2), "month": round(burn * HOURS_PER_MONTH, 2)},
        "resources": rows,
        "stale": bool(stale_reason or stale_kinds),
        "stale_kinds": stale_kinds,
        "as_of": _iso(inventory.collected_at),
        "accrued_as_of": _iso(now),
        "errors": errors,
        "by_kind": [by_kind[k] for k in KINDS if k in by_kind],
        "unpriced": sum(1 for r in rows if r["hourly_price"] is None and r["price_basis"] == "none"),
        "viewer": viewer,
        "prices": prices,
        "price_sources": {key: price.to_json() for price, key in sources.items()},
        "inventory": _inventory_json(inventory, inventory.source or {}, now),
        "budget": budget_json(budget, kept, burn, now, *(actual or (None, None))),
    }


def _inventory_json(inventory: Inventory, meta: dict, now: float) -> dict:
    """Whose AWS round these rows come from: the domain's shared snapshot, or this space's own."""
    return {
        "shared": bool(meta.get("shared")),
        "age_seconds": round(max(0.0, now - inventory.collected_at), 1),
        "refreshed_by": meta.get("refreshed_by"),
        "reason": meta.get("reason"),
    }


class RenderedAnswer:
    """One answer's JSON, and its gzip made on first demand (a domain's answer shrinks ~10x)."""

    def __init__(self, inventory: Inventory | None, stale_reason: str | None, body: bytes, executor: Executor):
        self.inventory = inventory
        self.stale_reason = stale_reason
        self.variant = None
        self.body = body
        self.executor = executor
        self._gzipped: bytes | None = None

    async def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = await self.executor.run(QUICK, gzip.compress, self.body, 6, mtime=0)
        return self._gzipped


class CostReports:
    """Rendered answers, kept in the one cache (``cost:answer``) until their inventory round (or its staleness)
    changes. Rendering a large domain takes tens of milliseconds, so it runs in a worker thread, never on the
    event loop, once for all the tabs asking at the same moment."""

    def __init__(self, cache: TtlCache, executor: Executor):
        self.cache = cache
        self.executor = executor

    async def answer(
        self,
        inventory: Inventory,
        scope: str,
        viewer: str | None,
        stale_reason: str | None,
        build: Callable[[], dict],
        variant=None,
    ) -> RenderedAnswer:
        """``variant``: what else the answer is built from (the budget's Cost Explorer figure), compared by value."""

        async def render_once() -> RenderedAnswer:
            body = await self.executor.run(QUICK, lambda: json.dumps(build(), separators=(",", ":")).encode("utf-8"))
            answer = RenderedAnswer(inventory, stale_reason, body, self.executor)
            answer.variant = variant
            return answer

        # The answer holds its inventory, so that inventory's id names this round while the entry lives.
        return await self.cache.get_version(
            ("cost:answer", scope, viewer), (id(inventory), stale_reason, variant), render_once
        )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")

"""The cost feature's service (rows C1-C7, D2): Tornado-free; routes.py only parses and answers.

One inventory per domain is cached (TTL + single-flight in the shared cache), so twenty tabs polling make
one round of AWS calls per TTL; "mine" is a filter of that same inventory. A refresh that fails for a kind
keeps that kind's previous rows, marked stale with the reason; one that fails for every kind serves the
last good inventory through ``cache.get_or_stale``, which after such a failure leaves AWS alone for one TTL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

from ..errors import StudioCollabError
from ..studio.executor import QUICK
from .budget import Budgets
from .idle import IdleWatch
from .inventory import KINDS, Inventory, ResourceInventory, with_stale
from .pacing import PacedAws
from .price_list import PriceListCache, fetch_price_list, is_fresh
from .prices import UNMETERED, Price, PriceTable
from .report import CostReports, RenderedAnswer, price_rows, render
from .shared_inventory import SharedInventory
from .space_timeout import SpaceIdleTimeout
from .spend import BilledSpend
from .stop import DEFAULT_STOP_KINDS, ResourceStopper

log = logging.getLogger(__name__)

# A Price List that could not be read (VPC-only domains often cannot reach it) is tried again this much later.
PRICE_RETRY_SECONDS = 3600
SNAPSHOT_RECHECK_SECONDS = 0.5


class CostService:
    def __init__(
        self,
        *,
        context,
        aws,
        cache,
        studio,
        prices: PriceTable,
        idle: IdleWatch,
        shared: SharedInventory | None = None,
        budgets: Budgets | None = None,
        ttl: float = 30.0,
        concurrency: int = 8,
        price_refresh: bool = False,
        price_cache: PriceListCache | None = None,
        cost_explorer: bool = False,
        stop_kinds: tuple[str, ...] | list[str] = DEFAULT_STOP_KINDS,
        aws_rates: dict | None = None,
    ):
        self.context = context
        self.aws = aws
        self.cache = cache
        self.studio = studio
        self.prices = prices
        self.idle = idle
        self.ttl = ttl
        # The inventory's many List*/Describe* calls are paced under the account's rate limits (row C8).
        self.paced_aws = PacedAws(aws, aws_rates)
        self.inventory = ResourceInventory(self.paced_aws, context, concurrency, describe_domain=studio.describe_domain)
        self.shared = shared or SharedInventory(
            None,
            ttl,
            context.space_name or "local",
            context,
            "The shared inventory is off (StudioCollabApp.cost_shared_inventory).",
        )
        self.price_refresh = price_refresh
        self.price_cache = price_cache
        self.cost_explorer = cost_explorer
        self.billed_spend = BilledSpend(aws=aws, context=context, cache=cache, enabled=cost_explorer)
        self.reports = CostReports(cache, aws.executor)
        self.budgets = budgets or Budgets()
        self.stopper = ResourceStopper(aws, studio, context, stop_kinds)
        self.space_timeout = SpaceIdleTimeout(idle, studio, aws, context, cache)
        self._refresh_task = None
        self._warm_task = None
        self._price_refresh_failed_at: float | None = None

    @property
    def region(self) -> str | None:
        return self.context.region or self.aws.settings.region

    async def availability(self) -> dict:
        if not self.region:
            return {
                "available": False,
                "reason": "No AWS region here: set AWS_REGION (outside Studio) to see what runs and what it costs.",
            }
        return {"available": True, "reason": None}

    def start(self) -> None:
        self.idle.start()
        if not self.region:
            return
        loop = asyncio.get_running_loop()
        # Making the SageMaker client loads its ~2 MB service model (about a second): do it now, off the
        # loop, rather than in the first panel's request.
        self._warm_task = loop.create_task(self.aws.in_thread(self.aws.client, "sagemaker"))
        if self.price_cache is not None or self.price_refresh:
            self._refresh_task = loop.create_task(self._prices_at_start())

    async def stop(self) -> None:
        await self.idle.stop()
        for task in (self._refresh_task, self._warm_task):
            if task is not None and not task.done():
                task.cancel()

    async def _prices_at_start(self) -> None:
        """Use the Price List snapshot on disk, then refresh it if it is missing or older than a week."""
        if self.price_cache is not None:
            cached = await self.aws.executor.run(QUICK, self.price_cache.load)  # a disk read: not the AWS lane
            if cached is not None and cached.region == self.region:
                self.prices = self.prices.with_price_list(cached)
                self.cache.expire(self._key())
        if self.price_refresh and not is_fresh(self.prices.price_list, self.region):
            await self.refresh_prices()

    def _refresh_prices_if_old(self) -> None:
        """A server that runs for weeks refreshes its prices weekly, from the first request after they aged."""
        failed_recently = (
            self._price_refresh_failed_at is not None
            and time.monotonic() - self._price_refresh_failed_at < PRICE_RETRY_SECONDS
        )
        if (
            self.price_refresh
            and not failed_recently
            and (self._refresh_task is None or self._refresh_task.done())
            and not is_fresh(self.prices.price_list, self.region)
        ):
            self._refresh_task = asyncio.get_running_loop().create_task(self.refresh_prices())

    # --- prices --------------------------------------------------------------------------------------------
    async def refresh_prices(self) -> dict:
        """Read this region's prices from the Price List API; on failure the bundled table keeps serving."""
        try:
            snapshot = await fetch_price_list(self.aws, self.region)
        except StudioCollabError as err:
            self._price_refresh_failed_at = time.monotonic()
            log.warning("studio-collab cost: Price List refresh failed (%s); bundled prices stay", err.message)
            return {"refreshed": False, "reason": err.message}
        if self.price_cache is not None:
            await self.aws.executor.run(QUICK, self.price_cache.save, snapshot)
        self.prices = self.prices.with_price_list(snapshot)
        self.cache.expire(self._key())
        count = sum(len(types) for types in snapshot.prices.values())
        log.info("studio-collab cost: %d prices refreshed from the Price List API for %s", count, self.region)
        return {"refreshed": True, "prices": count, "fetched_at": snapshot.fetched_at}

    def price_of(self, component: str | None, instance_type: str | None) -> Price:
        if component in UNMETERED:
            return UNMETERED[component]
        if component == "space_storage":
            return self.prices.storage(self.region)
        if instance_type == "system":
            return Price(0.0, False, "not_billed", "Studio's 'system' instance is not billed.", None)
        if component is None:
            return Price(None, False, "none", "This kind of app has no hourly instance price here.", None)
        return self.prices.lookup(self.region, component, instance_type)

    # --- inventory (GET cost) ------------------------------------------------------------------------------
    def _key(self) -> tuple:
        return ("cost:inventory", self.context.domain_id, self.region)

    async def cost_answer(self, scope: str, viewer: str | None) -> RenderedAnswer:
        """The GET cost answer as JSON bytes (rendered once per inventory round, scope and viewer)."""
        if scope not in ("domain", "mine"):
            raise StudioCollabError("invalid_scope", "scope must be 'domain' or 'mine'.", 400)
        availability = await self.availability()
        if not availability["available"]:
            return RenderedAnswer(
                None,
                None,
                json.dumps(
                    {
                        **availability,
                        "scope": scope,
                        "currency": "USD",
                        "burn_rate_per_hour": 0.0,
                        "forecast": {"day": 0.0, "month": 0.0},
                        "resources": [],
                        "stale": False,
                        "errors": [],
                        "by_kind": [],
                        "budget": None,
                        "inventory": {
                            "shared": False,
                            "age_seconds": 0,
                            "refreshed_by": None,
                            "reason": availability["reason"],
                        },
                        "unpriced": 0,
                        "as_of": None,
                        "viewer": viewer,
                        "prices": self.prices.describe(),
                        "price_sources": {},
                    }
                ).encode("utf-8"),
                self.aws.executor,
            )
        # A round that failed for every kind counts like a good one for one TTL (retry_after): callers get the
        # stale answer meanwhile, so a throttled AWS is not hit harder by every tab that polls.
        cached = await self.cache.get_or_stale(self._key(), self._load, self._good_for, retry_after=self.ttl)
        self._refresh_prices_if_old()
        idle_minutes, prices = self._this_app_idle_minutes(), self.prices.describe()  # read on the loop
        budget = self.budgets.applying(scope, viewer, self.context.domain_id)
        actual = await self._budget_actual(budget)
        return await self.reports.answer(
            cached.value,
            scope,
            viewer,
            cached.stale_reason,
            lambda: render(
                cached.value,
                scope,
                viewer,
                cached.stale_reason,
                idle_minutes,
                prices,
                budget,
                frozenset(self.stopper.allowed_kinds),
                actual,
            ),
            variant=actual,
        )

    async def _budget_actual(self, budget: tuple | None) -> tuple[dict | None, str | None] | None:
        """(Cost Explorer's month-to-date, or None and why not) for a budget, when the admin enabled Cost
        Explorer; None otherwise (the budget is then estimated, and says so)."""
        if budget is None or not self.cost_explorer:
            return None
        try:
            return await self.billed_spend.month_to_date(budget[0], budget[1]), None
        except StudioCollabError as err:
            log.info("studio-collab cost: budget month-to-date from Cost Explorer unavailable (%s)", err.message)
            return None, err.message

    def _good_for(self, inventory: Inventory) -> float:
        """Serve an inventory until it is one TTL old: a shared snapshot may arrive already aging. An aged one
        (another space is refreshing it) is looked at again shortly, never in a tight loop."""
        remaining = self.ttl - max(0.0, time.time() - inventory.collected_at)
        return remaining if remaining > 0 else min(self.ttl, SNAPSHOT_RECHECK_SECONDS)

    async def _load(self) -> Inventory:
        inventory, source = await self.shared.load(self.inventory.collect)
        inventory.source = source
        failed = [r for r in inventory.results.values() if r.transient]
        if failed and len(failed) == len(KINDS):
            raise failed[0].error
        previous: Inventory | None = self.cache.peek(self._key())  # the last good round, kept past its TTL
        for result in failed:
            old = previous.results.get(result.kind) if previous else None
            if old is not None and (old.error is None or old.stale_since):
                inventory.results[result.kind] = with_stale(result, old, previous.collected_at)
        price_rows(inventory, self.price_of)
        return inventory

    def _this_app_idle_minutes(self) -> float | None:
        try:
            return self.idle.activity()["idle_seconds"] / 60
        except Exception:  # noqa: BLE001 - the idle flag is a hint; the table must not fail on it
            log.debug("idle activity unavailable", exc_info=True)
            return None

    # --- stop (POST cost/stop) -----------------------------------------------------------------------------
    async def stop_resource(self, kind: str, name, viewer: str) -> dict:
        answer = await self.stopper.stop(kind, name, viewer)
        self.cache.expire(self._key())  # the next GET cost shows it stopping
        return answer

    # --- billed spend (GET cost/spend, optional) -----------------------------------------------------------
    async def spend(self, viewer: str | None) -> dict:
        return await self.billed_spend.answer(viewer)

    # --- idle ----------------------------------------------------------------------------------------------
    async def idle_status(self) -> dict:
        return await self.idle.status()

    async def keep_alive(self, viewer: str | None) -> dict:
        self.idle.keep_alive(viewer)
        return await self.idle.status()

    async def shutdown_blocker(self, kind: str, blocker_id: str, viewer: str | None) -> dict:
        answer = await self.idle.blockers.shutdown(kind, blocker_id, viewer)
        return {**answer, "idle": await self.idle.status()}

    async def set_space_idle_timeout(self, minutes, viewer: str | None) -> dict:
        return await self.space_timeout.set(minutes, viewer)


def default_price_cache_path(configured: str) -> Path:
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "studio-collab" / "prices.json"

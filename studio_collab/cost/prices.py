"""Hourly prices (row C7): the bundled table, the admin's overrides and an optional Price List refresh.

Lookup order (``data/README.md``): an admin override, then a Price List API figure for the component,
then the bundled figure for the component, then the Studio Classic table for the region (an estimate),
then the us-east-1 single-rate table (an estimate, Studio apps in us-east-1 only), else no price at all:
``usd_per_hour`` is ``None`` and the answer says so. A price is never copied across regions or invented.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

# The meters the product prices; each is a SageMaker "component" (Price List `platoinstancetype`).
COMPONENTS = (
    "studio_jupyterlab",
    "studio_codeeditor",
    "studio_classic",
    "notebook_instance",
    "training",
    "hosting",
    "processing",
    "batch_transform",
    "mlflow_tracking_server",
    # USD per GB-month of a space's EBS volume (instance type "gb_month"); data/sagemaker-storage-prices.json
    "space_storage",
)
STORAGE_UNIT = "gb_month"
# The single-rate table names no component; its own notes confine it to Studio apps (hosting and training
# figures for the same types are known to differ), so only those may fall back to it.
_SINGLE_RATE_COMPONENTS = {"studio_jupyterlab", "studio_codeeditor", "studio_classic"}
# The Studio Classic table is the `Studio-Notebook` component itself: for KernelGateway apps it is exact.
_STUDIO_CLASSIC = "studio_classic"


@dataclass(frozen=True)
class Price:
    """A price with where it comes from; ``estimate`` is true when it is another component's figure."""

    usd_per_hour: float | None
    estimate: bool
    basis: str  # override | price_list | component | studio_classic_table | us_east_1_single_rate |
    #              bundled_storage (space volumes, per GB-month) | none
    source: str
    as_of: str | None

    def to_json(self) -> dict:
        return {
            "usd_per_hour": self.usd_per_hour,
            "estimate": self.estimate,
            "basis": self.basis,
            "source": self.source,
            "as_of": self.as_of,
        }


# Kinds that have no hourly meter of their own: said so, with why, instead of a price.
UNMETERED = {
    "inference_component": Price(
        None,
        False,
        "included",
        "Runs on its endpoint's instances, which the endpoint's row bills; no separate hourly charge.",
        None,
    ),
    "mlflow_app": Price(
        None,
        False,
        "no_hourly_charge",
        "No hourly charge: a serverless MLflow App bills for its "
        "storage and requests, not for a running server (AWS, MLflow Apps launch, 2025).",
        None,
    ),
}


def load_bundled_table(name: str = "sagemaker-prices.json") -> dict:
    """A table shipped in the wheel (``studio_collab/cost/data/``)."""
    return json.loads(resources.files("studio_collab.cost").joinpath("data").joinpath(name).read_text("utf-8"))


class PriceTable:
    def __init__(
        self,
        table: Mapping[str, Any],
        overrides: Mapping[str, Any] | None = None,
        price_list: PriceListSnapshot | None = None,
        storage: Mapping[str, Any] | None = None,
    ):
        self._table = table
        self._storage = storage or {}  # data/sagemaker-storage-prices.json: USD per GB-month of space volumes
        self._sources = table.get("sources") or {}
        self._overrides = clean_overrides(overrides or {})
        self._price_list = price_list
        supplementary = table.get("supplementary") or {}
        self._classic = supplementary.get("studio_classic_notebook") or {}
        self._single = supplementary.get("us_east_1_single_rate") or {}

    @classmethod
    def bundled(cls, overrides: Mapping[str, Any] | None = None) -> PriceTable:
        return cls(load_bundled_table(), overrides, storage=load_bundled_table("sagemaker-storage-prices.json"))

    def with_price_list(self, snapshot: PriceListSnapshot | None) -> PriceTable:
        table = PriceTable(self._table, None, snapshot, self._storage)
        table._overrides = self._overrides
        return table

    @property
    def price_list(self) -> PriceListSnapshot | None:
        return self._price_list

    def lookup(self, region: str | None, component: str, instance_type: str | None) -> Price:
        if not region or not instance_type:
            return Price(None, False, "none", "No price: the region or instance type is unknown.", None)
        override = _dig(self._overrides, region, component, instance_type)
        if override is not None:
            return Price(override, False, "override", "Set by your admin (StudioCollabApp.price_overrides).", None)
        if self._price_list is not None and self._price_list.region == region:
            figure = _dig(self._price_list.prices, component, instance_type)
            if figure is not None:
                return Price(
                    figure,
                    False,
                    "price_list",
                    "AWS Price List API (pricing:GetProducts).",
                    self._price_list.fetched_at,
                )
        figure = _dig(self._table.get("prices") or {}, region, component, instance_type)
        if figure is not None:
            ids = _dig(self._table.get("provenance") or {}, region, component, instance_type) or []
            return Price(float(figure), False, "component", self._cite(ids), self._latest_date(ids))
        figure = _dig(self._classic.get("prices") or {}, region, instance_type)
        if figure is not None:
            exact = component == _STUDIO_CLASSIC
            what = "Studio Classic notebook rate" if exact else "Studio Classic notebook rate, used as an estimate"
            return Price(
                float(figure),
                not exact,
                "studio_classic_table",
                self._cite([self._classic.get("source")], what),
                self._classic.get("retrieved"),
            )
        if region == "us-east-1" and component in _SINGLE_RATE_COMPONENTS:
            figure = _dig(self._single.get("prices") or {}, region, instance_type)
            if figure is not None:
                return Price(
                    float(figure),
                    True,
                    "us_east_1_single_rate",
                    self._cite([self._single.get("source")], "us-east-1 single rate per type, used as an estimate"),
                    self._single.get("retrieved"),
                )
        return Price(
            None,
            False,
            "none",
            f"No known price for {instance_type} ({component}) in {region}; "
            "an admin can set one with StudioCollabApp.price_overrides.",
            None,
        )

    def storage(self, region: str | None) -> Price:
        """USD per GB-month of a space's EBS volume: the admin's figure, the Price List's, else the bundled one for
        this region (``data/sagemaker-storage-prices.json``); never one copied from another region."""
        figure = _dig(self._overrides, region or "", "space_storage", STORAGE_UNIT)
        if figure is not None:
            return Price(
                figure,
                False,
                "override",
                "Set by your admin (StudioCollabApp.price_overrides), USD per GB-month.",
                None,
            )
        if self._price_list is not None and self._price_list.region == region:
            figure = _dig(self._price_list.prices, "space_storage", STORAGE_UNIT)
            if figure is not None:
                return Price(
                    figure, False, "price_list", "AWS Price List API, USD per GB-month.", self._price_list.fetched_at
                )
        figure = _dig(self._storage.get("prices") or {}, region or "", "space_storage")
        if _is_price(figure):
            return Price(
                float(figure),
                False,
                "bundled_storage",
                f"ML storage (General Purpose SSD), USD per GB-month: {self._storage.get('source')}",
                self._storage.get("retrieved"),
            )
        return Price(
            None,
            False,
            "none",
            f"No storage price is bundled for {region}: an admin can set one with "
            "StudioCollabApp."
            f'price_overrides["{region}"]["space_storage"]["{STORAGE_UNIT}"] (USD per GB-month).',
            None,
        )

    def describe(self) -> dict:
        """What the panel shows under the table: currency, dates, and whether the Price List was used."""
        snapshot = self._price_list
        return {
            "currency": self._table.get("currency", "USD"),
            "unit": self._table.get("unit"),
            "bundled_as_of": self._table.get("retrieved"),
            "bundled_note": self._table.get("retrieved_note"),
            "price_list_fetched_at": snapshot.fetched_at if snapshot else None,
            "overrides": bool(self._overrides),
            "excludes": "storage (except stopped spaces' volumes), data transfer, spot and Savings Plans",
        }

    def _cite(self, ids: list, what: str | None = None) -> str:
        parts = []
        for source_id in ids:
            source = self._sources.get(source_id) or {}
            date = source.get("data_date")
            origin = source.get("repo") if source.get("repo") and "not recorded" not in source["repo"] else None
            parts.append(f"{source_id}" + (f" {origin}" if origin else "") + (f" ({date})" if date else ""))
        cited = ", ".join(parts) or "bundled table"
        return f"{what}: {cited}" if what else f"Bundled price table: {cited}"

    def _latest_date(self, ids: list) -> str | None:
        dates = [str((self._sources.get(i) or {}).get("data_date", ""))[:10] for i in ids]
        dates = [d for d in dates if d]
        return max(dates) if dates else self._table.get("retrieved")


@dataclass(frozen=True)
class PriceListSnapshot:
    """Prices read from the Price List API for one region: ``{component: {instance_type: usd}}``."""

    region: str
    fetched_at: str
    prices: dict

    def to_json(self) -> dict:
        return {"region": self.region, "fetched_at": self.fetched_at, "prices": self.prices}

    @classmethod
    def from_json(cls, data: Any) -> PriceListSnapshot | None:
        if not isinstance(data, dict) or not isinstance(data.get("prices"), dict):
            return None
        prices = {
            c: {t: float(p) for t, p in types.items() if _is_price(p)}
            for c, types in data["prices"].items()
            if c in COMPONENTS and isinstance(types, dict)
        }
        return cls(str(data.get("region", "")), str(data.get("fetched_at", "")), prices)


def clean_overrides(overrides: Mapping[str, Any]) -> dict:
    """Keep only well-formed admin prices; a typo is logged once instead of breaking every lookup."""
    clean: dict = {}
    for region, components in overrides.items():
        if not isinstance(components, Mapping):
            log.warning("price_overrides[%r] is not a mapping of components; ignored", region)
            continue
        for component, types in components.items():
            if component not in COMPONENTS or not isinstance(types, Mapping):
                log.warning("price_overrides[%r][%r]: unknown component or not a mapping; ignored", region, component)
                continue
            for instance_type, price in types.items():
                if not _is_price(price):
                    log.warning(
                        "price_overrides[%r][%r][%r] = %r is not a price; ignored",
                        region,
                        component,
                        instance_type,
                        price,
                    )
                    continue
                clean.setdefault(region, {}).setdefault(component, {})[instance_type] = float(price)
    return clean


def _is_price(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e6


def _dig(tree: Mapping, *keys: str) -> Any:
    node: Any = tree
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node

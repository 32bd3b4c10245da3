"""Optional refresh of prices from the AWS Price List API (``pricing:GetProducts``), cached on disk.

The API answers ``PriceList``: a list of JSON *strings*, one product each, with ``product.attributes``
(``platoinstancetype`` names the meter, ``instanceName`` the type, ``regionCode`` the region) and
``terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD``. Studio VPC-only domains often cannot reach the
endpoint, so a failure only logs and the bundled table keeps serving.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .prices import PriceListSnapshot

log = logging.getLogger(__name__)

# Price List `platoinstancetype` → the product's component names (compared case-insensitively; AWS mixes case).
METERS = {
    "studio-jupyterlab": "studio_jupyterlab",
    "studio-codeeditor": "studio_codeeditor",
    "studio-notebook": "studio_classic",
    "notebook": "notebook_instance",
    "training": "training",
    "hosting": "hosting",
    "processing": "processing",
    "batchtransform": "batch_transform",
}
# The Price List API lives in two regions only; us-east-1 answers for every region's products.
PRICING_REGION = "us-east-1"
MAX_AGE = timedelta(days=7)


def parse_price_list(price_list: Iterable[Any], region: str) -> dict:
    """``{component: {instance_type: usd_per_hour}}`` for ``region`` from GetProducts' JSON strings."""
    prices: dict = {}
    for raw in price_list:
        try:
            product = json.loads(raw) if isinstance(raw, str) else raw
            attributes = product["product"]["attributes"]
        except (ValueError, TypeError, KeyError):
            log.info("Price List: skipped an entry that is not a product")
            continue
        component = METERS.get(str(attributes.get("platoinstancetype", "")).lower())
        instance_type = attributes.get("instanceName") or attributes.get("instanceType")
        if component is None or not instance_type or attributes.get("regionCode", region) != region:
            continue
        usd = _on_demand_usd_per_hour(product.get("terms") or {})
        if usd is not None:
            prices.setdefault(component, {})[instance_type] = usd
    return prices


def _on_demand_usd_per_hour(terms: dict) -> float | None:
    for offer in (terms.get("OnDemand") or {}).values():
        for dimension in (offer.get("priceDimensions") or {}).values():
            unit = str(dimension.get("unit", "")).lower()
            if unit and unit not in {"hrs", "hours", "hour", "hr"}:
                continue
            try:
                value = float((dimension.get("pricePerUnit") or {})["USD"])
            except (KeyError, TypeError, ValueError):
                continue
            # AWS lists a $0 dimension for free-tier rows; a zero would hide the real price, so skip it.
            if value > 0:
                return value
    return None


class PriceListCache:
    """One JSON file with the last snapshot; written atomically so a crash never leaves half a file."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> PriceListSnapshot | None:
        try:
            return PriceListSnapshot.from_json(json.loads(self.path.read_text("utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            log.warning("price cache %s unreadable (%s); using the bundled table", self.path, err)
            return None

    def save(self, snapshot: PriceListSnapshot) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".prices-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(snapshot.to_json(), out)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def is_fresh(snapshot: PriceListSnapshot | None, region: str, now: datetime | None = None) -> bool:
    if snapshot is None or snapshot.region != region:
        return False
    try:
        fetched = datetime.fromisoformat(snapshot.fetched_at)
    except ValueError:
        return False
    return (now or datetime.now(timezone.utc)) - fetched < MAX_AGE


async def fetch_price_list(aws, region: str) -> PriceListSnapshot:
    """All SageMaker ML-instance products of ``region``, through the paginator (raises StudioCollabError)."""
    price_list = await aws.paginate(
        "pricing",
        "GetProducts",
        "PriceList",
        region=PRICING_REGION,
        ServiceCode="AmazonSageMaker",
        Filters=[
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
            {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "ML Instance"},
        ],
        FormatVersion="aws_v1",
    )
    return PriceListSnapshot(
        region, datetime.now(timezone.utc).isoformat(timespec="seconds"), parse_price_list(price_list, region)
    )

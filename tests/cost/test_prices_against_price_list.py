"""The bundled price table judged against an independent answer: the Price List Query API (pricing:GetProducts)
as the world serves it, read here with json and the Price List's documented shape (``PriceList`` is a list of JSON
strings; the hourly figure is ``terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD``), never with the product's
own parser or the file its lookup reads."""

from __future__ import annotations

import json

import pytest

from studio_collab.cost.prices import PriceTable

pytestmark = pytest.mark.world

# The Price List's component (the world's ``component`` attribute) → the component the product looks up, and the
# basis its answer must give: an exact figure, never an estimate.
LOOKUP = {
    "studio_jupyterlab": ("studio_jupyterlab", "component"),
    "notebook_instance": ("notebook_instance", "component"),
    "training": ("training", "component"),
    "hosting": ("hosting", "component"),
    "studio_classic_notebook": ("studio_classic", "studio_classic_table"),
}


def price_list(world) -> list[tuple[str, str, str, float]]:
    """Every SageMaker product the Price List offers: (region, component, instance type, USD per hour)."""
    client = world.client("pricing")
    products, token = [], None
    while True:
        page = client.get_products(
            ServiceCode="AmazonSageMaker", MaxResults=100, **({"NextToken": token} if token else {})
        )
        for text in page["PriceList"]:
            product = json.loads(text)
            attributes = product["product"]["attributes"]
            [term] = product["terms"]["OnDemand"].values()
            [dimension] = term["priceDimensions"].values()
            assert dimension["unit"] == "Hrs", dimension
            products.append(
                (
                    attributes["regionCode"],
                    attributes["component"],
                    attributes["instanceName"],
                    float(dimension["pricePerUnit"]["USD"]),
                )
            )
        token = page.get("NextToken")
        if not token:
            return products


def test_every_price_list_figure_is_what_the_lookup_answers(world):
    offered = price_list(world)
    assert len(offered) > 100 and {c for _, c, _, _ in offered} == set(LOOKUP), "the Price List answered"
    table = PriceTable.bundled()
    wrong = []
    for region, component, instance, usd in offered:
        looked_up, basis = LOOKUP[component]
        price = table.lookup(region, looked_up, instance)
        if price.usd_per_hour is None or abs(price.usd_per_hour - usd) > 1e-9 or price.basis != basis or price.estimate:
            wrong.append((region, component, instance, usd, price.usd_per_hour, price.basis, price.estimate))
    assert wrong == [], f"{len(wrong)} of {len(offered)} lookups differ from the Price List: {wrong[:10]}"


def test_a_type_the_price_list_does_not_offer_gets_no_exact_price(world):
    offered = {(r, c, i) for r, c, i, _ in price_list(world)}
    table = PriceTable.bundled()
    for region, component, instance in [
        ("us-east-1", "training", "ml.nonexistent.xlarge"),
        ("eu-west-1", "hosting", "ml.m5.huge"),
    ]:
        assert (region, component, instance) not in offered
        price = table.lookup(region, component, instance)
        assert price.usd_per_hour is None or price.estimate, price

"""PriceTable lookups in the documented order, with sources, estimates and never an invented price."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from studio_collab.cost.price_list import PriceListCache, is_fresh, parse_price_list
from studio_collab.cost.prices import PriceListSnapshot, PriceTable, clean_overrides, load_bundled_table


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return PriceTable.bundled()


def test_component_figure_is_exact_and_cites_its_source(table):
    price = table.lookup("us-east-1", "studio_jupyterlab", "ml.t3.medium")
    assert price.usd_per_hour == 0.05
    assert price.estimate is False
    assert price.basis == "component"
    assert "S2" in price.source and "S3" in price.source
    assert price.as_of == "2026-09-24"


def test_component_figures_stay_per_component(table):
    # The table keeps the g4dn difference between JupyterLab and training; lookups must not blur it.
    assert table.lookup("us-east-1", "studio_jupyterlab", "ml.g4dn.xlarge").usd_per_hour == 0.7364
    assert table.lookup("us-east-1", "training", "ml.g4dn.xlarge").usd_per_hour == 0.736


def test_studio_classic_table_is_an_estimate_for_other_components(table):
    raw = load_bundled_table()
    classic = raw["supplementary"]["studio_classic_notebook"]["prices"]["eu-west-1"]
    instance = "ml.m5.xlarge"
    assert instance not in (raw["prices"].get("eu-west-1") or {}).get("studio_jupyterlab", {})
    price = table.lookup("eu-west-1", "studio_jupyterlab", instance)
    assert price.usd_per_hour == classic[instance]
    assert price.estimate is True
    assert price.basis == "studio_classic_table"
    assert "S1" in price.source and price.as_of == "2026-05-21"


def test_studio_classic_table_is_exact_for_kernel_gateway_apps(table):
    price = table.lookup("eu-west-1", "studio_classic", "ml.m5.xlarge")
    assert price.estimate is False and price.basis == "studio_classic_table"


def test_single_rate_only_for_studio_apps_in_us_east_1(table):
    raw = load_bundled_table()
    single = raw["supplementary"]["us_east_1_single_rate"]["prices"]["us-east-1"]
    classic = raw["supplementary"]["studio_classic_notebook"]["prices"]["us-east-1"]
    only_single = sorted(set(single) - set(classic))
    assert only_single, "the bundled table has types only the single-rate table knows"
    instance = only_single[0]
    price = table.lookup("us-east-1", "studio_codeeditor", instance)
    assert price.usd_per_hour == single[instance]
    assert price.estimate is True and price.basis == "us_east_1_single_rate"
    # Hosting figures are known to differ from the single rate: no fallback there, and never in another region.
    assert table.lookup("us-east-1", "hosting", instance).usd_per_hour is None
    assert table.lookup("us-west-2", "studio_codeeditor", instance).usd_per_hour is None


@pytest.mark.parametrize(
    "region,component,instance",
    [
        ("us-east-1", "studio_jupyterlab", "ml.nonexistent.xlarge"),
        ("mars-north-1", "studio_jupyterlab", "ml.t3.medium"),
        ("us-east-1", "mlflow_tracking_server", "Small"),
        (None, "training", "ml.m5.large"),
        ("us-east-1", "training", None),
    ],
)
def test_unknown_gets_no_price_and_says_so(table, region, component, instance):
    price = table.lookup(region, component, instance)
    assert price.usd_per_hour is None
    assert price.basis == "none"
    assert price.estimate is False
    assert price.source


def test_admin_override_wins_and_bad_entries_are_dropped():
    overrides = {
        "us-east-1": {
            "studio_jupyterlab": {"ml.t3.medium": 0.0425, "ml.m5.large": "cheap"},
            "mlflow_tracking_server": {"Small": 0.6},
            "no_such_meter": {"x": 1},
        },
        "eu-west-1": "not a mapping",
    }
    table = PriceTable.bundled(overrides)
    price = table.lookup("us-east-1", "studio_jupyterlab", "ml.t3.medium")
    assert (price.usd_per_hour, price.basis, price.estimate) == (0.0425, "override", False)
    assert table.lookup("us-east-1", "mlflow_tracking_server", "Small").usd_per_hour == 0.6
    assert clean_overrides(overrides) == {
        "us-east-1": {"studio_jupyterlab": {"ml.t3.medium": 0.0425}, "mlflow_tracking_server": {"Small": 0.6}}
    }
    assert table.describe()["overrides"] is True


def _product(region, plato, instance, usd, unit="Hrs"):
    return json.dumps(
        {
            "product": {
                "productFamily": "ML Instance",
                "attributes": {"regionCode": region, "instanceName": instance, "platoinstancetype": plato},
            },
            "terms": {
                "OnDemand": {
                    "T.JRTCKXETXF": {
                        "priceDimensions": {"T.JRTCKXETXF.6YS6EN2CT7": {"unit": unit, "pricePerUnit": {"USD": usd}}}
                    }
                }
            },
        }
    )


def test_price_list_json_strings_are_parsed_per_meter():
    price_list = [
        _product("us-east-1", "Studio-JupyterLab", "ml.t3.large", "0.1000000000"),
        _product("us-east-1", "studio-codeeditor", "ml.t3.large", "0.1000000000"),
        _product("us-east-1", "Hosting", "ml.m5.large", "0.1150000000"),
        _product("us-east-1", "Hosting", "ml.m5.xlarge", "0.0000000000"),  # free-tier row: skipped
        _product("us-east-1", "Training", "ml.m5.large", "0.5", unit="GB-Mo"),  # not an hourly meter
        _product("eu-west-1", "Hosting", "ml.m5.large", "0.13"),  # another region
        _product("us-east-1", "RStudio:RSession-Gateway", "ml.t3.medium", "0.05"),  # not priced here
        "not json",
    ]
    assert parse_price_list(price_list, "us-east-1") == {
        "studio_jupyterlab": {"ml.t3.large": 0.1},
        "studio_codeeditor": {"ml.t3.large": 0.1},
        "hosting": {"ml.m5.large": 0.115},
    }


def test_price_list_snapshot_comes_after_overrides_before_the_bundle(tmp_path):
    now = datetime.now(timezone.utc)
    snapshot = PriceListSnapshot(
        "us-east-1",
        now.isoformat(),
        {"studio_jupyterlab": {"ml.t3.medium": 0.051}, "studio_codeeditor": {"ml.t3.medium": 0.05}},
    )
    cache = PriceListCache(tmp_path / "sub" / "prices.json")
    cache.save(snapshot)
    loaded = cache.load()
    assert loaded == snapshot and is_fresh(loaded, "us-east-1")
    assert not is_fresh(loaded, "eu-west-1")
    assert not is_fresh(loaded, "us-east-1", now + timedelta(days=8))
    table = PriceTable.bundled({"us-east-1": {"studio_jupyterlab": {"ml.t3.medium": 0.04}}}).with_price_list(loaded)
    assert table.lookup("us-east-1", "studio_jupyterlab", "ml.t3.medium").basis == "override"
    code_editor = table.lookup("us-east-1", "studio_codeeditor", "ml.t3.medium")
    assert (code_editor.usd_per_hour, code_editor.basis, code_editor.as_of) == (0.05, "price_list", loaded.fetched_at)
    assert table.lookup("eu-west-1", "studio_codeeditor", "ml.t3.medium").basis == "studio_classic_table"
    assert table.describe()["price_list_fetched_at"] == loaded.fetched_at


def test_a_corrupt_price_cache_is_ignored(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text("{half")
    assert PriceListCache(path).load() is None
    assert PriceListCache(tmp_path / "absent.json").load() is None


def test_bundled_table_ships_in_the_package():
    from importlib import resources

    data = resources.files("studio_collab.cost").joinpath("data")
    assert data.joinpath("sagemaker-prices.json").is_file()
    assert "sources" in data.joinpath("README.md").read_text("utf-8").lower()


def test_space_storage_is_bundled_for_us_east_1_only_and_never_copied(table):
    bundled = table.storage("us-east-1")
    assert (bundled.usd_per_hour, bundled.basis, bundled.estimate) == (0.14, "bundled_storage", False)
    assert "aws.amazon.com/sagemaker/pricing" in bundled.source
    elsewhere = table.storage("eu-west-3")  # no dated public figure: none, and how to set one
    assert (elsewhere.usd_per_hour, elsewhere.basis) == (None, "none")
    assert 'price_overrides["eu-west-3"]["space_storage"]["gb_month"]' in elsewhere.source
    overridden = PriceTable.bundled({"us-east-1": {"space_storage": {"gb_month": 0.1}}}).storage("us-east-1")
    assert (overridden.usd_per_hour, overridden.basis) == (0.1, "override")
    # A Price List refresh keeps the bundled storage figure.
    assert (
        table.with_price_list(PriceListSnapshot("us-east-1", "2026-12-01", {})).storage("us-east-1").basis
        == "bundled_storage"
    )

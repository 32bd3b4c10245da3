"""The AWS Price List Query API (``pricing``) for AmazonSageMaker, answered from the researched price table.

Each figure of ``data/sagemaker-prices.json`` becomes one product in the real Price List shape: ``PriceList`` is a
list of JSON *strings* with ``product.attributes`` and ``terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD``.
Only figures the table holds are offered; nothing is interpolated.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from .awsproto import AwsError, page, validation

PRICES_FILE = Path(__file__).parent / "data" / "sagemaker-prices.json"
SERVICE_CODE = "AmazonSageMaker"
ON_DEMAND_TERM = "JRTCKXETXF"  # AWS's offer term code for on-demand
RATE_CODE = "6YS6EN2CT7"

# component of the table → (platoinstancetype, usage type infix, description noun)
COMPONENTS = {
    "studio_jupyterlab": ("Studio-JupyterLab", "Studio:JupyterLab-", "Studio JupyterLab"),
    "notebook_instance": ("Notebook", "Notebk:", "Notebook Instance"),
    "training": ("Training", "Train:", "Training"),
    "hosting": ("Hosting", "Host:", "Hosting"),
    "studio_classic_notebook": ("Studio-Notebook", "Studio:KernelGateway-", "Studio Notebook"),
}

# regionCode → (location as the Price List names it, usage type prefix)
REGIONS = {
    "af-south-1": ("Africa (Cape Town)", "AFS1"),
    "ap-east-1": ("Asia Pacific (Hong Kong)", "APE1"),
    "ap-northeast-1": ("Asia Pacific (Tokyo)", "APN1"),
    "ap-northeast-2": ("Asia Pacific (Seoul)", "APN2"),
    "ap-northeast-3": ("Asia Pacific (Osaka)", "APN3"),
    "ap-south-1": ("Asia Pacific (Mumbai)", "APS3"),
    "ap-southeast-1": ("Asia Pacific (Singapore)", "APS1"),
    "ap-southeast-2": ("Asia Pacific (Sydney)", "APS2"),
    "ap-southeast-3": ("Asia Pacific (Jakarta)", "APS4"),
    "ca-central-1": ("Canada (Central)", "CAN1"),
    "eu-central-1": ("EU (Frankfurt)", "EUC1"),
    "eu-north-1": ("EU (Stockholm)", "EUN1"),
    "eu-south-1": ("EU (Milan)", "EUS1"),
    "eu-south-2": ("EU (Spain)", "EUS2"),
    "eu-west-1": ("EU (Ireland)", "EU"),
    "eu-west-2": ("EU (London)", "EUW2"),
    "eu-west-3": ("EU (Paris)", "EUW3"),
    "il-central-1": ("Israel (Tel Aviv)", "ILC1"),
    "me-central-1": ("Middle East (UAE)", "MEC1"),
    "me-south-1": ("Middle East (Bahrain)", "MES1"),
    "sa-east-1": ("South America (Sao Paulo)", "SAE1"),
    "us-east-1": ("US East (N. Virginia)", "USE1"),
    "us-east-2": ("US East (Ohio)", "USE2"),
    "us-gov-east-1": ("AWS GovCloud (US-East)", "UGE1"),
    "us-gov-west-1": ("AWS GovCloud (US-West)", "UGW1"),
    "us-west-1": ("US West (N. California)", "USW1"),
    "us-west-2": ("US West (Oregon)", "USW2"),
}


class PriceCatalog:
    def __init__(self, path: Path = PRICES_FILE):
        self.path = path
        self.operations = {
            "GetProducts": self.get_products,
            "DescribeServices": self.describe_services,
            "GetAttributeValues": self.get_attribute_values,
        }

    @functools.cached_property
    def products(self) -> list[dict]:
        table = json.loads(self.path.read_text(encoding="utf-8"))
        published = table.get("retrieved", "2026-01-01")
        figures = [
            (region, component, instance, price)
            for region, components in table["prices"].items()
            for component, instances in components.items()
            for instance, price in instances.items()
        ]
        classic = table["supplementary"]["studio_classic_notebook"]["prices"]
        figures += [
            (region, "studio_classic_notebook", instance, price)
            for region, instances in classic.items()
            for instance, price in instances.items()
        ]
        return [
            self._product(*figure, published)
            for figure in figures
            if figure[0] in REGIONS and figure[1] in COMPONENTS and isinstance(figure[3], (int, float))
        ]

    @staticmethod
    def _product(region: str, component: str, instance: str, price: float, published: str) -> dict:
        plato, usage_infix, noun = COMPONENTS[component]
        location, prefix = REGIONS[region]
        sku = hashlib.sha256(f"{region}/{plato}/{instance}".encode()).hexdigest()[:16].upper()
        term = f"{sku}.{ON_DEMAND_TERM}"
        return {
            "product": {
                "productFamily": "ML Instance",
                "sku": sku,
                "attributes": {
                    "servicecode": SERVICE_CODE,
                    "servicename": "Amazon SageMaker",
                    "location": location,
                    "locationType": "AWS Region",
                    "regionCode": region,
                    "instanceName": instance,
                    "instanceType": instance,
                    "platoinstancetype": plato,
                    "component": component,
                    "usagetype": f"{prefix}-{usage_infix}{instance}",
                    "operation": "RunInstance",
                },
            },
            "serviceCode": SERVICE_CODE,
            "terms": {
                "OnDemand": {
                    term: {
                        "priceDimensions": {
                            f"{term}.{RATE_CODE}": {
                                "unit": "Hrs",
                                "beginRange": "0",
                                "endRange": "Inf",
                                "appliesTo": [],
                                "rateCode": f"{term}.{RATE_CODE}",
                                "description": f"${price} per {noun} {instance} hour in {location}",
                                "pricePerUnit": {"USD": f"{price:.10f}"},
                            }
                        },
                        "sku": sku,
                        "effectiveDate": f"{published}T00:00:00Z",
                        "offerTermCode": ON_DEMAND_TERM,
                        "termAttributes": {},
                    }
                }
            },
            "version": published.replace("-", "") + "000000",
            "publicationDate": f"{published}T00:00:00Z",
        }

    def _matching(self, service_code: str, filters: list[dict]) -> list[dict]:
        if service_code != SERVICE_CODE:
            return []
        found = []
        for product in self.products:
            attributes = {"productFamily": product["product"]["productFamily"], **product["product"]["attributes"]}
            if all(_matches(attributes.get(f["Field"]), f) for f in filters):
                found.append(product)
        return found

    def get_products(self, region: str, p: dict) -> dict:
        products = self._matching(p["ServiceCode"], p.get("Filters") or [])
        answer = page([json.dumps(prod) for prod in products], p, "PriceList", default_max=100)
        answer["FormatVersion"] = "aws_v1"
        return answer

    def describe_services(self, region: str, p: dict) -> dict:
        names = sorted({k for prod in self.products for k in prod["product"]["attributes"]} | {"productFamily"})
        services = [{"ServiceCode": SERVICE_CODE, "AttributeNames": names}]
        if p.get("ServiceCode") and p["ServiceCode"] != SERVICE_CODE:
            services = []
        answer = page(services, p, "Services", default_max=100)
        answer["FormatVersion"] = "aws_v1"
        return answer

    def get_attribute_values(self, region: str, p: dict) -> dict:
        if p["ServiceCode"] != SERVICE_CODE:
            raise AwsError("NotFoundException", f"Service {p['ServiceCode']} has no products here.")
        field = p["AttributeName"]
        values = sorted(
            {
                str(({"productFamily": prod["product"]["productFamily"]} | prod["product"]["attributes"]).get(field))
                for prod in self.products
            }
            - {"None"}
        )
        if not values:
            raise AwsError("NotFoundException", f"Attribute {field} does not exist for {SERVICE_CODE}.")
        return page([{"Value": v} for v in values], p, "AttributeValues", default_max=100)


def _matches(actual, f: dict) -> bool:
    kind, wanted = f["Type"], f["Value"]
    if kind in ("TERM_MATCH", "EQUALS"):
        return actual is not None and str(actual).lower() == wanted.lower()
    if kind == "CONTAINS":
        return actual is not None and wanted.lower() in str(actual).lower()
    options = {v.strip().lower() for v in wanted.split(",")}
    if kind == "ANY_OF":
        return actual is not None and str(actual).lower() in options
    if kind == "NONE_OF":
        return actual is None or str(actual).lower() not in options
    raise validation(f"Unknown filter type {kind}.")

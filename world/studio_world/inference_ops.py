"""SageMaker inference components (moto has none): models placed on an endpoint's instances, each with its copies.

An inference component reserves accelerators, CPU and memory on the endpoint's instances; it is what keeps an
endpoint of several models alive (and billing) after the model everybody remembers is gone.
"""

from __future__ import annotations

from .awsproto import ACCOUNT_ID, in_use, not_found, now, page, sort_items, validation
from .records import Clock, RegionStores, begin, public, settle

SUMMARY = (
    "CreationTime",
    "InferenceComponentArn",
    "InferenceComponentName",
    "EndpointArn",
    "EndpointName",
    "VariantName",
    "InferenceComponentStatus",
    "LastModifiedTime",
)


class InferenceComponentOperations:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.stores = RegionStores("components")
        self.operations = {
            "CreateInferenceComponent": self.create,
            "DescribeInferenceComponent": self.describe,
            "ListInferenceComponents": self.list,
            "DeleteInferenceComponent": self.delete,
        }

    def reset(self) -> None:
        self.stores.clear()

    def _component(self, region: str, name: str) -> dict:
        record = self.stores.of(region, "components").get(name)
        if record is None:
            raise not_found(f'Could not find inference component "{name}".')
        return settle(record)

    def create(self, region: str, p: dict) -> dict:
        from . import moto_bridge

        endpoint = moto_bridge.sagemaker_backend(region).endpoints.get(p["EndpointName"])
        if endpoint is None:
            raise validation(f'Could not find endpoint "{p["EndpointName"]}".')
        with self.stores.lock:
            components = self.stores.of(region, "components")
            name = p["InferenceComponentName"]
            if name in components:
                raise in_use(f'Cannot create already existing inference component "{name}".')
            copies = (p.get("RuntimeConfig") or {}).get("CopyCount", 1)
            arn = f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:inference-component/{name}"
            created = now()
            record = {
                "InferenceComponentName": name,
                "InferenceComponentArn": arn,
                "EndpointName": p["EndpointName"],
                "EndpointArn": endpoint.arn,
                "VariantName": p.get("VariantName"),
                "Specification": p.get("Specification") or {},
                "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
                "CreationTime": created,
                "LastModifiedTime": created,
                "_tags": p.get("Tags") or [],
            }
            begin(record, "InferenceComponentStatus", "Creating", "InService", self.clock)
            components[name] = record
        return {"InferenceComponentArn": arn}

    def describe(self, region: str, p: dict) -> dict:
        return public(self._component(region, p["InferenceComponentName"]))

    def list(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            records = [settle(r) for r in self.stores.of(region, "components").values()]
            items = [
                public(r, SUMMARY)
                for r in records
                if (not p.get("StatusEquals") or r["InferenceComponentStatus"] == p["StatusEquals"])
                and (not p.get("EndpointNameEquals") or r["EndpointName"] == p["EndpointNameEquals"])
                and (not p.get("VariantNameEquals") or r.get("VariantName") == p["VariantNameEquals"])
                and p.get("NameContains", "") in r["InferenceComponentName"]
            ]
        items = sort_items(
            items,
            p,
            {"Name": "InferenceComponentName", "CreationTime": "CreationTime", "Status": "InferenceComponentStatus"},
            "CreationTime",
        )
        return page(items, p, "InferenceComponents")

    def delete(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            self._component(region, p["InferenceComponentName"])
            self.stores.of(region, "components").pop(p["InferenceComponentName"], None)
        return {}

    def tags_of(self, region: str, arn: str) -> list | None:
        for record in self.stores.of(region, "components").values():
            if record["InferenceComponentArn"] == arn:
                return list(record.get("_tags") or [])
        return None

    OVERRIDABLE = {"CreationTime", "InferenceComponentStatus"}

    def override(self, region: str, name: str, fields: dict) -> None:
        unknown = set(fields) - self.OVERRIDABLE
        if unknown:
            raise validation(
                f"inference_component fields {sorted(unknown)} cannot be overridden; "
                f"allowed: {sorted(self.OVERRIDABLE)}."
            )
        with self.stores.lock:
            record = self._component(region, name)
            if "InferenceComponentStatus" in fields:
                record.pop("_next", None)
            record.update(fields)

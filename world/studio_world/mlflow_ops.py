"""SageMaker managed MLflow tracking servers (control plane only; moto has none of it).

A tracking server's ``TrackingServerUrl`` can be pointed at a real local ``mlflow server`` (the world does this),
so the pre-signed UI link opens a working MLflow UI.
"""

from __future__ import annotations

import secrets

from .awsproto import ACCOUNT_ID, in_use, not_found, now, page, sort_items, validation
from .records import Clock, RegionStores, begin, public, settle

SUMMARY = ("TrackingServerArn", "TrackingServerName", "CreationTime", "LastModifiedTime", "TrackingServerStatus",
           "IsActive", "MlflowVersion")
DEFAULT_MLFLOW_VERSION = "2.16.2"
RUNNING = {"Created", "Started", "Updated", "MaintenanceComplete"}


class MlflowOperations:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.stores = RegionStores("servers")
        self.operations = {
            "CreateMlflowTrackingServer": self.create, "DescribeMlflowTrackingServer": self.describe,
            "ListMlflowTrackingServers": self.list, "StartMlflowTrackingServer": self.start,
            "StopMlflowTrackingServer": self.stop, "DeleteMlflowTrackingServer": self.delete,
            "CreatePresignedMlflowTrackingServerUrl": self.presigned_url,
        }

    def reset(self) -> None:
        self.stores.clear()

    def _server(self, region: str, name: str) -> dict:
        record = self.stores.of(region, "servers").get(name)
        if record is None:
            raise not_found(f"Tracking server {name} does not exist.")
        return settle(record)

    def create(self, region: str, p: dict) -> dict:
        with self.stores.lock:  # check-then-insert must not interleave with another create
            return self._create(region, p)

    def _create(self, region: str, p: dict) -> dict:
        servers = self.stores.of(region, "servers")
        name = p["TrackingServerName"]
        if name in servers:
            raise in_use(f"Tracking server {name} already exists.")
        if not p["ArtifactStoreUri"].startswith("s3://"):
            raise validation("ArtifactStoreUri must be an s3:// URI.")
        arn = f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:mlflow-tracking-server/{name}"
        created = now()
        record = {
            "TrackingServerArn": arn, "TrackingServerName": name, "ArtifactStoreUri": p["ArtifactStoreUri"],
            "TrackingServerSize": p.get("TrackingServerSize", "Small"),
            "MlflowVersion": p.get("MlflowVersion", DEFAULT_MLFLOW_VERSION), "RoleArn": p["RoleArn"],
            "IsActive": "Inactive", "WeeklyMaintenanceWindowStart": p.get("WeeklyMaintenanceWindowStart", "Tue:03:30"),
            "AutomaticModelRegistration": p.get("AutomaticModelRegistration", False),
            "TrackingServerUrl": f"https://t-{secrets.token_hex(6)}.{region}.experiments.sagemaker.aws",
            "CreationTime": created, "LastModifiedTime": created, "_tags": p.get("Tags") or [],
        }
        begin(record, "TrackingServerStatus", "Creating", "Created", self.clock, {"IsActive": "Active"})
        servers[name] = record
        return {"TrackingServerArn": arn}

    def describe(self, region: str, p: dict) -> dict:
        return public(self._server(region, p["TrackingServerName"]))

    def list(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            items = [public(r, SUMMARY) for r in self.stores.of(region, "servers").values()
                     if (not p.get("TrackingServerStatus") or settle(r)["TrackingServerStatus"] ==
                         p["TrackingServerStatus"])
                     and (not p.get("MlflowVersion") or r["MlflowVersion"] == p["MlflowVersion"])
                     and (not p.get("CreatedAfter") or r["CreationTime"].timestamp() > _epoch(p["CreatedAfter"]))
                     and (not p.get("CreatedBefore") or r["CreationTime"].timestamp() < _epoch(p["CreatedBefore"]))]
        items = sort_items(items, p, {"Name": "TrackingServerName", "CreationTime": "CreationTime",
                                      "Status": "TrackingServerStatus"}, "CreationTime")
        return page(items, p, "TrackingServerSummaries")

    def start(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            record = self._server(region, p["TrackingServerName"])
            if record["TrackingServerStatus"] != "Stopped":
                raise validation(f"Tracking server {record['TrackingServerName']} is "
                                 f"{record['TrackingServerStatus']}; only a Stopped server can be started.")
            begin(record, "TrackingServerStatus", "Starting", "Started", self.clock, {"IsActive": "Active"})
        return {"TrackingServerArn": record["TrackingServerArn"]}

    def stop(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            record = self._server(region, p["TrackingServerName"])
            if record["TrackingServerStatus"] not in RUNNING:
                raise validation(f"Tracking server {record['TrackingServerName']} is "
                                 f"{record['TrackingServerStatus']}; it cannot be stopped now.")
            record["IsActive"] = "Inactive"
            begin(record, "TrackingServerStatus", "Stopping", "Stopped", self.clock)
        return {"TrackingServerArn": record["TrackingServerArn"]}

    def delete(self, region: str, p: dict) -> dict:
        record = self._server(region, p["TrackingServerName"])
        self.stores.of(region, "servers").pop(p["TrackingServerName"], None)
        return {"TrackingServerArn": record["TrackingServerArn"]}

    def presigned_url(self, region: str, p: dict) -> dict:
        record = self._server(region, p["TrackingServerName"])
        if record["TrackingServerStatus"] not in RUNNING:
            raise validation(f"Tracking server {record['TrackingServerName']} is {record['TrackingServerStatus']}; "
                             "start it to open its UI.")
        base = record["TrackingServerUrl"].rstrip("/")
        return {"AuthorizedUrl": f"{base}/?authToken={secrets.token_urlsafe(32)}"}

    OVERRIDABLE = {"TrackingServerUrl", "TrackingServerStatus", "IsActive", "CreationTime"}

    def override(self, region: str, name: str, fields: dict) -> None:
        unknown = set(fields) - self.OVERRIDABLE
        if unknown:
            raise validation(f"tracking_server fields {sorted(unknown)} cannot be overridden; "
                             f"allowed: {sorted(self.OVERRIDABLE)}.")
        with self.stores.lock:
            record = self._server(region, name)
            if "TrackingServerStatus" in fields:
                record.pop("_next", None)
            record.update(fields)


def _epoch(value) -> float:
    return float(value.timestamp()) if hasattr(value, "timestamp") else float(value)

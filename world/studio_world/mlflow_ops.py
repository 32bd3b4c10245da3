"""SageMaker managed MLflow: tracking servers and serverless MLflow Apps (control plane only; moto has neither).

A tracking server's ``TrackingServerUrl`` can be pointed at a real local ``mlflow server`` (the world does this),
so the pre-signed UI link opens a working MLflow UI. An App may be the account's default or the default of listed
domains (``AccountDefaultStatus``, ``DefaultDomainIdList``); at most one App is the account default, as in AWS.
"""

from __future__ import annotations

import secrets

from .awsproto import ACCOUNT_ID, in_use, not_found, now, page, sort_items, validation
from .records import Clock, RegionStores, begin, public, settle

SUMMARY = (
    "TrackingServerArn",
    "TrackingServerName",
    "CreationTime",
    "LastModifiedTime",
    "TrackingServerStatus",
    "IsActive",
    "MlflowVersion",
)
DEFAULT_MLFLOW_VERSION = "2.16.2"
DEFAULT_APP_MLFLOW_VERSION = "3.4.0"
RUNNING = {"Created", "Started", "Updated", "MaintenanceComplete"}
APP_SUMMARY = ("Arn", "Name", "Status", "CreationTime", "LastModifiedTime", "MlflowVersion")
APP_USABLE = {"Created", "Updated"}


class MlflowOperations:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.stores = RegionStores("servers", "apps")
        self.operations = {
            "CreateMlflowTrackingServer": self.create,
            "DescribeMlflowTrackingServer": self.describe,
            "ListMlflowTrackingServers": self.list,
            "StartMlflowTrackingServer": self.start,
            "StopMlflowTrackingServer": self.stop,
            "DeleteMlflowTrackingServer": self.delete,
            "CreatePresignedMlflowTrackingServerUrl": self.presigned_url,
            "CreateMlflowApp": self.create_app,
            "DescribeMlflowApp": self.describe_app,
            "ListMlflowApps": self.list_apps,
            "UpdateMlflowApp": self.update_app,
            "DeleteMlflowApp": self.delete_app,
            "CreatePresignedMlflowAppUrl": self.presigned_app_url,
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
            "TrackingServerArn": arn,
            "TrackingServerName": name,
            "ArtifactStoreUri": p["ArtifactStoreUri"],
            "TrackingServerSize": p.get("TrackingServerSize", "Small"),
            "MlflowVersion": p.get("MlflowVersion", DEFAULT_MLFLOW_VERSION),
            "RoleArn": p["RoleArn"],
            "IsActive": "Inactive",
            "WeeklyMaintenanceWindowStart": p.get("WeeklyMaintenanceWindowStart", "Tue:03:30"),
            "AutomaticModelRegistration": p.get("AutomaticModelRegistration", False),
            "TrackingServerUrl": f"https://t-{secrets.token_hex(6)}.{region}.experiments.sagemaker.aws",
            "CreationTime": created,
            "LastModifiedTime": created,
            "_tags": p.get("Tags") or [],
        }
        begin(record, "TrackingServerStatus", "Creating", "Created", self.clock, {"IsActive": "Active"})
        servers[name] = record
        return {"TrackingServerArn": arn}

    def describe(self, region: str, p: dict) -> dict:
        return public(self._server(region, p["TrackingServerName"]))

    def list(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            items = [
                public(r, SUMMARY)
                for r in self.stores.of(region, "servers").values()
                if (not p.get("TrackingServerStatus") or settle(r)["TrackingServerStatus"] == p["TrackingServerStatus"])
                and (not p.get("MlflowVersion") or r["MlflowVersion"] == p["MlflowVersion"])
                and (not p.get("CreatedAfter") or r["CreationTime"].timestamp() > _epoch(p["CreatedAfter"]))
                and (not p.get("CreatedBefore") or r["CreationTime"].timestamp() < _epoch(p["CreatedBefore"]))
            ]
        items = sort_items(
            items,
            p,
            {"Name": "TrackingServerName", "CreationTime": "CreationTime", "Status": "TrackingServerStatus"},
            "CreationTime",
        )
        return page(items, p, "TrackingServerSummaries")

    def start(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            record = self._server(region, p["TrackingServerName"])
            if record["TrackingServerStatus"] != "Stopped":
                raise validation(
                    f"Tracking server {record['TrackingServerName']} is "
                    f"{record['TrackingServerStatus']}; only a Stopped server can be started."
                )
            begin(record, "TrackingServerStatus", "Starting", "Started", self.clock, {"IsActive": "Active"})
        return {"TrackingServerArn": record["TrackingServerArn"]}

    def stop(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            record = self._server(region, p["TrackingServerName"])
            if record["TrackingServerStatus"] not in RUNNING:
                raise validation(
                    f"Tracking server {record['TrackingServerName']} is "
                    f"{record['TrackingServerStatus']}; it cannot be stopped now."
                )
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
            raise validation(
                f"Tracking server {record['TrackingServerName']} is {record['TrackingServerStatus']}; "
                "start it to open its UI."
            )
        base = record["TrackingServerUrl"].rstrip("/")
        return {"AuthorizedUrl": f"{base}/?authToken={secrets.token_urlsafe(32)}"}

    # --- serverless MLflow Apps ------------------------------------------------------------------------
    def _app(self, region: str, arn: str) -> dict:
        record = next((r for r in self.stores.of(region, "apps").values() if r["Arn"] == arn), None)
        if record is None:
            raise not_found(f"MLflow App {arn} does not exist.")
        return settle(record)

    def create_app(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            apps = self.stores.of(region, "apps")
            name = p["Name"]
            if name in apps:
                raise in_use(f"MLflow App {name} already exists.")
            if not p["ArtifactStoreUri"].startswith("s3://"):
                raise validation("ArtifactStoreUri must be an s3:// URI.")
            if p.get("AccountDefaultStatus") == "ENABLED":
                self._clear_account_default(region)
            arn = f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:mlflow-app/app-{secrets.token_hex(6)}"
            created = now()
            record = {
                "Arn": arn,
                "Name": name,
                "ArtifactStoreUri": p["ArtifactStoreUri"],
                "RoleArn": p["RoleArn"],
                "MlflowVersion": DEFAULT_APP_MLFLOW_VERSION,
                "KmsKeyId": p.get("KmsKeyId"),
                "ModelRegistrationMode": p.get("ModelRegistrationMode", "AutoModelRegistrationDisabled"),
                "AccountDefaultStatus": p.get("AccountDefaultStatus", "DISABLED"),
                "DefaultDomainIdList": list(p.get("DefaultDomainIdList") or []),
                "WeeklyMaintenanceWindowStart": p.get("WeeklyMaintenanceWindowStart", "Tue:03:30"),
                "CreationTime": created,
                "LastModifiedTime": created,
                "_url": f"https://mlflow.sagemaker.{region}.app.aws",
                "_tags": p.get("Tags") or [],
            }
            begin(record, "Status", "Creating", "Created", self.clock)
            apps[name] = record
        return {"Arn": arn}

    def _clear_account_default(self, region: str) -> None:
        for other in self.stores.of(region, "apps").values():
            other["AccountDefaultStatus"] = "DISABLED"

    def describe_app(self, region: str, p: dict) -> dict:
        return public(self._app(region, p["Arn"]))

    def list_apps(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            records = [settle(r) for r in self.stores.of(region, "apps").values()]
            items = [
                public(r, APP_SUMMARY)
                for r in records
                if (not p.get("Status") or r["Status"] == p["Status"])
                and (not p.get("DefaultForDomainId") or p["DefaultForDomainId"] in r["DefaultDomainIdList"])
                and (not p.get("AccountDefaultStatus") or r["AccountDefaultStatus"] == p["AccountDefaultStatus"])
                and (not p.get("MlflowVersion") or r["MlflowVersion"] == p["MlflowVersion"])
            ]
        items = sort_items(
            items, p, {"Name": "Name", "CreationTime": "CreationTime", "Status": "Status"}, "CreationTime"
        )
        return page(items, p, "Summaries")

    def update_app(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            record = self._app(region, p["Arn"])
            if p.get("AccountDefaultStatus") == "ENABLED":
                self._clear_account_default(region)
            for field in (
                "Name",
                "ArtifactStoreUri",
                "ModelRegistrationMode",
                "WeeklyMaintenanceWindowStart",
                "AccountDefaultStatus",
                "DefaultDomainIdList",
            ):
                if field in p:
                    record[field] = p[field]
            record["LastModifiedTime"] = now()
        return {"Arn": record["Arn"]}

    def delete_app(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            record = self._app(region, p["Arn"])
            self.stores.of(region, "apps").pop(record["Name"], None)
        return {"Arn": record["Arn"]}

    def presigned_app_url(self, region: str, p: dict) -> dict:
        record = self._app(region, p["Arn"])
        if record["Status"] not in APP_USABLE:
            raise validation(f"MLflow App {record['Name']} is {record['Status']}; wait until it is Created.")
        return {"AuthorizedUrl": f"{record['_url'].rstrip('/')}/?authToken={secrets.token_urlsafe(32)}"}

    def tags_of(self, region: str, arn: str) -> list | None:
        """The tags of one of our Apps or tracking servers, or None when ``arn`` is not ours."""
        for kind in ("apps", "servers"):
            for record in self.stores.of(region, kind).values():
                if arn in (record.get("Arn"), record.get("TrackingServerArn")):
                    return list(record.get("_tags") or [])
        return None

    APP_OVERRIDABLE = {"_url", "Status", "CreationTime"}

    def override_app(self, region: str, name: str, fields: dict) -> None:
        unknown = set(fields) - self.APP_OVERRIDABLE
        if unknown:
            raise validation(
                f"mlflow_app fields {sorted(unknown)} cannot be overridden; allowed: {sorted(self.APP_OVERRIDABLE)}."
            )
        with self.stores.lock:
            record = self.stores.of(region, "apps").get(name)
            if record is None:
                raise not_found(f"MLflow App {name} does not exist.")
            settle(record)
            if "Status" in fields:
                record.pop("_next", None)
            record.update(fields)

    OVERRIDABLE = {"TrackingServerUrl", "TrackingServerStatus", "IsActive", "CreationTime"}

    def override(self, region: str, name: str, fields: dict) -> None:
        unknown = set(fields) - self.OVERRIDABLE
        if unknown:
            raise validation(
                f"tracking_server fields {sorted(unknown)} cannot be overridden; allowed: {sorted(self.OVERRIDABLE)}."
            )
        with self.stores.lock:
            record = self._server(region, name)
            if "TrackingServerStatus" in fields:
                record.pop("_next", None)
            record.update(fields)


def _epoch(value) -> float:
    return float(value.timestamp()) if hasattr(value, "timestamp") else float(value)

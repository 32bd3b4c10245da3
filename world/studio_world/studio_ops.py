"""SageMaker Studio operations moto lacks: user profiles, spaces, apps, pre-signed domain URLs, Studio lifecycle
configs, and UpdateDomain/UpdateUserProfile on moto's domains. Shapes follow botocore's model (the tests
round-trip them through boto3); errors and codes follow AWS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from . import moto_bridge
from .awsproto import ACCOUNT_ID, AwsError, in_use, not_found, now, page, sort_items, validation
from .records import Clock, RegionStores, begin, deep_merge_members, public, settle

# SageMaker Distribution image that Studio starts JupyterLab with when nothing else is configured (us-east-1).
DEFAULT_IMAGE_ARN = "arn:aws:sagemaker:{region}:081325390199:image/sagemaker-distribution-cpu"
DEFAULT_INSTANCE = {
    "JupyterLab": "ml.t3.medium",
    "CodeEditor": "ml.t3.medium",
    "JupyterServer": "system",
    "KernelGateway": "ml.t3.medium",
}
SPACE_APP_TYPES = {"JupyterLab", "CodeEditor"}  # new-Studio apps that live in a space, never on a profile
LIVE_APP_STATES = {"Pending", "InService", "Deleting"}

APP_SUMMARY = (
    "DomainId",
    "UserProfileName",
    "SpaceName",
    "AppType",
    "AppName",
    "Status",
    "CreationTime",
    "ResourceSpec",
)
SPACE_SUMMARY_KEYS = ("DomainId", "SpaceName", "Status", "CreationTime", "LastModifiedTime", "SpaceDisplayName")
PROFILE_SUMMARY = ("DomainId", "UserProfileName", "Status", "CreationTime", "LastModifiedTime")
LCC_SUMMARY = (
    "StudioLifecycleConfigArn",
    "StudioLifecycleConfigName",
    "CreationTime",
    "LastModifiedTime",
    "StudioLifecycleConfigAppType",
)


def _arn(region: str, resource: str) -> str:
    return f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:{resource}"


def space_host(domain_id: str, space_name: str) -> str:
    """A stable 15-character space host like Studio's (``rx4im9n1uveh8zr``), the same after every reset."""
    digest = hashlib.sha256(f"{domain_id}/{space_name}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:15])


class StudioOperations:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.stores = RegionStores("profiles", "spaces", "apps", "lccs")
        self.operations = {
            "CreateDomain": self.create_domain,
            "UpdateDomain": self.update_domain,
            "CreateUserProfile": self.create_user_profile,
            "DescribeUserProfile": self.describe_user_profile,
            "ListUserProfiles": self.list_user_profiles,
            "DeleteUserProfile": self.delete_user_profile,
            "UpdateUserProfile": self.update_user_profile,
            "CreateSpace": self.create_space,
            "DescribeSpace": self.describe_space,
            "ListSpaces": self.list_spaces,
            "UpdateSpace": self.update_space,
            "DeleteSpace": self.delete_space,
            "CreateApp": self.create_app,
            "DescribeApp": self.describe_app,
            "ListApps": self.list_apps,
            "DeleteApp": self.delete_app,
            "CreatePresignedDomainUrl": self.create_presigned_domain_url,
            "CreateStudioLifecycleConfig": self.create_lcc,
            "DescribeStudioLifecycleConfig": self.describe_lcc,
            "ListStudioLifecycleConfigs": self.list_lccs,
            "DeleteStudioLifecycleConfig": self.delete_lcc,
        }

    def reset(self) -> None:
        self.stores.clear()

    # --- domains (kept by moto) ----------------------------------------------------------------------
    def create_domain(self, region: str, p: dict) -> dict:
        # moto creates it; we give it Studio's URL and answer with the DomainId that moto's answer lacks.
        backend = moto_bridge.sagemaker_backend(region)
        if f"d-{p['DomainName']}" in backend.domains:
            raise in_use(f"Resource Already Exists: Domain with name {p['DomainName']} already exists.")
        self._check_lcc_arns(region, p.get("DefaultUserSettings"))
        created = backend.create_domain(
            domain_name=p["DomainName"],
            auth_mode=p["AuthMode"],
            default_user_settings=p["DefaultUserSettings"],
            domain_settings=p.get("DomainSettings"),
            subnet_ids=p["SubnetIds"],
            vpc_id=p["VpcId"],
            tags=p.get("Tags"),
            app_network_access_type=p.get("AppNetworkAccessType"),
            home_efs_file_system_kms_key_id=p.get("HomeEfsFileSystemKmsKeyId"),
            kms_key_id=p.get("KmsKeyId"),
            app_security_group_management=p.get("AppSecurityGroupManagement"),
            default_space_settings=p.get("DefaultSpaceSettings"),
        )
        domain = backend.domains[f"d-{p['DomainName']}"]
        domain.url = moto_bridge.studio_url(region, domain.id)
        return {"DomainArn": created["DomainArn"], "DomainId": domain.id, "Url": domain.url}

    def update_domain(self, region: str, p: dict) -> dict:
        domain = moto_bridge.domain(region, p["DomainId"])
        self._check_lcc_arns(region, p.get("DefaultUserSettings"))
        if "DefaultUserSettings" in p:
            domain.default_user_settings = deep_merge_members(domain.default_user_settings, p["DefaultUserSettings"])
        if "DefaultSpaceSettings" in p:
            domain.default_space_settings = deep_merge_members(domain.default_space_settings, p["DefaultSpaceSettings"])
        if "DomainSettingsForUpdate" in p:
            domain.domain_settings = deep_merge_members(domain.domain_settings, p["DomainSettingsForUpdate"])
        for field, attr in (
            ("AppNetworkAccessType", "app_network_access_type"),
            ("SubnetIds", "subnet_ids"),
            ("AppSecurityGroupManagement", "app_security_group_management"),
        ):
            if field in p:
                setattr(domain, attr, p[field])
        domain.last_modified_time = now()
        return {"DomainArn": domain.arn}

    def _check_lcc_arns(self, region: str, settings: dict | None) -> None:
        lccs = self.stores.of(region, "lccs")
        known = {r["StudioLifecycleConfigArn"]: r for r in lccs.values()}
        for app_key, app_type in (
            ("JupyterLabAppSettings", "JupyterLab"),
            ("CodeEditorAppSettings", "CodeEditor"),
            ("JupyterServerAppSettings", "JupyterServer"),
            ("KernelGatewayAppSettings", "KernelGateway"),
        ):
            app_settings = (settings or {}).get(app_key) or {}
            arns = list(app_settings.get("LifecycleConfigArns") or [])
            default_arn = (app_settings.get("DefaultResourceSpec") or {}).get("LifecycleConfigArn")
            for arn in arns + ([default_arn] if default_arn else []):
                if arn not in known:
                    raise not_found(f"Studio lifecycle config {arn} does not exist.")
                if known[arn]["StudioLifecycleConfigAppType"] != app_type:
                    raise validation(
                        f"Studio lifecycle config {arn} is for app type "
                        f"{known[arn]['StudioLifecycleConfigAppType']}, not {app_type}."
                    )
            if default_arn and default_arn not in arns:
                raise validation("DefaultResourceSpec.LifecycleConfigArn must also be listed in LifecycleConfigArns.")

    # --- user profiles ----------------------------------------------------------------------------------
    def _profile(self, region: str, domain_id: str, name: str) -> dict:
        record = self.stores.of(region, "profiles").get((domain_id, name))
        if record is None:
            raise not_found(f"User profile {name} does not exist in domain {domain_id}.")
        return record

    def create_user_profile(self, region: str, p: dict) -> dict:
        with self.stores.lock:  # check-then-insert must not interleave with another create
            return self._create_user_profile(region, p)

    def _create_user_profile(self, region: str, p: dict) -> dict:
        domain = moto_bridge.domain(region, p["DomainId"])
        profiles = self.stores.of(region, "profiles")
        key = (p["DomainId"], p["UserProfileName"])
        if key in profiles:
            raise in_use(f"User profile {p['UserProfileName']} already exists in domain {p['DomainId']}.")
        if domain.auth_mode == "SSO" and not p.get("SingleSignOnUserValue"):
            raise validation(
                "SingleSignOnUserIdentifier and SingleSignOnUserValue are required for a user "
                "profile in a domain with IAM Identity Center authentication."
            )
        if domain.auth_mode == "IAM" and p.get("SingleSignOnUserValue"):
            raise validation("SingleSignOnUserValue is only valid in domains with IAM Identity Center authentication.")
        self._check_lcc_arns(region, p.get("UserSettings"))
        arn = _arn(region, f"user-profile/{p['DomainId']}/{p['UserProfileName']}")
        created = now()
        profiles[key] = {
            "DomainId": p["DomainId"],
            "UserProfileArn": arn,
            "UserProfileName": p["UserProfileName"],
            "HomeEfsFileSystemUid": str(200000 + len(profiles)),
            "Status": "InService",
            "CreationTime": created,
            "LastModifiedTime": created,
            "SingleSignOnUserIdentifier": p.get("SingleSignOnUserIdentifier"),
            "SingleSignOnUserValue": p.get("SingleSignOnUserValue"),
            "UserSettings": p.get("UserSettings") or {},
            "_tags": p.get("Tags") or [],
        }
        return {"UserProfileArn": arn}

    def describe_user_profile(self, region: str, p: dict) -> dict:
        return public(self._profile(region, p["DomainId"], p["UserProfileName"]))

    def list_user_profiles(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            records = [
                settle(r)
                for r in self.stores.of(region, "profiles").values()
                if (not p.get("DomainIdEquals") or r["DomainId"] == p["DomainIdEquals"])
                and p.get("UserProfileNameContains", "") in r["UserProfileName"]
            ]
            answer = page(
                sort_items(
                    records, p, {"CreationTime": "CreationTime", "LastModifiedTime": "LastModifiedTime"}, "CreationTime"
                ),
                p,
                "UserProfiles",
            )
            answer["UserProfiles"] = [public(r, PROFILE_SUMMARY) for r in answer["UserProfiles"]]
        return answer

    def update_user_profile(self, region: str, p: dict) -> dict:
        record = self._profile(region, p["DomainId"], p["UserProfileName"])
        self._check_lcc_arns(region, p.get("UserSettings"))
        with self.stores.lock:
            record["UserSettings"] = deep_merge_members(record["UserSettings"], p.get("UserSettings"))
            record["LastModifiedTime"] = now()
        return {"UserProfileArn": record["UserProfileArn"]}

    def delete_user_profile(self, region: str, p: dict) -> dict:
        self._profile(region, p["DomainId"], p["UserProfileName"])
        owned = [
            s["SpaceName"]
            for s in self.stores.of(region, "spaces").values()
            if s["DomainId"] == p["DomainId"]
            and (s.get("OwnershipSettings") or {}).get("OwnerUserProfileName") == p["UserProfileName"]
        ]
        if owned:
            raise in_use(
                f"User profile {p['UserProfileName']} still owns spaces: {', '.join(sorted(owned))}. Delete them first."
            )
        with self.stores.lock:
            self.stores.of(region, "profiles").pop((p["DomainId"], p["UserProfileName"]), None)
        return {}

    # --- spaces ---------------------------------------------------------------------------------------
    def _space(self, region: str, domain_id: str, name: str) -> dict:
        record = self.stores.of(region, "spaces").get((domain_id, name))
        if record is None:
            raise not_found(f"Space {name} does not exist in domain {domain_id}.")
        return record

    def create_space(self, region: str, p: dict) -> dict:
        with self.stores.lock:  # check-then-insert must not interleave with another create
            return self._create_space(region, p)

    def _create_space(self, region: str, p: dict) -> dict:
        moto_bridge.domain(region, p["DomainId"])
        spaces = self.stores.of(region, "spaces")
        key = (p["DomainId"], p["SpaceName"])
        if key in spaces:
            raise in_use(f"Space {p['SpaceName']} already exists in domain {p['DomainId']}.")
        if bool(p.get("OwnershipSettings")) != bool(p.get("SpaceSharingSettings")):
            raise validation("OwnershipSettings and SpaceSharingSettings must be given together.")
        owner = (p.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
        if owner:
            self._profile(region, p["DomainId"], owner)
        arn = _arn(region, f"space/{p['DomainId']}/{p['SpaceName']}")
        created = now()
        spaces[key] = {
            "DomainId": p["DomainId"],
            "SpaceArn": arn,
            "SpaceName": p["SpaceName"],
            "HomeEfsFileSystemUid": str(300000 + len(spaces)),
            "Status": "InService",
            "CreationTime": created,
            "LastModifiedTime": created,
            "SpaceSettings": p.get("SpaceSettings") or {},
            "OwnershipSettings": p.get("OwnershipSettings"),
            "SpaceSharingSettings": p.get("SpaceSharingSettings"),
            "SpaceDisplayName": p.get("SpaceDisplayName"),
            "Url": f"https://{space_host(p['DomainId'], p['SpaceName'])}.studio.{region}.sagemaker.aws",
            "_tags": p.get("Tags") or [],
        }
        return {"SpaceArn": arn}

    def describe_space(self, region: str, p: dict) -> dict:
        return public(self._space(region, p["DomainId"], p["SpaceName"]))

    def list_spaces(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            records = [
                settle(r)
                for r in self.stores.of(region, "spaces").values()
                if (not p.get("DomainIdEquals") or r["DomainId"] == p["DomainIdEquals"])
                and p.get("SpaceNameContains", "") in r["SpaceName"]
            ]
            # sorted and paged first, so that a page costs its own size, not the whole list's
            answer = page(
                sort_items(
                    records, p, {"CreationTime": "CreationTime", "LastModifiedTime": "LastModifiedTime"}, "CreationTime"
                ),
                p,
                "Spaces",
            )
            answer["Spaces"] = [_space_summary(r) for r in answer["Spaces"]]
        return answer

    def update_space(self, region: str, p: dict) -> dict:
        record = self._space(region, p["DomainId"], p["SpaceName"])
        with self.stores.lock:
            if "SpaceSettings" in p:
                record["SpaceSettings"] = deep_merge_members(record["SpaceSettings"], p["SpaceSettings"])
            if "SpaceDisplayName" in p:
                record["SpaceDisplayName"] = p["SpaceDisplayName"]
            record["LastModifiedTime"] = now()
        return {"SpaceArn": record["SpaceArn"]}

    def delete_space(self, region: str, p: dict) -> dict:
        self._space(region, p["DomainId"], p["SpaceName"])
        running = [
            a
            for a in self.stores.of(region, "apps").values()
            if a["DomainId"] == p["DomainId"]
            and a.get("SpaceName") == p["SpaceName"]
            and settle(a)["Status"] in LIVE_APP_STATES
        ]
        if running:
            raise in_use(f"Space {p['SpaceName']} has running apps; delete them first.")
        with self.stores.lock:
            self.stores.of(region, "spaces").pop((p["DomainId"], p["SpaceName"]), None)
        return {}

    # --- apps ---------------------------------------------------------------------------------------------
    def _app_key(self, region: str, p: dict) -> tuple:
        profile, space = p.get("UserProfileName"), p.get("SpaceName")
        if bool(profile) == bool(space):
            raise validation("Exactly one of UserProfileName and SpaceName must be given.")
        if space and not profile:
            self._space(region, p["DomainId"], space)
        else:
            self._profile(region, p["DomainId"], profile)
        return (p["DomainId"], "space" if space else "profile", space or profile, p["AppType"], p["AppName"])

    def _app(self, region: str, p: dict) -> dict:
        key = self._app_key(region, p)
        record = self.stores.of(region, "apps").get(key)
        if record is None:
            raise not_found(f"App {p['AppType']}/{p['AppName']} does not exist in {key[1]} {key[2]}.")
        return record

    def create_app(self, region: str, p: dict) -> dict:
        moto_bridge.domain(region, p["DomainId"])
        if p["AppType"] in SPACE_APP_TYPES and not p.get("SpaceName"):
            raise validation(f"An app of type {p['AppType']} runs in a space: give SpaceName.")
        key = self._app_key(region, p)
        apps = self.stores.of(region, "apps")
        with self.stores.lock:
            existing = apps.get(key)
            if existing is not None and settle(existing)["Status"] in LIVE_APP_STATES:
                raise in_use(f"App {p['AppType']}/{p['AppName']} already exists and is {existing['Status']}.")
            if p.get("SpaceName"):
                space_type = self._space(region, p["DomainId"], p["SpaceName"])["SpaceSettings"].get("AppType")
                if space_type and space_type != p["AppType"]:
                    raise validation(
                        f"Space {p['SpaceName']} is a {space_type} space; it cannot run a {p['AppType']} app."
                    )
            spec = {
                "InstanceType": DEFAULT_INSTANCE.get(p["AppType"], "ml.t3.medium"),
                "SageMakerImageArn": DEFAULT_IMAGE_ARN.format(region=region),
                **(p.get("ResourceSpec") or {}),
            }
            arn = _arn(region, f"app/{p['DomainId']}/{key[2]}/{p['AppType'].lower()}/{p['AppName']}")
            created = now()
            record = {
                "AppArn": arn,
                "AppType": p["AppType"],
                "AppName": p["AppName"],
                "DomainId": p["DomainId"],
                "UserProfileName": p.get("UserProfileName"),
                "SpaceName": p.get("SpaceName"),
                "CreationTime": created,
                "LastHealthCheckTimestamp": created,
                "LastUserActivityTimestamp": created,
                "ResourceSpec": spec,
                "RecoveryMode": p.get("RecoveryMode"),
                "_tags": p.get("Tags") or [],
            }
            begin(record, "Status", "Pending", "InService", self.clock)
            apps[key] = record
        return {"AppArn": arn}

    def describe_app(self, region: str, p: dict) -> dict:
        record = public(self._app(region, p))
        # Health checks refresh both timestamps while the app runs (so activity is no idleness signal).
        if record["Status"] == "InService":
            record["LastHealthCheckTimestamp"] = record["LastUserActivityTimestamp"] = now()
        return record

    def list_apps(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            records = [
                r
                for r in self.stores.of(region, "apps").values()
                if (not p.get("DomainIdEquals") or r["DomainId"] == p["DomainIdEquals"])
                and (not p.get("UserProfileNameEquals") or r.get("UserProfileName") == p["UserProfileNameEquals"])
                and (not p.get("SpaceNameEquals") or r.get("SpaceName") == p["SpaceNameEquals"])
            ]
            # sorted and paged first, so that a page costs its own size, not the whole list's
            answer = page(sort_items(records, p, {"CreationTime": "CreationTime"}, "CreationTime"), p, "Apps")
            answer["Apps"] = [public(r, APP_SUMMARY) for r in answer["Apps"]]
        return answer

    def delete_app(self, region: str, p: dict) -> dict:
        record = self._app(region, p)
        with self.stores.lock:
            status = settle(record)["Status"]
            if status in ("Deleted", "Deleting"):
                raise (
                    not_found(f"App {p['AppName']} is already {status}.")
                    if status == "Deleted"
                    else in_use(f"App {p['AppName']} is already being deleted.")
                )
            begin(record, "Status", "Deleting", "Deleted", self.clock)
        return {}

    # --- pre-signed Studio URL ------------------------------------------------------------------------
    def create_presigned_domain_url(self, region: str, p: dict) -> dict:
        domain = moto_bridge.domain(region, p["DomainId"])
        if domain.auth_mode != "IAM":
            raise validation(
                "CreatePresignedDomainUrl is supported only for domains in IAM authentication mode; "
                f"domain {p['DomainId']} uses {domain.auth_mode}."
            )
        self._profile(region, p["DomainId"], p["UserProfileName"])
        if p.get("SpaceName"):
            self._space(region, p["DomainId"], p["SpaceName"])
        landing = p.get("LandingUri")
        if landing and landing.startswith("app:JupyterLab:") and not p.get("SpaceName"):
            raise validation("Provided app type JupyterLab is invalid for provided url type app for personal apps.")
        url = f"{moto_bridge.studio_url(region, p['DomainId'])}/auth?token={secrets.token_urlsafe(48)}"
        return {"AuthorizedUrl": url}

    # --- Studio lifecycle configurations ------------------------------------------------------------
    def _lcc(self, region: str, name: str) -> dict:
        record = self.stores.of(region, "lccs").get(name)
        if record is None:
            raise not_found(f"Studio lifecycle config {name} does not exist.")
        return record

    def create_lcc(self, region: str, p: dict) -> dict:
        with self.stores.lock:  # check-then-insert must not interleave with another create
            return self._create_lcc(region, p)

    def _create_lcc(self, region: str, p: dict) -> dict:
        lccs = self.stores.of(region, "lccs")
        name = p["StudioLifecycleConfigName"]
        if name in lccs:
            raise in_use(f"Studio lifecycle config {name} already exists.")
        try:
            base64.b64decode(p["StudioLifecycleConfigContent"], validate=True)
        except (binascii.Error, ValueError) as err:
            raise validation("StudioLifecycleConfigContent must be base64 encoded.") from err
        arn = _arn(region, f"studio-lifecycle-config/{name}")
        created = now()
        lccs[name] = {
            "StudioLifecycleConfigArn": arn,
            "StudioLifecycleConfigName": name,
            "CreationTime": created,
            "LastModifiedTime": created,
            "StudioLifecycleConfigContent": p["StudioLifecycleConfigContent"],
            "StudioLifecycleConfigAppType": p["StudioLifecycleConfigAppType"],
            "_tags": p.get("Tags") or [],
        }
        return {"StudioLifecycleConfigArn": arn}

    def describe_lcc(self, region: str, p: dict) -> dict:
        return public(self._lcc(region, p["StudioLifecycleConfigName"]))

    def list_lccs(self, region: str, p: dict) -> dict:
        with self.stores.lock:
            items = [
                public(r, LCC_SUMMARY)
                for r in self.stores.of(region, "lccs").values()
                if p.get("NameContains", "") in r["StudioLifecycleConfigName"]
                and (not p.get("AppTypeEquals") or r["StudioLifecycleConfigAppType"] == p["AppTypeEquals"])
            ]
        items = sort_items(
            items,
            p,
            {
                "CreationTime": "CreationTime",
                "LastModifiedTime": "LastModifiedTime",
                "Name": "StudioLifecycleConfigName",
            },
            "CreationTime",
        )
        return page(items, p, "StudioLifecycleConfigs")

    def delete_lcc(self, region: str, p: dict) -> dict:
        record = self._lcc(region, p["StudioLifecycleConfigName"])
        arn = record["StudioLifecycleConfigArn"]
        users = [
            d.id for d in moto_bridge.sagemaker_backend(region).domains.values() if arn in str(d.default_user_settings)
        ]
        users += [k[1] for k, r in self.stores.of(region, "profiles").items() if arn in str(r["UserSettings"])]
        if users:
            raise in_use(
                f"Studio lifecycle config {p['StudioLifecycleConfigName']} is still attached to: {', '.join(users)}."
            )
        self.stores.of(region, "lccs").pop(p["StudioLifecycleConfigName"], None)
        return {}

    # --- seeding: what the API cannot express (an app that started yesterday) -----------------------
    OVERRIDABLE = {
        "app": {"CreationTime", "Status", "LastUserActivityTimestamp", "LastHealthCheckTimestamp"},
        "space": {"Url", "Status", "CreationTime", "LastModifiedTime"},
        "user_profile": {"CreationTime", "Status"},
    }

    def override(self, region: str, kind: str, ident: dict, fields: dict) -> None:
        allowed = self.OVERRIDABLE[kind]
        unknown = set(fields) - allowed
        if unknown:
            raise AwsError(
                "ValidationException",
                f"{kind} fields {sorted(unknown)} cannot be overridden; allowed: {sorted(allowed)}.",
            )
        if kind == "app":
            record = self._app(region, ident)
        elif kind == "space":
            record = self._space(region, ident["DomainId"], ident["SpaceName"])
        else:
            record = self._profile(region, ident["DomainId"], ident["UserProfileName"])
        with self.stores.lock:
            settle(record)
            if "Status" in fields:
                record.pop("_next", None)
            record.update(fields)


def _space_summary(record: dict) -> dict:
    """A ListSpaces entry, shaped like AWS's SpaceDetails."""
    summary = public(record, SPACE_SUMMARY_KEYS)
    settings = record["SpaceSettings"]
    summary["SpaceSettingsSummary"] = {k: settings[k] for k in ("AppType", "RemoteAccess") if k in settings}
    if "SpaceStorageSettings" in settings:
        summary["SpaceSettingsSummary"]["SpaceStorageSettings"] = settings["SpaceStorageSettings"]
    if record.get("SpaceSharingSettings"):
        summary["SpaceSharingSettingsSummary"] = dict(record["SpaceSharingSettings"])
    if record.get("OwnershipSettings"):
        summary["OwnershipSettingsSummary"] = dict(record["OwnershipSettings"])
    return summary

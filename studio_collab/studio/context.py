"""Where am I (row D1): the Studio app's identity from its resource metadata and environment.

Studio writes ``/opt/ml/metadata/resource-metadata.json`` into every app (AWS calls it a public contract).
Missing, partial or malformed metadata never crashes the server: it yields ``in_studio: false`` with a
reason a person can read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_METADATA_PATH = "/opt/ml/metadata/resource-metadata.json"
METADATA_ENV = "STUDIO_COLLAB_RESOURCE_METADATA"


@dataclass(frozen=True)
class StudioContext:
    in_studio: bool
    reason: str | None = None
    domain_id: str | None = None
    space_name: str | None = None
    space_type: str | None = None  # "private" | "shared" | None
    app_type: str | None = None
    app_name: str | None = None
    app_arn: str | None = None
    region: str | None = None
    account_id: str | None = None
    execution_role: str | None = None
    user_profile: str | None = None  # present only in some metadata files; the space owner is authoritative

    def to_json(self) -> dict:
        return asdict(self)


def metadata_path(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get(METADATA_ENV) or DEFAULT_METADATA_PATH)


def read_studio_context(path: Path | None = None, env: Mapping[str, str] = os.environ) -> StudioContext:
    path = path or metadata_path(env)
    region_env = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return StudioContext(False, f"No Studio resource metadata at {path}.", region=region_env)
    except OSError as err:
        return StudioContext(False, f"Cannot read {path}: {err.strerror}.", region=region_env)
    try:
        meta = json.loads(raw)
    except ValueError:
        return StudioContext(False, f"{path} is not valid JSON; Studio features are off.", region=region_env)
    if not isinstance(meta, dict):
        return StudioContext(False, f"{path} does not hold a JSON object; Studio features are off.", region=region_env)

    arn = _text(meta.get("ResourceArn"))
    arn_parts = arn.split(":") if arn else []
    arn_region = arn_parts[3] if len(arn_parts) > 4 and arn_parts[0] == "arn" else None
    account = arn_parts[4] if len(arn_parts) > 4 and arn_parts[0] == "arn" else None
    domain_id = _text(meta.get("DomainId"))
    space_type = (env.get("SAGEMAKER_SPACE_TYPE_LOWERCASE") or "").strip().lower() or None
    if space_type not in (None, "private", "shared"):
        space_type = None

    missing = [k for k, v in (("DomainId", domain_id), ("ResourceArn", arn)) if not v]
    return StudioContext(
        in_studio=not missing,
        reason=f"{path} lacks {', '.join(missing)}; Studio features are off." if missing else None,
        domain_id=domain_id,
        space_name=_text(meta.get("SpaceName")),
        space_type=space_type,
        app_type=_text(meta.get("AppType")),
        app_name=_text(meta.get("ResourceName")),
        app_arn=arn,
        region=region_env or arn_region,
        account_id=account,
        execution_role=_text(meta.get("ExecutionRoleArn")),
        user_profile=_text(meta.get("UserProfileName")),
    )


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None

"""`studio-collab lcc`: a Studio JupyterLab lifecycle configuration (LCC) that installs and configures the extension.

Studio runs the script at every JupyterLab app start, limits it to 5 minutes and stores it base64-encoded in at
most 16,384 characters. The script is a fixed body (``lcc_body.sh``, kept as a file so it can be read and
``bash -n`` checked) under a few generated, shell-quoted settings. ``attach`` registers the script with Studio
and adds it to a domain's or user profile's JupyterLab settings through the product's one AWS seam.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .. import __version__
from ..errors import StudioCollabError

LCC_MAX_CONTENT = 16_384  # StudioLifecycleConfigContent, base64-encoded (botocore's model)
BODY = Path(__file__).with_name("lcc_body.sh")
# The three timeouts add up to well under Studio's 5-minute limit for the whole script.
PIP_TIMEOUT_SECONDS = 150
COPY_TIMEOUT_SECONDS = 45
RESTART_TIMEOUT_SECONDS = 45
_WHEEL_NAME = re.compile(r"^studio_collab-(?P<version>[^-]+)-.+\.whl$")
_LCC_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


@dataclass
class LccSpec:
    """What the script installs (from where) and which admin options it writes."""

    config: dict = field(default_factory=dict)  # StudioCollabApp options
    wheel: str | None = None  # s3://bucket/key.whl, s3://bucket/wheelhouse/, or a path inside the app
    index_url: str | None = None
    version: str | None = None

    @property
    def source(self) -> str:
        return self.wheel or "index"

    def package_version(self) -> str:
        if self.version:
            return self.version
        if self.wheel:
            match = _WHEEL_NAME.match(PurePosixPath(self.wheel).name)
            if match:
                return match.group("version")
        return __version__


def validate_config(options: dict) -> dict:
    """Check admin options against StudioCollabApp's traitlets, so a typo fails here and not in a space."""
    from traitlets import TraitError

    from ..app import StudioCollabApp

    traits = StudioCollabApp.class_own_traits(config=True)
    unknown = sorted(set(options) - set(traits))
    if unknown:
        raise StudioCollabError("lcc_unknown_option", f"Unknown StudioCollabApp option(s): {', '.join(unknown)}. "
                                "See the configuration reference in the README.")
    probe = StudioCollabApp()
    for name, value in options.items():
        try:
            traits[name].validate(probe, value)
        except TraitError as err:
            raise StudioCollabError("lcc_bad_option", f"StudioCollabApp.{name}: {err}") from err
    return options


def config_from_file(path: Path) -> dict:
    """Options from a JSON file: either ``{"StudioCollabApp": {...}}`` or the bare ``{...}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StudioCollabError("lcc_bad_config_file", f"Cannot read {path} as JSON: {err}") from err
    if not isinstance(data, dict):
        raise StudioCollabError("lcc_bad_config_file", f"{path} must hold a JSON object.")
    return dict(data.get("StudioCollabApp", data))


def render_script(spec: LccSpec) -> str:
    """The complete bash script; raises when it would not fit Studio's size limit."""
    wheel = spec.wheel
    if wheel and not wheel.startswith("s3://") and not wheel.startswith("/"):
        raise StudioCollabError("lcc_bad_wheel", "--wheel takes an s3:// URI or an absolute path inside the app "
                                "(e.g. an EFS custom file system).")
    config_json = json.dumps({"StudioCollabApp": validate_config(dict(spec.config))}, sort_keys=True,
                             separators=(",", ":"))
    settings = {
        "STUDIO_COLLAB_VERSION": spec.package_version(),
        "STUDIO_COLLAB_SOURCE": spec.source,
        "STUDIO_COLLAB_INDEX_URL": spec.index_url or "",
        "STUDIO_COLLAB_CONFIG": config_json,
        "PIP_TIMEOUT_SECONDS": str(PIP_TIMEOUT_SECONDS),
        "COPY_TIMEOUT_SECONDS": str(COPY_TIMEOUT_SECONDS),
        "RESTART_TIMEOUT_SECONDS": str(RESTART_TIMEOUT_SECONDS),
    }
    head = [
        "#!/bin/bash",
        f"# studio-collab lifecycle configuration for Studio JupyterLab apps (studio-collab lcc {__version__}).",
        "# Installs studio-collab, writes the admin's options to jupyter_studio_collab_config.json and restarts",
        "# Jupyter only when something changed: a second run changes nothing.",
        "set -euo pipefail",
        *(f"{name}={shlex.quote(value)}" for name, value in settings.items()),
    ]
    script = "\n".join(head) + "\n" + BODY.read_text(encoding="utf-8")
    size = len(encode(script))
    if size > LCC_MAX_CONTENT:
        raise StudioCollabError("lcc_too_large", f"The script is {size} characters base64-encoded; Studio takes at "
                                f"most {LCC_MAX_CONTENT}. Move large options (e.g. price_overrides) into the image.")
    return script


def encode(script: str) -> str:
    return base64.b64encode(script.encode("utf-8")).decode("ascii")


def default_name(script: str) -> str:
    """A name that changes with the content: Studio LCCs cannot be updated, so new content = new LCC."""
    digest = hashlib.sha256(script.encode("utf-8")).hexdigest()[:10]
    return f"studio-collab-{re.sub(r'[^a-zA-Z0-9]+', '-', __version__).strip('-')}-{digest}"


def attach(aws, script: str, domain_id: str, user_profile: str | None = None, name: str | None = None,
           make_default: bool = False) -> dict:
    """Create the LCC (or reuse one with this name and content) and add its ARN to the JupyterLab settings.

    ``aws`` is :class:`studio_collab.studio.aws.AwsClients`; calls run in this thread (the CLI has no loop).
    Existing ARNs and every other JupyterLab setting are kept.
    """
    name = name or default_name(script)
    if not _LCC_NAME.match(name):
        raise StudioCollabError("lcc_bad_name", f"{name!r} is not a valid lifecycle configuration name "
                                "(letters, digits and hyphens, at most 63).")
    content = encode(script)
    arn, created = _create_or_reuse(aws, name, content)
    if user_profile:
        described = aws.run_sync("sagemaker", "DescribeUserProfile", DomainId=domain_id, UserProfileName=user_profile)
        settings = dict((described.get("UserSettings") or {}).get("JupyterLabAppSettings") or {})
    else:
        described = aws.run_sync("sagemaker", "DescribeDomain", DomainId=domain_id)
        settings = dict((described.get("DefaultUserSettings") or {}).get("JupyterLabAppSettings") or {})
    arns = list(settings.get("LifecycleConfigArns") or [])
    changed = arn not in arns
    if changed:
        arns.append(arn)
    settings["LifecycleConfigArns"] = arns
    if make_default:
        spec = dict(settings.get("DefaultResourceSpec") or {})
        changed = changed or spec.get("LifecycleConfigArn") != arn
        spec["LifecycleConfigArn"] = arn
        settings["DefaultResourceSpec"] = spec
    if changed:
        if user_profile:
            aws.run_sync("sagemaker", "UpdateUserProfile", DomainId=domain_id, UserProfileName=user_profile,
                         UserSettings={"JupyterLabAppSettings": settings})
        else:
            aws.run_sync("sagemaker", "UpdateDomain", DomainId=domain_id,
                         DefaultUserSettings={"JupyterLabAppSettings": settings})
    return {"lifecycle_config_name": name, "lifecycle_config_arn": arn, "created": created,
            "target": f"user profile {user_profile}" if user_profile else f"domain {domain_id}",
            "lifecycle_config_arns": arns, "updated": changed, "default": make_default}


def _create_or_reuse(aws, name: str, content: str) -> tuple[str, bool]:
    try:
        answer = aws.run_sync("sagemaker", "CreateStudioLifecycleConfig", StudioLifecycleConfigName=name,
                              StudioLifecycleConfigContent=content, StudioLifecycleConfigAppType="JupyterLab")
        return answer["StudioLifecycleConfigArn"], True
    except StudioCollabError as err:
        # AWS answers ResourceInUse when the name exists; the seam keeps botocore's error as the cause.
        response = getattr(err.__cause__, "response", None) or {}
        if response.get("Error", {}).get("Code") != "ResourceInUse":
            raise
    existing = aws.run_sync("sagemaker", "DescribeStudioLifecycleConfig", StudioLifecycleConfigName=name)
    if existing.get("StudioLifecycleConfigContent") != content or \
            existing.get("StudioLifecycleConfigAppType") != "JupyterLab":
        raise StudioCollabError("lcc_name_taken", f"A lifecycle configuration named {name} already exists with other "
                                "content. Studio cannot update one in place: pass another --name.", 409)
    return existing["StudioLifecycleConfigArn"], False

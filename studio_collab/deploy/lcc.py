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
from urllib.parse import unquote, urlsplit

from .. import __version__
from ..errors import StudioCollabError

LCC_MAX_CONTENT = 16_384  # StudioLifecycleConfigContent, base64-encoded (botocore's model)
BODY = Path(__file__).with_name("lcc_body.sh")
# The three timeouts add up to well under Studio's 5-minute limit for the whole script.
PIP_TIMEOUT_SECONDS = 150
COPY_TIMEOUT_SECONDS = 45
RESTART_TIMEOUT_SECONDS = 45
_WHEEL_NAME = re.compile(r"^studio_collab-(?P<version>[0-9][0-9A-Za-z.+!]*)-py3-none-any\.whl$")
_S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>[A-Za-z0-9!_.*'()/+=@-]{1,1024})$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+!]{0,63}$")
_LCC_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# A CodeArtifact repository endpoint: its token is fetched at run time, never written into the script.
_CODEARTIFACT_HOST = re.compile(
    r"^(?P<domain>[a-z][a-z0-9-]{1,49})-(?P<owner>\d{12})\.d\.codeartifact\."
    r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$"
)
_URL_OPTIONS = ("mlflow_endpoint_url", "aws_endpoint_url")


@dataclass
class LccSpec:
    """What the script installs (from where, checked how) and which admin options it writes."""

    config: dict = field(default_factory=dict)  # StudioCollabApp options
    wheel: str | None = None  # s3://bucket/key/studio_collab-<version>-py3-none-any.whl
    wheel_sha256: str | None = None  # of that object, recorded by the generator, checked by the script
    index_url: str | None = None  # the admin's own mirror (CodeArtifact or internal)
    version: str | None = None

    def package_version(self) -> str:
        if self.wheel:
            return _WHEEL_NAME.match(PurePosixPath(self.wheel).name).group("version")
        return self.version or __version__


def refuse(option: str, problem: str) -> StudioCollabError:
    return StudioCollabError("lcc_bad_option", f"{option} {problem}")


def check_https_url(value: object, option: str) -> str:
    """The rules the server applies to every URL it is given: https, no credentials, no dot segments, no query."""
    if not isinstance(value, str) or not value.strip() or any(c.isspace() or ord(c) < 32 for c in value.strip()):
        raise refuse(option, "must be an https URL without spaces.")
    parts = urlsplit(value.strip())
    if parts.scheme.lower() != "https":
        raise refuse(option, f"uses {parts.scheme or 'no scheme'}: only https URLs are allowed.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise refuse(
            option,
            "embeds credentials in its URL; a CodeArtifact token is fetched at run time, other "
            "secrets belong in AWS Secrets Manager.",
        )
    if not parts.hostname:
        raise refuse(option, "has no host.")
    if parts.query or parts.fragment or value.strip().endswith(("?", "#")):
        raise refuse(option, "has a query or fragment (tokens sometimes hide there); remove it.")
    _refuse_dot_segments(parts.path, option)
    return value.strip()


def _refuse_dot_segments(path: str, option: str) -> None:
    if any(unquote(segment) in (".", "..") for segment in path.split("/")):
        raise refuse(option, "has '.' or '..' path segments.")


def validate_config(options: dict) -> dict:
    """Check admin options as the server checks them at load, so a refusal happens here and not in a space."""
    from traitlets import TraitError

    from ..app import StudioCollabApp
    from ..git.repo_spec import CatalogError, load_config_catalog, load_credential_prefixes

    traits = StudioCollabApp.class_own_traits(config=True)
    unknown = sorted(set(options) - set(traits))
    if unknown:
        raise StudioCollabError(
            "lcc_unknown_option",
            f"Unknown StudioCollabApp option(s): {', '.join(unknown)}. See the configuration reference in the README.",
        )
    probe = StudioCollabApp()
    for name, value in options.items():
        try:
            traits[name].validate(probe, value)
        except TraitError as err:
            raise StudioCollabError("lcc_bad_option", f"StudioCollabApp.{name}: {err}") from err
    allow_ssh = bool(options.get("allow_ssh_repositories"))
    try:
        specs = load_config_catalog(options.get("repositories") or [], allow_ssh)
        load_credential_prefixes(options.get("git_credentials") or {}, allow_ssh)
    except CatalogError as err:
        raise StudioCollabError("lcc_bad_option", f"StudioCollabApp.{err}") from err
    for index, spec in enumerate(specs):
        _refuse_dot_segments(urlsplit(spec.url).path, f"StudioCollabApp.repositories[{index}]")
    for prefix in options.get("git_credentials") or {}:
        _refuse_dot_segments(urlsplit(prefix).path, f"StudioCollabApp.git_credentials[{prefix}]")
    uri = options.get("mlflow_tracking_uri") or ""
    if uri and not uri.startswith("arn:"):
        check_https_url(uri, "StudioCollabApp.mlflow_tracking_uri")
    for name in _URL_OPTIONS:
        if options.get(name):
            check_https_url(options[name], f"StudioCollabApp.{name}")
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


def check_wheel_uri(uri: str) -> re.Match:
    match = _S3_URI.match(uri or "")
    if not match or not _WHEEL_NAME.match(PurePosixPath(match["key"]).name):
        raise refuse(
            "--wheel",
            "takes s3://bucket/path/studio_collab-<version>-py3-none-any.whl (`make wheel` "
            "writes it; upload it to a bucket the execution role may read).",
        )
    _refuse_dot_segments(match["key"], "--wheel")
    return match


def wheel_sha256(uri: str, local_file: Path | None = None, aws=None) -> str:
    """The sha256 the script will demand: of the admin's local copy, else of the object read from S3."""
    digest = hashlib.sha256()
    if local_file is not None:
        try:
            with open(local_file, "rb") as wheel:
                for chunk in iter(lambda: wheel.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError as err:
            raise refuse("--wheel-file", f"cannot be read: {err}") from err
        return digest.hexdigest()
    match = check_wheel_uri(uri)
    answer = aws.run_sync("s3", "GetObject", Bucket=match["bucket"], Key=match["key"])
    for chunk in answer["Body"].iter_chunks(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def codeartifact_of(index_url: str) -> dict | None:
    match = _CODEARTIFACT_HOST.match(urlsplit(index_url).hostname or "")
    return match.groupdict() if match else None


def render_script(spec: LccSpec) -> str:
    """The complete bash script; raises when a source is missing, an option unsafe or the script too large."""
    if not spec.wheel and not spec.index_url:
        raise StudioCollabError(
            "lcc_no_source",
            "Choose what the script installs: --wheel s3://…/studio_collab-"
            "<version>-py3-none-any.whl (its sha256 is recorded and checked) or --index-url of "
            "your own mirror. The public package index has no studio_collab.",
        )
    if spec.wheel:
        check_wheel_uri(spec.wheel)
        if not _SHA256.match(spec.wheel_sha256 or ""):
            raise refuse("--wheel-sha256", "must be the wheel's sha256 (64 hex digits).")
        if spec.version and spec.version != spec.package_version():
            raise refuse("--version", f"is {spec.version} but the wheel is {spec.package_version()}.")
    index_url = check_https_url(spec.index_url, "--index-url") if spec.index_url else ""
    if spec.version and not _VERSION.match(spec.version):
        raise refuse("--version", "is not a version number.")
    codeartifact = codeartifact_of(index_url) if index_url else None
    config_json = json.dumps(
        {"StudioCollabApp": validate_config(dict(spec.config))}, sort_keys=True, separators=(",", ":")
    )
    settings = {
        "STUDIO_COLLAB_VERSION": spec.package_version(),
        "STUDIO_COLLAB_WHEEL": spec.wheel or "",
        "STUDIO_COLLAB_WHEEL_SHA256": spec.wheel_sha256 or "" if spec.wheel else "",
        "STUDIO_COLLAB_INDEX_URL": index_url,
        "CODEARTIFACT_DOMAIN": codeartifact["domain"] if codeartifact else "",
        "CODEARTIFACT_OWNER": codeartifact["owner"] if codeartifact else "",
        "CODEARTIFACT_REGION": codeartifact["region"] if codeartifact else "",
        "STUDIO_COLLAB_CONFIG": config_json,
        "PIP_TIMEOUT_SECONDS": str(PIP_TIMEOUT_SECONDS),
        "COPY_TIMEOUT_SECONDS": str(COPY_TIMEOUT_SECONDS),
        "RESTART_TIMEOUT_SECONDS": str(RESTART_TIMEOUT_SECONDS),
    }
    head = [
        "#!/bin/bash",
        f"# studio-collab lifecycle configuration for Studio JupyterLab apps (studio-collab lcc {__version__}).",
        "# Installs exactly the admin's studio-collab (a wheel whose sha256 is checked, or the admin's mirror),",
        "# writes the admin's options and restarts Jupyter only when something changed: a second run changes nothing.",
        "set -euo pipefail",
        *(f"{name}={shlex.quote(value)}" for name, value in settings.items()),
    ]
    script = "\n".join(head) + "\n" + BODY.read_text(encoding="utf-8")
    size = len(encode(script))
    if size > LCC_MAX_CONTENT:
        raise StudioCollabError(
            "lcc_too_large",
            f"The script is {size} characters base64-encoded; Studio takes at "
            f"most {LCC_MAX_CONTENT}. Move large options (e.g. price_overrides) into the image.",
        )
    return script


def encode(script: str) -> str:
    return base64.b64encode(script.encode("utf-8")).decode("ascii")


def default_name(script: str) -> str:
    """A name that changes with the content: Studio LCCs cannot be updated, so new content = new LCC."""
    digest = hashlib.sha256(script.encode("utf-8")).hexdigest()[:10]
    return f"studio-collab-{re.sub(r'[^a-zA-Z0-9]+', '-', __version__).strip('-')}-{digest}"


def attach(
    aws,
    script: str,
    domain_id: str,
    user_profile: str | None = None,
    name: str | None = None,
    make_default: bool = False,
) -> dict:
    """Create the LCC (or reuse one with this name and content) and add its ARN to the JupyterLab settings.

    ``aws`` is :class:`studio_collab.studio.aws.AwsClients`; calls run in this thread (the CLI has no loop).
    Existing ARNs and every other JupyterLab setting are kept.
    """
    name = name or default_name(script)
    if not _LCC_NAME.match(name):
        raise StudioCollabError(
            "lcc_bad_name",
            f"{name!r} is not a valid lifecycle configuration name (letters, digits and hyphens, at most 63).",
        )
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
            aws.run_sync(
                "sagemaker",
                "UpdateUserProfile",
                DomainId=domain_id,
                UserProfileName=user_profile,
                UserSettings={"JupyterLabAppSettings": settings},
            )
        else:
            aws.run_sync(
                "sagemaker", "UpdateDomain", DomainId=domain_id, DefaultUserSettings={"JupyterLabAppSettings": settings}
            )
    return {
        "lifecycle_config_name": name,
        "lifecycle_config_arn": arn,
        "created": created,
        "target": f"user profile {user_profile}" if user_profile else f"domain {domain_id}",
        "lifecycle_config_arns": arns,
        "updated": changed,
        "default": make_default,
        # the execution role's policy for the same domain: DeleteApp is granted on this domain's apps only
        "iam_policy_command": f"studio-collab iam-policy --config-json <config.json> --domain {domain_id}",
    }


def _create_or_reuse(aws, name: str, content: str) -> tuple[str, bool]:
    try:
        answer = aws.run_sync(
            "sagemaker",
            "CreateStudioLifecycleConfig",
            StudioLifecycleConfigName=name,
            StudioLifecycleConfigContent=content,
            StudioLifecycleConfigAppType="JupyterLab",
        )
        return answer["StudioLifecycleConfigArn"], True
    except StudioCollabError as err:
        # AWS answers ResourceInUse when the name exists; the seam keeps botocore's error as the cause.
        response = getattr(err.__cause__, "response", None) or {}
        if response.get("Error", {}).get("Code") != "ResourceInUse":
            raise
    existing = aws.run_sync("sagemaker", "DescribeStudioLifecycleConfig", StudioLifecycleConfigName=name)
    if (
        existing.get("StudioLifecycleConfigContent") != content
        or existing.get("StudioLifecycleConfigAppType") != "JupyterLab"
    ):
        raise StudioCollabError(
            "lcc_name_taken",
            f"A lifecycle configuration named {name} already exists with other "
            "content. Studio cannot update one in place: pass another --name.",
            409,
        )
    return existing["StudioLifecycleConfigArn"], False

"""Arguments and entry points of `studio-collab lcc`, `iam-policy` and `doctor` (wired in studio_collab/cli.py)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..errors import StudioCollabError


def _admin_options(args: argparse.Namespace) -> dict:
    """Options from --config-json, then the shortcut flags on top."""
    from .lcc import config_from_file

    options = config_from_file(args.config_json) if args.config_json else {}
    if getattr(args, "repo", None):
        options["repositories"] = [*options.get("repositories", []), *({"url": url} for url in args.repo)]
    if args.share_s3_bucket and getattr(args, "share_folder", None):
        raise StudioCollabError("bad_arguments", "Choose one share store: --share-s3-bucket or --share-folder.")
    if args.share_s3_bucket:
        options.update(share_store="s3", share_s3_bucket=args.share_s3_bucket)
    if getattr(args, "share_s3_prefix", None):
        options["share_s3_prefix"] = args.share_s3_prefix
    if getattr(args, "share_folder", None):
        options.update(share_store="folder", share_folder=args.share_folder)
    if getattr(args, "mlflow_tracking_uri", None):
        options["mlflow_tracking_uri"] = args.mlflow_tracking_uri
    if getattr(args, "idle_shutdown_minutes", None) is not None:
        options["idle_shutdown_minutes"] = args.idle_shutdown_minutes
    return options


def add_lcc_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("what to install (one is required: the public index has no studio_collab)")
    source.add_argument(
        "--wheel",
        help="s3://bucket/path/studio_collab-X-py3-none-any.whl: the script copies it and "
        "installs it only if its sha256 is the one recorded now",
    )
    source.add_argument(
        "--wheel-file",
        type=Path,
        help="a local copy of that wheel, to compute its sha256 (default: read the object from S3)",
    )
    source.add_argument("--wheel-sha256", help="the wheel's sha256, if you already have it")
    source.add_argument(
        "--index-url",
        help="your own mirror (CodeArtifact: the token is fetched at run time; https, "
        "no credentials in the URL); with --wheel, where missing dependencies come from",
    )
    source.add_argument(
        "--version",
        dest="package_version",
        help="the studio_collab version to install from the mirror (default: this one's)",
    )
    config = parser.add_argument_group("admin options written into the app (StudioCollabApp traitlets)")
    config.add_argument("--config-json", type=Path, help='a JSON file: {"StudioCollabApp": {...}} or the bare {...}')
    config.add_argument("--repo", action="append", metavar="URL", help="a catalog repo (repeatable)")
    config.add_argument("--share-s3-bucket", help="keep shares in this S3 bucket")
    config.add_argument("--share-s3-prefix", help="key prefix in that bucket")
    config.add_argument("--share-folder", help="keep shares in this folder (an EFS mount every space has)")
    config.add_argument("--mlflow-tracking-uri", help="MLflow tracking URI or SageMaker tracking-server ARN")
    config.add_argument("--idle-shutdown-minutes", type=int, metavar="N", help="own idle shutdown after N minutes")
    out = parser.add_argument_group("output")
    out.add_argument("--base64", action="store_true", help="print the script base64-encoded (what the API takes)")
    out.add_argument("--attach", action="store_true", help="create the Studio lifecycle config and attach it")
    out.add_argument("--domain", help="domain id for --attach")
    out.add_argument("--user-profile", help="attach to this user profile instead of the domain default")
    out.add_argument("--name", help="lifecycle config name (default: studio-collab-<version>-<content hash>)")
    out.add_argument(
        "--make-default",
        action="store_true",
        help="also make it the default LCC of new JupyterLab apps (DefaultResourceSpec)",
    )
    out.add_argument("--region", help="AWS region for --attach (default: $AWS_REGION)")


def run_lcc(args: argparse.Namespace) -> int:
    from .lcc import LccSpec, attach, check_wheel_uri, encode, render_script, wheel_sha256

    sha256 = (args.wheel_sha256 or "").lower() or None
    if args.wheel and not sha256:
        check_wheel_uri(args.wheel)
        if args.wheel_file:
            sha256 = wheel_sha256(args.wheel, args.wheel_file)
        else:
            aws = _aws_clients(args.region)
            try:
                sha256 = wheel_sha256(args.wheel, aws=aws)
            finally:
                aws.close()
    script = render_script(
        LccSpec(
            config=_admin_options(args),
            wheel=args.wheel,
            wheel_sha256=sha256,
            index_url=args.index_url,
            version=args.package_version,
        )
    )
    if not args.attach:
        sys.stdout.write(encode(script) + "\n" if args.base64 else script)
        return 0
    if not args.domain:
        raise StudioCollabError("bad_arguments", "--attach needs --domain (and optionally --user-profile).")
    aws = _aws_clients(args.region)
    try:
        result = attach(aws, script, args.domain, args.user_profile, args.name, args.make_default)
    finally:
        aws.close()
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


def add_iam_arguments(parser: argparse.ArgumentParser) -> None:
    from .iam import FEATURE_ACTIONS

    parser.add_argument(
        "--features",
        nargs="+",
        choices=sorted(FEATURE_ACTIONS),
        metavar="FEATURE",
        help=f"features to allow (default: what the configuration uses); one of {', '.join(FEATURE_ACTIONS)}",
    )
    parser.add_argument("--config-json", type=Path, help="the admin configuration (as for `lcc`), to scope the policy")
    parser.add_argument("--share-s3-bucket", help="scope the S3 actions to this bucket")
    parser.add_argument("--share-s3-prefix", help="and this key prefix")
    parser.add_argument(
        "--secret",
        action="append",
        metavar="NAME_OR_ARN",
        help="also allow secretsmanager:GetSecretValue on this secret (repeatable)",
    )
    where = parser.add_argument_group("where the role acts")
    where.add_argument(
        "--domain",
        help="the Studio domain id (d-…): DeleteApp and the Describe* of spaces and "
        "profiles are granted in this domain only (required when apps may be stopped)",
    )
    where.add_argument("--region", help="the domain's region (default: $AWS_REGION, else any)")
    where.add_argument("--account", help="the 12-digit account id (default: any)")
    where.add_argument(
        "--notebook-instance",
        action="append",
        default=[],
        metavar="NAME",
        help="with cost_stop_kinds notebook_instance: the instances users may stop (repeatable)",
    )
    where.add_argument(
        "--stop-tag",
        metavar="KEY=VALUE",
        help="allow stopping notebook instances / tracking servers that carry this tag",
    )


def run_iam_policy(args: argparse.Namespace) -> int:
    from .iam import PolicyScope, policy, render

    options = _admin_options(args)
    if args.secret:
        options["repositories"] = [
            *options.get("repositories", []),
            *({"url": "", "credentials_secret": s} for s in args.secret),
        ]
    if args.account and not (args.account.isdigit() and len(args.account) == 12):
        raise StudioCollabError("bad_arguments", "--account takes the 12-digit account id.")
    region = args.region or options.get("aws_region") or os.environ.get("AWS_REGION") or "*"
    scope = PolicyScope(
        domain=args.domain,
        region=region,
        account=args.account or "*",
        notebook_instances=tuple(args.notebook_instance),
        stop_tag=args.stop_tag,
    )
    sys.stdout.write(render(policy(options, scope, args.features)))
    return 0


def add_doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="extra StudioCollabApp options (JSON) on top of the Jupyter config files",
    )
    parser.add_argument("--root-dir", type=Path, default=None, help="the Jupyter root (default: the current folder)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.epilog = (
        "Options the server gets on its command line can follow, as the server takes them: "
        "--StudioCollabApp.<option>=<value> (JSON for lists and dicts)."
    )


def run_doctor(args: argparse.Namespace) -> int:
    from .doctor import load_options, run

    root = (args.root_dir or Path.cwd()).resolve()
    report, code = run(load_options(args.config, getattr(args, "server_options", [])), root, as_json=args.json)
    sys.stdout.write(report)
    return code


def _aws_clients(region: str | None):
    from ..studio.aws import AwsClients, AwsSettings

    return AwsClients(
        AwsSettings(
            region=region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
            max_workers=2,
        )
    )


def _reporting_errors(run):
    """A StudioCollabError ends the command with its message (no traceback) and exit code 2."""

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except StudioCollabError as err:
            print(f"studio-collab {args.command}: {err.message} [{err.code}]", file=sys.stderr)
            return 2

    return wrapped


# name → (help, add_arguments, run): rows of studio_collab/cli.py's COMMANDS.
COMMANDS = {
    "lcc": (
        "print a Studio JupyterLab lifecycle configuration script (or --attach it)",
        add_lcc_arguments,
        _reporting_errors(run_lcc),
    ),
    "iam-policy": (
        "print a least-privilege IAM policy for the execution role",
        add_iam_arguments,
        _reporting_errors(run_iam_policy),
    ),
    "doctor": ("check that studio-collab can work here", add_doctor_arguments, _reporting_errors(run_doctor)),
}

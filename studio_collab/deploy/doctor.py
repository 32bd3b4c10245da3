"""`studio-collab doctor`: can studio-collab work here, and if not, what to do next.

It reads the admin's options the way the Jupyter server does, builds the same core the server builds
(``core.build_core``, no server started), asks every feature its own ``availability()`` (what the panel shows) and
probes the AWS permissions each feature needs with harmless read calls. Every probe's action is in
``iam.FEATURE_ACTIONS``, so a ✖ line can name the policy that fixes it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import __version__
from ..errors import StudioCollabError
from ..studio.executor import QUICK

OK, WARN, FAIL = "ok", "warn", "fail"
MARK = {OK: "✔", WARN: "!", FAIL: "✖"}
HTTP_TIMEOUT = 5.0
GIT_TIMEOUT = 15.0


@dataclass
class Finding:
    check: str
    status: str
    detail: str
    next_step: str | None = None


def load_options(extra_files: list[Path] = (), argv: list[str] = ()) -> dict:
    """StudioCollabApp options from the Jupyter config files the server reads (server config, then the
    extension's own ``jupyter_studio_collab_config``), then ``extra_files``, then ``argv``: the server's own
    ``--StudioCollabApp.<option>=<value>`` arguments, read as the server reads them."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Application, Config

    config = Config()
    for name in ("jupyter_studio_collab_config", "jupyter_server_config"):
        for loaded, _ in Application._load_config_files(name, path=jupyter_config_path()):
            config.merge(loaded)
    for path in extra_files:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        config.merge(Config(data if "StudioCollabApp" in data else {"StudioCollabApp": data}))
    if argv:
        from traitlets.config.loader import KVArgParseConfigLoader

        config.merge(Config({"StudioCollabApp": KVArgParseConfigLoader(list(argv)).load_config().StudioCollabApp}))
    return dict(config.get("StudioCollabApp", {}))


class Doctor:
    def __init__(self, options: dict, root_dir: Path):
        from traitlets.config import Config

        from ..app import StudioCollabApp
        from ..core import build_core

        # The extension app only as the config loader: it screens and checks the options as the server does.
        loader = StudioCollabApp(config=Config({"StudioCollabApp": options}))
        self.core = build_core(loader, root_dir)
        self.settings = self.core.settings
        self.context = self.core.context
        self.aws = self.core.aws
        self.findings: list[Finding] = []

    def add(self, check: str, status: str, detail: str, next_step: str | None = None) -> None:
        self.findings.append(Finding(check, status, detail, next_step))

    async def run(self) -> list[Finding]:
        try:
            self.check_config()
            self.check_server_extension()
            self.check_labextension()
            self.check_metadata()
            region_ok = self.check_region()
            aws_ok = region_ok and await self.check_credentials()
            await self.check_feature("core", None, aws_ok)
            for name, service in self.core.features().items():
                await self.check_feature(name, service, aws_ok)
        finally:
            self.aws.close()
        return self.findings

    # --- options (studio_collab/config.py) ------------------------------------------------------------
    def check_config(self) -> None:
        problems = self.core.config_problems
        if not problems:
            self.add("config", OK, "every StudioCollabApp option accepted")
            return
        self.add(
            "config",
            FAIL,
            " · ".join(p.text for p in problems),
            "Fix each named option where it is set (a Jupyter config file or the server's command line); "
            "its feature stays off until then.",
        )

    # --- installation ------------------------------------------------------------------------------
    def check_server_extension(self) -> None:
        from jupyter_core.paths import jupyter_config_path
        from jupyter_server.extension.config import ExtensionConfigManager

        enabled = ExtensionConfigManager(read_config_path=jupyter_config_path()).get_jpserver_extensions()
        if enabled.get("studio_collab"):
            self.add("server extension", OK, f"studio_collab {__version__} enabled")
        else:
            self.add(
                "server extension",
                FAIL,
                f"studio_collab {__version__} is installed but not enabled",
                "Run `jupyter server extension enable --sys-prefix studio_collab`, then restart-jupyter-server.",
            )

    def check_labextension(self) -> None:
        from jupyter_core.paths import jupyter_path

        for base in jupyter_path("labextensions"):
            package = Path(base) / "studio-collab" / "package.json"
            if package.is_file():
                metadata = json.loads(package.read_text(encoding="utf-8"))
                version = metadata.get("version")
                if version == __version__:
                    self.add("labextension", OK, f"studio-collab {version} in {package.parent}")
                    self.check_jupyterlab(metadata)
                else:
                    self.add(
                        "labextension",
                        FAIL,
                        f"studio-collab {version} in {package.parent}, but the server extension is {__version__}",
                        "Reinstall one wheel so both halves match.",
                    )
                return
        self.add(
            "labextension",
            FAIL,
            "the prebuilt labextension studio-collab is not installed",
            "Reinstall the wheel (pip install studio_collab-*.whl): it carries the labextension, no node needed.",
        )

    def check_jupyterlab(self, labextension: dict) -> None:
        """The JupyterLab the panel was built for beside the one running: the panel asks the page for shared
        packages of at least the built-for version (a newer build would log "Unsatisfied version" and may call
        APIs the running JupyterLab lacks)."""
        from importlib.metadata import PackageNotFoundError, version

        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion, Version

        build = (labextension.get("studioCollab") or {}).get("jupyterlab") or {}
        built_for, supported = build.get("builtFor", "?"), build.get("supported", "")
        try:
            running = version("jupyterlab")
        except PackageNotFoundError:
            self.add(
                "jupyterlab",
                FAIL,
                f"panel built for JupyterLab {built_for}; JupyterLab is not installed here",
                "Install JupyterLab 4 (SageMaker Distribution has it).",
            )
            return
        detail = f"panel built for JupyterLab {built_for} (supports {supported or '?'}), running {running}"
        try:
            fits = Version(running) in SpecifierSet(",".join(supported.split()))
        except (InvalidSpecifier, InvalidVersion):
            fits = None
        if fits is False:
            self.add(
                "jupyterlab",
                WARN,
                detail,
                "Use a studio-collab wheel built for this JupyterLab, or an image "
                "whose JupyterLab is in the supported range.",
            )
        else:
            self.add("jupyterlab", OK, detail)

    # --- where and who -----------------------------------------------------------------------------
    def check_metadata(self) -> None:
        c = self.context
        if c.in_studio:
            self.add(
                "metadata",
                OK,
                f"Studio domain {c.domain_id}, space {c.space_name or '?'} "
                f"({c.app_type or 'app'} {c.app_name or ''})".rstrip(),
            )
        else:
            self.add(
                "metadata",
                WARN,
                c.reason or "not in SageMaker Studio",
                "Outside Studio only the parts that need no domain can work; in Studio the file is "
                "/opt/ml/metadata/resource-metadata.json.",
            )

    def check_region(self) -> bool:
        region = self.aws.settings.region
        if region:
            self.add("region", OK, region)
            return True
        self.add("region", FAIL, "no AWS region", "Set AWS_REGION or StudioCollabApp.aws_region.")
        return False

    async def check_credentials(self) -> bool:
        try:
            identity = await self.aws.call("sts", "GetCallerIdentity")
        except StudioCollabError as err:
            self.add(
                "credentials",
                FAIL,
                err.message,
                "In Studio the execution role provides them; elsewhere "
                "configure AWS credentials (aws configure, AWS_PROFILE or environment variables).",
            )
            return False
        endpoint = f" via {self.aws.settings.endpoint_url}" if self.aws.settings.endpoint_url else ""
        self.add("credentials", OK, f"{identity.get('Arn', 'unknown identity')}{endpoint}")
        return True

    # --- features ----------------------------------------------------------------------------------
    async def check_feature(self, name: str, service, aws_ok: bool) -> None:
        from ..config import RefusedFeature

        if isinstance(service, RefusedFeature):  # off until its options are fixed: nothing of it to probe
            self.add(
                name,
                FAIL,
                "off: " + "; ".join(p.text for p in service.problems),
                "Fix the options named in the config line above.",
            )
            return
        status, notes, step = OK, [], None
        if service is not None:
            availability = await service.availability()
            if not availability.get("available"):
                status, step = FAIL, availability.get("reason") or "The feature says it is unavailable."
                notes.append("unavailable")
            else:
                notes.append("available")
        if aws_ok:
            for feature, service_name, operation, params in self.probes(name):
                try:
                    await self.aws.call(service_name, operation, **params)
                    notes.append(f"{service_name}:{operation} allowed")
                except StudioCollabError as err:
                    status = FAIL
                    notes.append(f"{service_name}:{operation} failed")
                    step = step or self.fix_for(err, feature)
        extra = await self.reachability(name)
        for level, note, fix in extra:
            notes.append(note)
            if level == FAIL or (level == WARN and status == OK):
                status = level
            step = step or fix
        self.add(
            name, status, "; ".join(notes) or "no Studio domain here, nothing to check", step if status != OK else None
        )

    def fix_for(self, err: StudioCollabError, feature: str) -> str:
        if err.code == "aws_access_denied":
            role = self.context.execution_role or "the identity above"
            # the policy is scoped to this domain (DeleteApp, the spaces and profiles read)
            domain = f" --domain {self.context.domain_id}" if self.context.domain_id else ""
            return (
                f"{err.message.split('. ')[0]}: grant it to {role} "
                f"(`studio-collab iam-policy --features {feature}{domain}` prints the policy)."
            )
        return err.message

    def probes(self, name: str) -> list[tuple[str, str, str, dict]]:
        """Harmless read calls that need the same permissions as the feature: (table key, service, op, params)."""
        c, git, share, cost = self.context, self.settings.git, self.settings.share, self.settings.cost
        in_domain = c.in_studio and bool(c.domain_id)
        probes: list[tuple[str, str, str, dict]] = []
        if name == "core" and in_domain:
            probes.append(("core", "sagemaker", "DescribeDomain", {"DomainId": c.domain_id}))
            if c.space_name:
                probes.append(
                    ("core", "sagemaker", "DescribeSpace", {"DomainId": c.domain_id, "SpaceName": c.space_name})
                )
        elif name == "git":
            for repo in git.repositories:
                if isinstance(repo, dict) and repo.get("credentials_secret"):
                    # The value is fetched and dropped at once: only the permission is of interest.
                    probes.append(("git", "secretsmanager", "GetSecretValue", {"SecretId": repo["credentials_secret"]}))
        elif name == "share":
            if in_domain:
                probes.append(("share", "sagemaker", "ListSpaces", {"DomainIdEquals": c.domain_id, "MaxResults": 1}))
            if share.store == "s3" and share.s3_bucket:
                probes.append(("share_s3", "s3", "HeadBucket", {"Bucket": share.s3_bucket}))
        elif name == "experiments":
            probes.append(("experiments", "sagemaker", "ListTrainingJobs", {"MaxResults": 1}))
            probes.append(("experiments", "sagemaker", "ListMlflowTrackingServers", {"MaxResults": 1}))
        elif name == "cost":
            if in_domain:
                probes.append(("cost", "sagemaker", "ListApps", {"DomainIdEquals": c.domain_id, "MaxResults": 1}))
            probes.append(("cost", "sagemaker", "ListNotebookInstances", {"MaxResults": 1}))
            probes.append(("cost", "sagemaker", "Search", {"Resource": "Endpoint", "MaxResults": 1}))
            if cost.price_refresh:
                probes.append(
                    ("price_refresh", "pricing", "GetProducts", {"ServiceCode": "AmazonSageMaker", "MaxResults": 1})
                )
        return probes

    async def reachability(self, name: str) -> list[tuple[str, str, str | None]]:
        """Non-AWS endpoints a feature depends on: git remotes, the MLflow server."""
        if name == "git":
            return await self._git_remotes()
        if name == "experiments":
            return await self._mlflow_health()
        return []

    async def _git_remotes(self) -> list[tuple[str, str, str | None]]:
        if shutil.which("git") is None:
            return [(FAIL, "git is not installed", "Install git in the image (SageMaker Distribution has it).")]
        results = []
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        if self.settings.git.ca_bundle:
            env["GIT_SSL_CAINFO"] = self.settings.git.ca_bundle
        # Repos with a token are covered by the secret probe; ls-remote without it would only be refused.
        public = [
            r["url"]
            for r in self.settings.git.repositories
            if isinstance(r, dict) and r.get("url") and not r.get("credentials_secret")
        ][:10]
        for url in public:
            process = await asyncio.create_subprocess_exec(
                "git",
                "ls-remote",
                "--exit-code",
                "--",
                url,
                "HEAD",
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                code = await asyncio.wait_for(process.wait(), GIT_TIMEOUT)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
                code = None
            if code == 0:
                results.append((OK, f"{url} reachable", None))
            else:
                results.append(
                    (
                        WARN,
                        f"{url} not reachable" + (" in time" if code is None else ""),
                        "Check the URL, the network (VPC-only domains need a route to the git host) and "
                        "the CA bundle (StudioCollabApp.git_ca_bundle).",
                    )
                )
        return results

    async def _mlflow_health(self) -> list[tuple[str, str, str | None]]:
        experiments = self.settings.experiments
        uri = experiments.mlflow_tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", "")
        base = uri if uri.startswith(("http://", "https://")) else ""
        if uri.startswith("arn:"):
            base = experiments.mlflow_endpoint_url or os.environ.get("SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT", "")
        if not base:
            return []
        url = base.rstrip("/") + "/health"
        try:
            status = await self.aws.executor.run(QUICK, _http_status, url)
        except OSError as err:
            return [
                (
                    FAIL,
                    f"MLflow at {base} not reachable ({getattr(err, 'reason', err)})",
                    "Check StudioCollabApp.mlflow_tracking_uri and that the server runs.",
                )
            ]
        if status == 200:
            return [(OK, f"MLflow {base} healthy", None)]
        return [(FAIL, f"MLflow {url} answered HTTP {status}", "Check the MLflow server's logs.")]


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - admin's own URL
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def render(findings: list[Finding]) -> str:
    width = max(len(f.check) for f in findings) + 2
    lines = [f"studio-collab doctor {__version__}"]
    for f in findings:
        lines.append(f"{MARK[f.status]} {f.check.ljust(width)}{f.detail}")
        if f.next_step:
            lines.append(f"  {' ' * width}→ {f.next_step}")
    failed = [f.check for f in findings if f.status == FAIL]
    if failed:
        lines.append(f"{len(failed)} problem(s): {', '.join(failed)} cannot work here.")
    else:
        lines.append("Everything studio-collab needs works here.")
    return "\n".join(lines) + "\n"


def run(options: dict, root_dir: Path, as_json: bool = False) -> tuple[str, int]:
    findings = asyncio.run(Doctor(options, root_dir).run())
    code = 1 if any(f.status == FAIL for f in findings) else 0
    if as_json:
        return json.dumps({"ok": code == 0, "findings": [asdict(f) for f in findings]}, indent=2) + "\n", code
    return render(findings), code

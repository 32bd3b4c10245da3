"""The studio-collab server extension: every option a traitlet, the core (studio_collab/core.py) built once, routes
registered.

Admins configure it like any Jupyter server option, e.g. in ``jupyter_server_config.json`` or the extension's own
``jupyter_studio_collab_config.json`` (``jupyter_server_config.d/`` only enables extensions)::

    {"StudioCollabApp": {"repositories": [{"url": "https://git.example.com/team/models.git"}]}}
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Bool, Dict, Enum, Float, Int, List, Unicode, default

from .config import CORE, OptionProblem, RefusedFeature, check_values, screen_section
from .core import BASE_PACKAGES, FEATURES, Core, build_core, present_features
from .handler import NotFoundHandler, RefusedFeatureHandler
from .studio.context import metadata_path

__all__ = ["FEATURES", "StudioCollabApp"]


class StudioCollabApp(ExtensionApp):
    name = "studio_collab"
    core: Core  # set in initialize_settings
    description = "Git catalog, share links, experiments and cost for JupyterLab in SageMaker Studio"

    # --- Studio context and the AWS seam -------------------------------------------------------
    resource_metadata_path = Unicode(
        help="Studio's resource metadata file. Default: $STUDIO_COLLAB_RESOURCE_METADATA, else "
        "/opt/ml/metadata/resource-metadata.json."
    ).tag(config=True)
    aws_region = Unicode(help="AWS region. Default: $AWS_REGION, else the region of the app's ResourceArn.").tag(
        config=True
    )
    aws_endpoint_url = Unicode(
        help="Endpoint for every AWS client (e.g. a VPC endpoint or the local Studio world). "
        "Default: $AWS_ENDPOINT_URL, else AWS's own endpoints."
    ).tag(config=True)
    aws_retry_mode = Enum(
        ["standard", "adaptive", "legacy"], default_value="standard", help="botocore retry mode for every AWS call."
    ).tag(config=True)
    aws_max_attempts = Int(3, help="Attempts per AWS call, the first included.").tag(config=True)
    aws_connect_timeout = Float(3.0, help="Seconds to connect to an AWS endpoint.").tag(config=True)
    aws_read_timeout = Float(10.0, help="Seconds to wait for an AWS answer.").tag(config=True)
    aws_max_workers = Int(16, help="Worker threads for AWS calls: the most concurrent AWS requests.").tag(config=True)
    cache_ttl_seconds = Float(60.0, help="How long Studio descriptions (domain, space, profile) are cached.").tag(
        config=True
    )

    # --- Panel -------------------------------------------------------------------------------------
    environment_label = Unicode(
        "", help="A label shown in the panel header, e.g. 'local demo world' or 'prod domain'."
    ).tag(config=True)
    max_body_bytes = Int(1 << 20, help="Largest JSON request body accepted, in bytes.").tag(config=True)

    # --- Git (rows G1-G8) --------------------------------------------------------------------------
    repositories = List(
        Dict(),
        help="The admin's repo catalog: each {url, name?, branch?, target?, depth?, description?, "
        "credentials_secret?}. https URLs only; credentials come from Secrets Manager, never the URL.",
    ).tag(config=True)
    allow_ssh_repositories = Bool(False, help="Accept ssh:// repo URLs in the catalog (plain http never).").tag(
        config=True
    )
    git_timeout_seconds = Float(600.0, help="A git clone, fetch or sync is killed after this long.").tag(config=True)
    git_fetch_interval_seconds = Float(
        300.0, help="Least time between background fetches of a repo for 'updates available'."
    ).tag(config=True)
    git_ca_bundle = Unicode(
        help="CA bundle git trusts for https remotes (sets GIT_SSL_CAINFO for studio-collab's git). "
        "Default: $GIT_SSL_CAINFO, else the system's."
    ).tag(config=True)
    auto_clone = Bool(False, help="After server start, clone missing catalog repos in the background.").tag(config=True)
    git_credentials = Dict(
        help="Secrets Manager secrets for repos of any source (Studio's CodeRepositories carry none): "
        '{url_prefix: secret_name_or_arn}, e.g. {"https://git.example.com/team/": "git/team-token"}; '
        "the longest matching prefix wins; an entry's own credentials_secret wins over all."
    ).tag(config=True)

    # --- Share (rows S1-S6) ------------------------------------------------------------------------
    share_store = Enum(
        ["folder", "s3"],
        default_value="folder",
        help="Where shares are kept: a folder every space mounts (EFS) or an S3 bucket.",
    ).tag(config=True)
    share_folder = Unicode(
        help="The shared folder for the 'folder' store (an EFS custom file system in Studio). "
        "Default: ~/.local/share/studio-collab/shares."
    ).tag(config=True)
    share_s3_bucket = Unicode(help="Bucket for the 's3' store.").tag(config=True)
    share_s3_prefix = Unicode("studio-collab/shares/", help="Key prefix for the 's3' store.").tag(config=True)
    share_max_bytes = Int(100 << 20, help="Largest file that can be shared, in bytes.").tag(config=True)
    share_default_expiry_days = Int(7, help="Expiry of a share when none is asked for.").tag(config=True)

    # --- Experiments (rows E1-E5) ------------------------------------------------------------------
    mlflow_tracking_uri = Unicode(
        help="MLflow tracking URI (http(s) URL or a SageMaker tracking-server ARN). Default: "
        "$MLFLOW_TRACKING_URI, else the domain's active SageMaker tracking server."
    ).tag(config=True)
    mlflow_endpoint_url = Unicode(
        help="Endpoint override for a SageMaker tracking server's REST API "
        "(default: $SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT, else the regional endpoint)."
    ).tag(config=True)
    mlflow_timeout_seconds = Float(10.0, help="Timeout of each MLflow request.").tag(config=True)
    experiments_cache_ttl_seconds = Float(15.0, help="How long experiment and run lists are cached.").tag(config=True)
    log_notebook_copies = Bool(
        False,
        help="Runs started from a notebook also log a copy of it (artifact studio_collab/<name>.ipynb), "
        "besides the commit and uncommitted changes every run in a git clone records. Kernels started "
        "by this server inherit the choice (STUDIO_COLLAB_LOG_NOTEBOOK).",
    ).tag(config=True)

    # --- Cost and idleness (rows C1-C7, D2) --------------------------------------------------------
    cost_cache_ttl_seconds = Float(30.0, help="How long one inventory of running resources is served.").tag(config=True)
    cost_describe_concurrency = Int(8, help="Concurrent Describe* calls while building the inventory.").tag(config=True)
    price_overrides = Dict(
        help="Admin prices in USD/hour: {region: {component: {instance_type: price}}}; "
        "components: studio_jupyterlab, studio_codeeditor, notebook_instance, training, hosting, ..."
    ).tag(config=True)
    price_refresh = Bool(False, help="Refresh prices from the AWS Price List API (pricing:GetProducts).").tag(
        config=True
    )
    price_cache_path = Unicode(
        help="Where refreshed prices are cached on disk. Default: ~/.cache/studio-collab/prices.json"
    ).tag(config=True)
    idle_shutdown_minutes = Float(
        0,
        help="Own idle shutdown: stop this app (DeleteApp) after this many idle minutes; 0 = off. "
        "Only in Studio; meant for domains without AWS's idle shutdown.",
    ).tag(config=True)
    idle_warning_minutes = Float(10, help="Warn this many minutes before the own idle shutdown.").tag(config=True)
    cost_explorer_enabled = Bool(
        False,
        help="Show billed spend of the last 30 days from Cost Explorer, and take "
        "budgets' month-to-date from it (by Studio's space and user-profile tags) instead of "
        "estimating it.",
    ).tag(config=True)
    cost_stop_kinds = List(
        Enum(["app", "notebook_instance", "mlflow_tracking_server", "mlflow_app"]),
        default_value=["app"],
        help="What users may stop from the cost table: 'app' (Studio apps in a space they own or the shared space "
        "they work in), 'notebook_instance' (only one tagged sagemaker:user-profile-arn with their profile), "
        "'mlflow_tracking_server' and 'mlflow_app' (account-wide; not one another user profile created). "
        "Default: Studio apps only.",
    ).tag(config=True)
    cost_budget_user_profiles = Dict(
        help="Monthly budget in USD per user profile, for what they own ('Mine'): {profile: amount}; '*' is every "
        "other profile's. The panel notifies at 80 % and 100 %."
    ).tag(config=True)
    cost_budget_domain = Float(0, help="Monthly budget in USD of the whole domain; 0 = none.").tag(config=True)
    cost_shared_inventory = Bool(
        True,
        help="Share one domain inventory between every space through the share store (share_store: the S3 "
        "bucket or the shared folder): one AWS refresh per TTL for the whole domain.",
    ).tag(config=True)
    cost_aws_rates = Dict(
        help="Pace of the inventory's AWS calls, under the account's rate limits: {operation pattern: [requests "
        'per second, burst]}, e.g. {"List*": [8, 16]}; unlisted patterns keep the defaults '
        "(docs/aws-rates.md)."
    ).tag(config=True)

    @default("resource_metadata_path")
    def _default_metadata_path(self) -> str:
        return str(metadata_path())

    @default("aws_region")
    def _default_region(self) -> str:
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""

    @default("aws_endpoint_url")
    def _default_endpoint(self) -> str:
        return os.environ.get("AWS_ENDPOINT_URL", "")

    # --- options checked at load (studio_collab/config.py) ---------------------------------------------
    def _load_config(self, cfg, section_names=None, traits=None) -> None:
        # Each of our options is screened on its own first: a refused one is named and left out, instead of
        # raising half-way through the others and leaving the extension half-configured.
        problems = self.__dict__.setdefault("_option_problems", {})
        screened = screen_section(self, cfg, traits if traits is not None else self.traits(config=True), problems)
        super()._load_config(screened, section_names, traits)

    def option_problems(self) -> list[OptionProblem]:
        """Every refused option: those screened out while loading, then the rules on the loaded values."""
        loaded = dict(self.__dict__.get("_option_problems", {}))
        return [*loaded.values(), *(p for p in check_values(self) if p.option not in loaded)]

    def initialize_settings(self) -> None:
        self._route_module_logs()
        self.core = build_core(self, Path(self.serverapp.root_dir).resolve(), self.serverapp)
        self.core.executor.start_workers()  # before the loop runs: a thread started from the loop stalls it
        for problem in self.core.config_problems:
            self.log.error(
                "studio-collab: %s; %s",
                problem.text,
                "every feature is off" if problem.feature == CORE else f"the {problem.feature} feature is off",
            )
        context = self.core.context
        self.settings["studio_collab_max_body_bytes"] = self.core.settings.core.max_body_bytes
        self.settings["studio_collab_studio"] = self.core.studio  # who is acting: handler.viewer()
        # Flags the frontend needs travel in the page config (read with PageConfig.getOption).
        page_config = self.serverapp.web_app.settings.setdefault("page_config_data", {})
        page_config["studioCollabEnvironmentLabel"] = self.core.settings.core.environment_label
        # Background work (auto-clone, idle watch) starts once the loop runs, never delaying readiness.
        for service in self.core.services():
            start = getattr(service, "start", None)
            if start is not None:
                IOLoop.current().add_callback(start)
        self.log.info(
            "studio-collab: %s",
            "in Studio domain %s, space %s" % (context.domain_id, context.space_name)
            if context.in_studio
            else context.reason,
        )

    _routed_log_handlers: list = []

    def _route_module_logs(self) -> None:
        """Feature modules log through ``logging.getLogger(__name__)`` (``studio_collab.…``), which nothing
        prints below WARNING: give that tree the server log's handlers and level, so INFO lines such as
        "alice stopped app …" reach the server log."""
        import logging

        package_log = logging.getLogger("studio_collab")
        for handler in StudioCollabApp._routed_log_handlers:  # a previous server of this process (tests)
            package_log.removeHandler(handler)
        StudioCollabApp._routed_log_handlers = list(getattr(self.log, "handlers", []))
        for handler in StudioCollabApp._routed_log_handlers:
            package_log.addHandler(handler)
        package_log.setLevel(self.log.getEffectiveLevel())

    def initialize_handlers(self) -> None:
        """Each package's routes, handed exactly the parts of the core they need; a refused feature keeps its
        paths, each answering why it is off."""
        for package in (*BASE_PACKAGES, *present_features()):
            routes = importlib.import_module(f"studio_collab.{package}.routes").route_handlers(self.core)
            service = getattr(self.core, package, None)
            if isinstance(service, RefusedFeature):
                routes = [
                    (
                        pattern,
                        RefusedFeatureHandler,
                        {"feature": package, "reason": service.reason, "resource": handler.auth_resource},
                    )
                    for pattern, handler, _ in routes
                ]
            for pattern, handler, kwargs in routes:
                self.handlers.append((f"studio-collab/{pattern}", handler, kwargs))
        self.handlers.append((r"studio-collab/.*", NotFoundHandler, {}))

    @staticmethod
    def present_features() -> tuple[str, ...]:
        return present_features()

    async def stop_extension(self) -> None:
        await self.core.jobs.shutdown()
        for service in self.core.services():
            stop = getattr(service, "stop", None)
            if stop is not None:
                await stop()
        self.core.aws.close()
        self.core.executor.close()

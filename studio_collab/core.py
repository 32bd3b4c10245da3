"""The one wiring object: every shared piece and every feature's service, built once from the options.

:func:`settings_from` is the one place that reads StudioCollabApp's traitlets; each feature gets its own small
typed config from it. :func:`build_core` builds the :class:`Core` from those: the server does it once in
``initialize_settings`` and hands each route exactly what it needs (``routes.route_handlers(core)``), and
``studio-collab doctor`` builds the same core without a server.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import CORE, OptionProblem, RefusedFeature
from .jobs import JobRegistry
from .studio.aws import AwsClients, AwsSettings
from .studio.cache import TtlCache
from .studio.context import StudioContext, read_studio_context
from .studio.executor import Executor
from .studio.service import StudioService

if TYPE_CHECKING:
    from .cost.service import CostService
    from .domain.service import DomainPosture
    from .experiments.service import ExperimentsService
    from .git.service import GitService
    from .share.service import ShareService

log = logging.getLogger(__name__)

# The optional features, each `studio_collab/<name>/` with `build_service(core)` and `routes.route_handlers(core)`,
# built in this order (experiments restores through git). GET status reports each one's availability: the list
# the panel reads.
FEATURES = ("git", "share", "experiments", "cost")
# Packages every build serves besides the features: where am I (status, openapi), jobs, the domain's setup posture.
BASE_PACKAGES = ("studio", "jobs", "domain")


def present_features() -> tuple[str, ...]:
    # A feature is present when its package (with __init__.py, not a bare folder) ships in this build.
    here = Path(__file__).parent
    return tuple(n for n in FEATURES if (here / n / "__init__.py").is_file())


# --- the options, one typed object per feature --------------------------------------------------------------
@dataclass(frozen=True)
class CoreConfig:
    resource_metadata_path: str
    aws: AwsSettings
    cache_ttl_seconds: float  # Studio descriptions (domain, space, profile), shared by every feature
    environment_label: str
    max_body_bytes: int


@dataclass(frozen=True)
class GitConfig:
    repositories: list
    allow_ssh_repositories: bool
    timeout_seconds: float
    fetch_interval_seconds: float
    ca_bundle: str
    auto_clone: bool
    credentials: dict


@dataclass(frozen=True)
class ShareConfig:
    store: str
    folder: str
    s3_bucket: str
    s3_prefix: str
    max_bytes: int
    default_expiry_days: int


@dataclass(frozen=True)
class ExperimentsConfig:
    mlflow_tracking_uri: str
    mlflow_endpoint_url: str
    mlflow_timeout_seconds: float
    cache_ttl_seconds: float
    log_notebook_copies: bool


@dataclass(frozen=True)
class CostConfig:
    cache_ttl_seconds: float
    describe_concurrency: int
    price_overrides: dict
    price_refresh: bool
    price_cache_path: str
    idle_shutdown_minutes: float
    idle_warning_minutes: float
    cost_explorer_enabled: bool
    stop_kinds: tuple[str, ...]
    budget_user_profiles: dict
    budget_domain: float
    shared_inventory: bool
    aws_rates: dict


@dataclass(frozen=True)
class Settings:
    core: CoreConfig
    git: GitConfig
    share: ShareConfig
    experiments: ExperimentsConfig
    cost: CostConfig


def settings_from(app) -> Settings:
    """The typed settings of every feature, read off StudioCollabApp's traitlets (the only place that does)."""
    return Settings(
        core=CoreConfig(
            resource_metadata_path=app.resource_metadata_path,
            aws=AwsSettings(
                region=app.aws_region or None,
                endpoint_url=app.aws_endpoint_url or None,
                retry_mode=app.aws_retry_mode,
                max_attempts=app.aws_max_attempts,
                connect_timeout=app.aws_connect_timeout,
                read_timeout=app.aws_read_timeout,
                max_workers=app.aws_max_workers,
            ),
            cache_ttl_seconds=float(app.cache_ttl_seconds),
            environment_label=app.environment_label,
            max_body_bytes=int(app.max_body_bytes),
        ),
        git=GitConfig(
            repositories=list(app.repositories),
            allow_ssh_repositories=bool(app.allow_ssh_repositories),
            timeout_seconds=float(app.git_timeout_seconds),
            fetch_interval_seconds=float(app.git_fetch_interval_seconds),
            ca_bundle=app.git_ca_bundle,
            auto_clone=bool(app.auto_clone),
            credentials=dict(app.git_credentials),
        ),
        share=ShareConfig(
            store=app.share_store,
            folder=app.share_folder,
            s3_bucket=app.share_s3_bucket,
            s3_prefix=app.share_s3_prefix,
            max_bytes=int(app.share_max_bytes),
            default_expiry_days=int(app.share_default_expiry_days),
        ),
        experiments=ExperimentsConfig(
            mlflow_tracking_uri=app.mlflow_tracking_uri,
            mlflow_endpoint_url=app.mlflow_endpoint_url,
            mlflow_timeout_seconds=float(app.mlflow_timeout_seconds),
            cache_ttl_seconds=float(app.experiments_cache_ttl_seconds),
            log_notebook_copies=bool(app.log_notebook_copies),
        ),
        cost=CostConfig(
            cache_ttl_seconds=float(app.cost_cache_ttl_seconds),
            describe_concurrency=int(app.cost_describe_concurrency),
            price_overrides=dict(app.price_overrides),
            price_refresh=bool(app.price_refresh),
            price_cache_path=app.price_cache_path,
            idle_shutdown_minutes=float(app.idle_shutdown_minutes),
            idle_warning_minutes=float(app.idle_warning_minutes),
            cost_explorer_enabled=bool(app.cost_explorer_enabled),
            stop_kinds=tuple(app.cost_stop_kinds),
            budget_user_profiles=dict(app.cost_budget_user_profiles),
            budget_domain=float(app.cost_budget_domain),
            shared_inventory=bool(app.cost_shared_inventory),
            aws_rates=dict(app.cost_aws_rates),
        ),
    )


# --- the core ---------------------------------------------------------------------------------------------
@dataclass
class Core:
    """What every route and background task is built from. A feature is ``None`` when this build lacks it and a
    :class:`RefusedFeature` when its options were refused (its routes then answer why)."""

    settings: Settings
    context: StudioContext
    executor: Executor  # the one seam for blocking work (studio/executor.py); aws runs its calls in its AWS lane
    aws: AwsClients
    cache: TtlCache
    studio: StudioService
    jobs: JobRegistry
    root_dir: Path
    config_problems: list[OptionProblem]
    # The Jupyter server this core serves (its kernel, terminal and session managers, its event bus); None when
    # `studio-collab doctor` builds the core.
    serverapp: Any = None
    domain: DomainPosture | RefusedFeature | None = None
    git: GitService | RefusedFeature | None = None
    share: ShareService | RefusedFeature | None = None
    experiments: ExperimentsService | RefusedFeature | None = None
    cost: CostService | RefusedFeature | None = None
    feature_modules: tuple[str, ...] = field(default=())

    @property
    def environment_label(self) -> str | None:
        return self.settings.core.environment_label or None

    def features(self) -> dict[str, Any]:
        """Each present feature by name (its service or RefusedFeature), in FEATURES order."""
        return {name: getattr(self, name) for name in FEATURES if getattr(self, name) is not None}

    def services(self) -> list[Any]:
        """Every built service, the domain posture first: what is started after the loop runs and stopped at exit."""
        return [s for s in (self.domain, *self.features().values()) if s is not None]


def build_core(app, root_dir: Path, serverapp: Any = None) -> Core:
    """Every service, built from ``app``'s options (a StudioCollabApp: the server's, or one doctor made as its
    config loader). A feature with a refused option, or every one for a refused core option, is a RefusedFeature:
    nothing of it starts half-configured."""
    settings = settings_from(app)
    context = read_studio_context(Path(settings.core.resource_metadata_path))
    if not settings.core.aws.region and context.region:  # in Studio the app's own region, unless one is set
        settings = replace(settings, core=replace(settings.core, aws=replace(settings.core.aws, region=context.region)))
    executor = Executor(aws_workers=settings.core.aws.max_workers)
    aws = AwsClients(settings.core.aws, executor)
    cache = TtlCache()
    problems = app.option_problems()
    core = Core(
        settings=settings,
        context=context,
        executor=executor,
        aws=aws,
        cache=cache,
        studio=StudioService(context, aws, cache, settings.core.cache_ttl_seconds),
        jobs=JobRegistry(),
        root_dir=root_dir,
        config_problems=problems,
        serverapp=serverapp,
    )
    present = present_features()

    def feature(name: str) -> Any:
        if name != "domain" and name not in present:
            return None
        refused = [p for p in problems if p.feature in (name, CORE)]
        if refused:
            return RefusedFeature(name, refused)
        return importlib.import_module(f"studio_collab.{name}").build_service(core)

    core.domain = feature("domain")
    # In FEATURES order: experiments restores through git.
    core.git = feature("git")
    core.share = feature("share")
    core.experiments = feature("experiments")
    core.cost = feature("cost")
    core.feature_modules = tuple(f"studio_collab.{n}" for n in present)
    return core

"""Experiments (rows E1-E5): MLflow runs, SageMaker training jobs and legacy SageMaker Experiments."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .legacy import LegacyExperimentSource
from .mlflow import MlflowSource, settings_from
from .restore import RunRestorer
from .service import ExperimentsService
from .training_jobs import TrainingJobSource

if TYPE_CHECKING:
    from ..core import Core


def build_service(core: Core) -> ExperimentsService:
    config = core.settings.experiments
    if config.log_notebook_copies:
        # Kernels get the server's environment (jupyter_server's get_kernel_env): the provider in each reads it.
        from ..provenance.context import LOG_NOTEBOOK_ENV

        os.environ[LOG_NOTEBOOK_ENV] = "1"
    context, aws, cache = core.context, core.aws, core.cache
    ttl = config.cache_ttl_seconds
    region = aws.settings.region or context.region
    sources = [
        MlflowSource(settings_from(config, core.settings.core.cache_ttl_seconds), aws, context, cache),
        TrainingJobSource(aws, cache, ttl, region),
        LegacyExperimentSource(aws, cache, ttl, region),
    ]
    # Restore works through the git feature (catalog, credentials, clone); built before this one (core.FEATURES).
    restorer = RunRestorer(core.git, core.jobs, core.root_dir)
    return ExperimentsService(sources, cache, ttl, restorer)

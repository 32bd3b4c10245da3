"""Experiments (rows E1-E5): MLflow runs, SageMaker training jobs and legacy SageMaker Experiments."""

from __future__ import annotations

import os

from .legacy import LegacyExperimentSource
from .mlflow import MlflowSource, settings_from
from .restore import RunRestorer
from .service import ExperimentsService
from .training_jobs import TrainingJobSource


def build_service(app, services: dict) -> ExperimentsService:
    if app.log_notebook_copies:
        # Kernels get the server's environment (jupyter_server's get_kernel_env): the provider in each reads it.
        from ..provenance.context import LOG_NOTEBOOK_ENV

        os.environ[LOG_NOTEBOOK_ENV] = "1"
    context, aws, cache = services["context"], services["aws"], services["cache"]
    ttl = float(app.experiments_cache_ttl_seconds)
    region = aws.settings.region or context.region
    sources = [
        MlflowSource(settings_from(app), aws, context, cache),
        TrainingJobSource(aws, cache, ttl, region),
        LegacyExperimentSource(aws, cache, ttl, region),
    ]
    # Restore works through the git feature (catalog, credentials, clone); built before this one (app.FEATURES).
    restorer = RunRestorer(services["features"].get("git"), services["jobs"], services["root_dir"])
    return ExperimentsService(sources, cache, ttl, restorer)

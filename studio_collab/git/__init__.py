"""Git helpers (rows G1-G8): repo catalog, background clone with progress, safe sync, private repos, open links."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core import Core
    from .service import GitService

log = logging.getLogger(__name__)


def build_service(core: Core) -> GitService:
    """Checks the admin catalog once; a bad entry turns the feature off with the entry named (never a
    half-trusted catalog), without stopping the server or the other features."""
    from .catalog import RepoCatalog
    from .command import GitRunner
    from .credentials import GitCredentials
    from .repo_spec import CatalogError, load_config_catalog, load_credential_prefixes
    from .service import GitService

    config = core.settings.git
    allow_ssh = config.allow_ssh_repositories
    config_error = None
    try:
        specs = load_config_catalog(config.repositories, allow_ssh)
        prefixes = load_credential_prefixes(config.credentials, allow_ssh)
    except CatalogError as err:
        specs, prefixes, config_error = [], [], str(err)
        log.error("studio-collab: repository catalog refused: %s", err)
    runner = GitRunner(
        ca_bundle=config.ca_bundle or os.environ.get("GIT_SSL_CAINFO") or None,
        allowed_protocols=("https", "ssh") if allow_ssh else ("https",),
        memo=core.cache,
    )
    catalog = RepoCatalog(specs, core.studio, core.cache, core.settings.core.cache_ttl_seconds, allow_ssh, prefixes)
    credentials = GitCredentials(core.aws, core.cache)
    service = GitService(
        catalog=catalog,
        runner=runner,
        credentials=credentials,
        jobs=core.jobs,
        root=core.root_dir,
        timeout=config.timeout_seconds,
        fetch_interval=config.fetch_interval_seconds,
        auto_clone=config.auto_clone,
        config_error=config_error,
        executor=core.executor,
        cache=core.cache,
    )
    service.recover_interrupted_clones()
    event_logger = getattr(core.serverapp, "event_logger", None)
    if event_logger is not None:  # a save makes the repo's status fresh at once, not at the next poll
        event_logger.add_listener(schema_id=CONTENTS_EVENTS, listener=service.contents_event)
    return service


CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"

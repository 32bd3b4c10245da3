"""Git helpers (rows G1-G8): repo catalog, background clone with progress, safe sync, private repos, open links."""

from __future__ import annotations

import os


def build_service(app, services: dict):
    """Checks the admin catalog once; a bad entry turns the feature off with the entry named (never a
    half-trusted catalog), without stopping the server or the other features."""
    from .catalog import RepoCatalog
    from .command import GitRunner
    from .credentials import GitCredentials
    from .repo_spec import CatalogError, load_config_catalog, load_credential_prefixes
    from .service import GitService

    allow_ssh = bool(app.allow_ssh_repositories)
    config_error = None
    try:
        specs = load_config_catalog(app.repositories, allow_ssh)
        prefixes = load_credential_prefixes(app.git_credentials, allow_ssh)
    except CatalogError as err:
        specs, prefixes, config_error = [], [], str(err)
        app.log.error("studio-collab: repository catalog refused: %s", err)
    runner = GitRunner(ca_bundle=app.git_ca_bundle or os.environ.get("GIT_SSL_CAINFO") or None,
                       allowed_protocols=("https", "ssh") if allow_ssh else ("https",), memo=services["cache"])
    catalog = RepoCatalog(specs, services["studio"], services["cache"], app.cache_ttl_seconds, allow_ssh, prefixes)
    credentials = GitCredentials(services["aws"], services["cache"])
    service = GitService(catalog=catalog, runner=runner, credentials=credentials,
                         jobs=services["jobs"], root=services["root_dir"], timeout=app.git_timeout_seconds,
                         fetch_interval=app.git_fetch_interval_seconds, auto_clone=app.auto_clone,
                         config_error=config_error, executor=services["aws"].executor,
                         cache=services["cache"])
    service.recover_interrupted_clones()
    event_logger = getattr(getattr(app, "serverapp", None), "event_logger", None)
    if event_logger is not None:  # a save makes the repo's status fresh at once, not at the next poll
        event_logger.add_listener(schema_id=CONTENTS_EVENTS, listener=service.contents_event)
    return service


CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"

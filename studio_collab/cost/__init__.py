"""Cost, idleness and domain posture (rows C1-C7, D2): what runs, what it costs, when it stops, and
whether the domain is production-ready."""

from __future__ import annotations


def build_shared_inventory(app, services: dict):
    """The domain inventory every space shares, kept where shares are kept (the share store's bucket or folder)."""
    from pathlib import Path

    from .shared_inventory import FolderInventoryStore, S3InventoryStore, SharedInventory

    context = services["context"]
    name = f"{context.domain_id or 'local'}@{context.region or app.aws_region or 'no-region'}"
    holder = context.space_name or "local"
    reason = None
    try:
        from ..share import build_store
        from ..share.store import FolderShareStore
    except ImportError:  # a build without the share feature
        return SharedInventory(None, app.cost_cache_ttl_seconds, holder, context,
                               "This build has no share store to keep a shared inventory in.")
    share_store, reason = build_store(app, services)
    if reason is not None:
        return SharedInventory(None, app.cost_cache_ttl_seconds, holder, context, reason)
    if isinstance(share_store, FolderShareStore):
        store = FolderInventoryStore(Path(share_store.folder) / "inventory", name, services["aws"].executor)
    else:
        store = S3InventoryStore(services["aws"], app.share_s3_bucket, app.share_s3_prefix, name)
    return SharedInventory(store, app.cost_cache_ttl_seconds, holder, context)


def build_service(app, services: dict):
    from .budget import Budgets
    from .idle import IdleWatch
    from .posture import DomainPosture
    from .price_list import PriceListCache
    from .prices import PriceTable
    from .service import CostService, default_price_cache_path

    serverapp = getattr(app, "serverapp", None)  # None when `studio-collab doctor` builds the services

    def terminal_manager():
        web_app = getattr(serverapp, "web_app", None)
        return web_app.settings.get("terminal_manager") if web_app is not None else None

    context, aws, cache, studio = services["context"], services["aws"], services["cache"], services["studio"]
    idle = IdleWatch(
        # Looked up on each read: the terminals extension may register its manager after this one loads.
        kernel_manager=lambda: getattr(serverapp, "kernel_manager", None),
        terminal_manager=terminal_manager,
        session_manager=lambda: getattr(serverapp, "session_manager", None),
        context=context, studio=studio, aws=aws,
        shutdown_minutes=app.idle_shutdown_minutes, warning_minutes=app.idle_warning_minutes)
    return CostService(
        shared=build_shared_inventory(app, services) if app.cost_shared_inventory else None,
        budgets=Budgets(app.cost_budget_user_profiles, app.cost_budget_domain),
        context=context, aws=aws, cache=cache, studio=studio,
        prices=PriceTable.bundled(app.price_overrides), idle=idle,
        posture=DomainPosture(studio, aws, cache, app.cache_ttl_seconds),
        ttl=app.cost_cache_ttl_seconds, concurrency=app.cost_describe_concurrency,
        price_refresh=app.price_refresh,
        price_cache=PriceListCache(default_price_cache_path(app.price_cache_path)),
        cost_explorer=app.cost_explorer_enabled, stop_kinds=tuple(app.cost_stop_kinds), aws_rates=app.cost_aws_rates)

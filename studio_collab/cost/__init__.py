"""Cost and idleness (rows C1-C11): what runs, what it costs, when it stops."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core import Core
    from .service import CostService
    from .shared_inventory import SharedInventory


def build_shared_inventory(core: Core) -> SharedInventory:
    """The domain inventory every space shares, kept where shares are kept (the share store's bucket or folder)."""
    from pathlib import Path

    from .shared_inventory import FolderInventoryStore, S3InventoryStore, SharedInventory

    context, ttl = core.context, core.settings.cost.cache_ttl_seconds
    name = f"{context.domain_id or 'local'}@{context.region or core.aws.settings.region or 'no-region'}"
    holder = context.space_name or "local"
    reason = None
    try:
        from ..share import build_store
        from ..share.store import FolderShareStore
    except ImportError:  # a build without the share feature
        return SharedInventory(
            None, ttl, holder, context, "This build has no share store to keep a shared inventory in."
        )
    share_store, reason = build_store(core)
    if reason is not None:
        return SharedInventory(None, ttl, holder, context, reason)
    if isinstance(share_store, FolderShareStore):
        store = FolderInventoryStore(Path(share_store.folder) / "inventory", name, core.executor)
    else:
        share = core.settings.share
        store = S3InventoryStore(core.aws, share.s3_bucket, share.s3_prefix, name)
    return SharedInventory(store, ttl, holder, context)


def build_service(core: Core) -> CostService:
    from .budget import Budgets
    from .idle import IdleWatch
    from .price_list import PriceListCache
    from .prices import PriceTable
    from .service import CostService, default_price_cache_path

    config = core.settings.cost
    serverapp = core.serverapp  # None when `studio-collab doctor` builds the core

    def terminal_manager():
        web_app = getattr(serverapp, "web_app", None)
        return web_app.settings.get("terminal_manager") if web_app is not None else None

    context, aws, cache, studio = core.context, core.aws, core.cache, core.studio
    idle = IdleWatch(
        # Looked up on each read: the terminals extension may register its manager after this one loads.
        kernel_manager=lambda: getattr(serverapp, "kernel_manager", None),
        terminal_manager=terminal_manager,
        session_manager=lambda: getattr(serverapp, "session_manager", None),
        context=context,
        studio=studio,
        aws=aws,
        shutdown_minutes=config.idle_shutdown_minutes,
        warning_minutes=config.idle_warning_minutes,
    )
    return CostService(
        shared=build_shared_inventory(core) if config.shared_inventory else None,
        budgets=Budgets(config.budget_user_profiles, config.budget_domain),
        context=context,
        aws=aws,
        cache=cache,
        studio=studio,
        prices=PriceTable.bundled(config.price_overrides),
        idle=idle,
        ttl=config.cache_ttl_seconds,
        concurrency=config.describe_concurrency,
        price_refresh=config.price_refresh,
        price_cache=PriceListCache(default_price_cache_path(config.price_cache_path)),
        cost_explorer=config.cost_explorer_enabled,
        stop_kinds=config.stop_kinds,
        aws_rates=config.aws_rates,
    )

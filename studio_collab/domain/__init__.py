"""The domain's setup posture (row D2): Quick or Manual setup, with findings. Not cost: it reads how the domain
is set up, not what runs in it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .service import DomainPosture

if TYPE_CHECKING:
    from ..core import Core


def build_service(core: Core) -> DomainPosture:
    return DomainPosture(core.studio, core.aws, core.cache, core.settings.core.cache_ttl_seconds)

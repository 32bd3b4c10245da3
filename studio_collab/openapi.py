"""The served OpenAPI 3 document: a base, the fragments of the packages every build serves (``core.BASE_PACKAGES``)
and one fragment per feature (``<feature>/openapi.yaml``).

Each feature describes its own routes next to its code; the fragments are merged once, on first request.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=8)
def _load(modules: tuple[str, ...]) -> dict:
    from .core import BASE_PACKAGES

    document = yaml.safe_load(resources.files("studio_collab").joinpath("openapi.yaml").read_text("utf-8"))
    for module in (*(f"studio_collab.{name}" for name in BASE_PACKAGES), *modules):
        fragment_file = resources.files(module).joinpath("openapi.yaml")
        if not fragment_file.is_file():
            continue
        fragment = yaml.safe_load(fragment_file.read_text("utf-8")) or {}
        for path, spec in (fragment.get("paths") or {}).items():
            if path in document["paths"]:
                raise ValueError(f"OpenAPI path {path} is described twice")
            document["paths"][path] = spec
        for name, schema in ((fragment.get("components") or {}).get("schemas") or {}).items():
            document["components"]["schemas"][name] = schema
    return document


def openapi_document(modules: tuple[str, ...], server_url: str = "/") -> dict:
    document = copy.deepcopy(_load(tuple(modules)))
    document["servers"] = [{"url": server_url}]
    return document

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
    _name_features(document["components"]["schemas"]["Status"])
    return document


def _name_features(status: dict) -> None:
    """The feature list is written once (core.FEATURES): the served Status names each feature, so a client
    generated from this document knows them without a copy of its own."""
    from .config import CORE
    from .core import FEATURES

    features = status["properties"]["features"]
    features["properties"] = {name: {"$ref": "#/components/schemas/Availability"} for name in FEATURES}
    features["required"] = list(FEATURES)
    features["additionalProperties"] = False
    problem = status["properties"]["config_problems"]["items"]["properties"]["feature"]
    problem["enum"] = [CORE, *FEATURES]


def openapi_document(modules: tuple[str, ...], server_url: str = "/") -> dict:
    document = copy.deepcopy(_load(tuple(modules)))
    document["servers"] = [{"url": server_url}]
    return document


def main(argv: list[str] | None = None) -> None:
    """``python -m studio_collab.openapi FILE`` writes the document the server serves (every present feature's
    fragment merged) as JSON; ``jlpm build:types`` generates the browser's TypeScript types from it."""
    import argparse
    import json
    from pathlib import Path

    from .core import present_features

    parser = argparse.ArgumentParser(prog="python -m studio_collab.openapi", description=main.__doc__)
    parser.add_argument("file", type=Path, help="where to write the OpenAPI document (JSON)")
    args = parser.parse_args(argv)
    modules = tuple(f"studio_collab.{name}" for name in present_features())
    args.file.parent.mkdir(parents=True, exist_ok=True)
    args.file.write_text(json.dumps(openapi_document(modules), indent=1, sort_keys=True) + "\n", "utf-8")


if __name__ == "__main__":
    main()

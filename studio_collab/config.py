"""Every StudioCollabApp option checked when it is loaded, and a feature with a refused option kept off.

Two stages. While traitlets loads a config (a file or the command line), :func:`screen_section` tries each of
our options alone: a value of the wrong type or shape is kept out and named, instead of raising in the middle of
the others (jupyter_server then logs "error linking extension" and goes on with whatever was set before it: a
half-configured extension). At build time :func:`check_values` applies the rules a type cannot say (repo entries,
URLs, ranges). Each problem names its option and the feature it belongs to; that feature (every feature, for the
options they share) does not start, and the server log, ``GET status`` and ``studio-collab doctor`` name it.

**The command line.** jupyter_server does not know StudioCollabApp's traits when it parses its argv, so every
``--StudioCollabApp.<option>=<value>`` arrives as a string for the trait to parse. traitlets 5 cannot parse one
for a list whose items are typed (``List(Dict())``): ``List.from_string`` validates the items without an
instance and fails, ``DeferredConfigString.get_value`` swallows that and keeps the raw string, and the list
trait then refuses the string, so ``--StudioCollabApp.repositories='[{"url": …}]'`` stopped the extension's
config half-way with only a warning in the log. Here a list or dict option's string is read as JSON (or a Python
literal, as traitlets reads it), and a single object given for a list is one item of it.
"""

from __future__ import annotations

import ast
import copy
import difflib
import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from traitlets import Container, Dict, Enum, List, TraitError
from traitlets.config import Config
from traitlets.config.loader import DeferredConfigList, DeferredConfigString, LazyConfigValue

SECTION = "StudioCollabApp"
CORE = "core"  # options every feature depends on: a refused one keeps them all off

# Option name → feature, by prefix: an option added later lands in its feature without a table to update.
_FEATURE_PREFIXES = (
    ("repositories", "git"),
    ("allow_ssh_repositories", "git"),
    ("auto_clone", "git"),
    ("git_", "git"),
    ("share_", "share"),
    ("mlflow_", "experiments"),
    ("experiments_", "experiments"),
    ("cost_", "cost"),
    ("price_", "cost"),
    ("idle_", "cost"),
    ("budget", "cost"),
)


def feature_of(option: str) -> str:
    for prefix, feature in _FEATURE_PREFIXES:
        if option.startswith(prefix):
            return feature
    return CORE


@dataclass(frozen=True)
class OptionProblem:
    option: str
    feature: str
    message: str  # never the value itself: it may carry a token

    @property
    def text(self) -> str:
        return f"{SECTION}.{self.option} {self.message}"

    def to_json(self) -> dict:
        return asdict(self)


class OptionError(ValueError):
    """A rule an option's value breaks; the message completes "StudioCollabApp.<option> ..."."""


# --- stage 1: types and shapes, while traitlets loads ------------------------------------------------------
_NOT_PARSED = object()


def screen_section(app, cfg: Config, traits: dict, problems: dict[str, OptionProblem]) -> Config:
    """``cfg`` with its StudioCollabApp section reduced to the values the traits accept (command-line strings
    already parsed); each refused value goes into ``problems`` by option, a later good value clears it."""
    if SECTION not in cfg or not isinstance(cfg[SECTION], Config):
        return cfg
    accepted = Config()
    for name, value in cfg[SECTION].items():
        trait = traits.get(name)
        if trait is None:
            close = difflib.get_close_matches(name, list(traits), n=1)
            if close and close[0] in _own_options(app):
                problems[name] = OptionProblem(
                    name, feature_of(close[0]), f"is not an option: did you mean {close[0]}? (this value is ignored)"
                )
            accepted[name] = value  # traitlets warns about it too
            continue
        if isinstance(value, LazyConfigValue):
            accepted[name] = value
            continue
        try:
            resolved = _resolve(trait, value)
            trait._validate(app, copy.deepcopy(resolved))
        except OptionError as err:
            problems[name] = OptionProblem(name, feature_of(name), str(err))
            continue
        except TraitError:
            problems[name] = OptionProblem(name, feature_of(name), _shape_message(app, trait, resolved, value))
            continue
        problems.pop(name, None)
        accepted[name] = resolved
    screened = Config(cfg)
    screened[SECTION] = accepted
    return screened


def _own_options(app) -> set[str]:
    from .app import StudioCollabApp

    return set(StudioCollabApp.class_own_traits(config=True))


def _is_container(trait) -> bool:
    return isinstance(trait, (Container, Dict))


def _parse_text(text: str):
    """JSON first (what the README shows), then a Python literal (what traitlets reads)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT_PARSED


def _resolve(trait, value):
    if isinstance(value, DeferredConfigString):
        text = str(value)
        if _is_container(trait):
            parsed = _parse_text(text)
            if parsed is _NOT_PARSED:
                if isinstance(trait, List) and not _is_container(getattr(trait, "_trait", None)):
                    return trait.from_string_list([text])  # --X.names=a is the list [a], as traitlets reads it
                if isinstance(trait, Dict) and "=" in text:
                    return trait.from_string(text)  # --X.mapping=key=value
                raise OptionError(
                    f"must be {_expected(trait)}, given as JSON on the command line, e.g. "
                    f"--{SECTION}.{trait.name}='{_example(trait)}'; this value is not valid JSON"
                )
            if isinstance(trait, List) and isinstance(parsed, dict):
                return [parsed]  # one object given for a list of them
            return parsed
        return value.get_value(trait)
    if isinstance(value, DeferredConfigList):
        if isinstance(trait, List) and _is_container(getattr(trait, "_trait", None)):
            items = [_parse_text(item) for item in value]
            if any(item is _NOT_PARSED for item in items):
                raise OptionError(f"must be {_expected(trait)}; an item given on the command line is not valid JSON")
            return items
        return value.get_value(trait)
    return value


def _expected(trait) -> str:
    if isinstance(trait, Enum):
        return "one of " + ", ".join(json.dumps(v) for v in trait.values)
    if isinstance(trait, List):
        inner = getattr(trait, "_trait", None)
        return f"a list of {_plural(inner)}" if inner is not None else "a list"
    return _SINGULAR.get(type(trait).__name__, f"a {type(trait).__name__}")


_SINGULAR = {
    "Dict": "an object",
    "Unicode": "a string",
    "Int": "a whole number",
    "Float": "a number",
    "Bool": "true or false",
}
_PLURAL = {"Dict": "objects", "Unicode": "strings", "Int": "whole numbers", "Float": "numbers", "Bool": "booleans"}


def _plural(trait) -> str:
    if isinstance(trait, Enum):
        return "values among " + ", ".join(json.dumps(v) for v in trait.values)
    return _PLURAL.get(type(trait).__name__, "items")


def _example(trait) -> str:
    if trait.name == "repositories":
        return '[{"url": "https://git.example.com/team/models.git"}]'
    return "[...]" if isinstance(trait, List) else "{...}"


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _shape_message(app, trait, resolved, original) -> str:
    where = ""
    inner = getattr(trait, "_trait", None)
    if isinstance(resolved, list) and isinstance(trait, List) and inner is not None:
        for index, item in enumerate(resolved):
            try:
                inner._validate(app, copy.deepcopy(item))
            except TraitError:
                where = f"; item {index} is {_kind(item)}"
                break
    shown = ""
    if isinstance(trait, Enum) and isinstance(resolved, str) and len(resolved) <= 40 and resolved.isprintable():
        shown = f" {resolved!r}"  # a mistyped choice is worth showing; other values may carry secrets
    got = f"it is {_kind(resolved)}{shown}" if not where else f"it is a list{where}"
    hint = ""
    if _is_container(trait) and isinstance(original, (DeferredConfigString, DeferredConfigList)):
        hint = f" (on the command line: --{SECTION}.{trait.name}='{_example(trait)}')"
    return f"must be {_expected(trait)}; {got}{hint}"


# --- stage 2: what a type cannot say, at build time -------------------------------------------------------
def check_values(app) -> list[OptionProblem]:
    """Every rule below, on the options as loaded (a refused value is not there: its default is)."""
    problems = []
    for option, rule in RULES.items():
        if not app.has_trait(option):
            continue
        try:
            rule(app, getattr(app, option))
        except OptionError as err:
            problems.append(OptionProblem(option, feature_of(option), str(err)))
    return problems


def _positive(app, value) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise OptionError("must be a number above 0")


def _not_negative(app, value) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise OptionError("must be a number of 0 or more")


def _between(low: float, high: float) -> Callable:
    def rule(app, value) -> None:
        if not (isinstance(value, (int, float)) and low <= value <= high):
            raise OptionError(f"must be from {low:g} to {high:g}")

    return rule


def _http_url(app, value: str) -> None:
    # aws_endpoint_url defaults to $AWS_ENDPOINT_URL, mlflow_endpoint_url is read as given
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError("must be an http(s) URL with a host")
    if parts.username or parts.password:
        raise OptionError("must not carry credentials in its URL")


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _region(app, value: str) -> None:
    if value and not _REGION.match(value):
        raise OptionError("must be an AWS region name such as us-east-1 (its default comes from $AWS_REGION)")


def _repositories(app, value) -> None:
    from .git.repo_spec import CatalogError, load_config_catalog

    try:
        load_config_catalog(value, bool(app.allow_ssh_repositories))
    except CatalogError as err:
        raise OptionError(f"is refused: {err}") from None


def _git_credentials(app, value) -> None:
    from .git.repo_spec import CatalogError, load_credential_prefixes

    try:
        load_credential_prefixes(value, bool(app.allow_ssh_repositories))
    except CatalogError as err:
        raise OptionError(f"is refused: {err}") from None


def _bucket(app, value: str) -> None:
    if value and not _BUCKET.match(value):
        raise OptionError("must be an S3 bucket name (3-63 lower-case letters, digits, '.' and '-')")


def _s3_prefix(app, value: str) -> None:
    if value.startswith("/") or ".." in value.split("/"):
        raise OptionError("must be a relative key prefix without '..' (e.g. studio-collab/shares/)")


def _mlflow_uri(app, value: str) -> None:
    from .errors import StudioCollabError
    from .experiments.tracking import target_from_uri

    if not value:
        return
    try:
        target_from_uri(value, "config", None, {})
    except StudioCollabError as err:
        raise OptionError(f"is refused: {err.message}") from None


def _price_overrides(app, value) -> None:
    from .cost.prices import COMPONENTS

    for region, components in value.items():
        if not isinstance(components, dict):
            raise OptionError(f"[{region!r}] must be an object of components")
        for component, types in components.items():
            if component not in COMPONENTS:
                raise OptionError(
                    f"[{region!r}] has an unknown component {component!r}; known: {', '.join(COMPONENTS)}"
                )
            if not isinstance(types, dict):
                raise OptionError(f"[{region!r}][{component!r}] must be an object of instance types")
            for instance_type, price in types.items():
                if isinstance(price, bool) or not isinstance(price, (int, float)) or not 0 <= price < 1e6:
                    raise OptionError(
                        f"[{region!r}][{component!r}][{instance_type!r}] must be a price in USD "
                        "per hour (a number from 0)"
                    )


RULES: dict[str, Callable[[Any, Any], None]] = {
    "aws_region": _region,
    "aws_endpoint_url": _http_url,
    "aws_max_attempts": _between(1, 20),
    "aws_connect_timeout": _positive,
    "aws_read_timeout": _positive,
    "aws_max_workers": _between(1, 256),
    "cache_ttl_seconds": _not_negative,
    "max_body_bytes": _between(1024, 1 << 30),
    "repositories": _repositories,
    "git_credentials": _git_credentials,
    "git_timeout_seconds": _positive,
    "git_fetch_interval_seconds": _not_negative,
    "share_s3_bucket": _bucket,
    "share_s3_prefix": _s3_prefix,
    "share_max_bytes": _positive,
    "share_default_expiry_days": _between(1, 3650),
    "mlflow_tracking_uri": _mlflow_uri,
    "mlflow_endpoint_url": _http_url,
    "mlflow_timeout_seconds": _positive,
    "experiments_cache_ttl_seconds": _not_negative,
    "cost_cache_ttl_seconds": _not_negative,
    "cost_describe_concurrency": _between(1, 64),
    "price_overrides": _price_overrides,
    "idle_shutdown_minutes": _not_negative,
    "idle_warning_minutes": _not_negative,
}


# --- what a refused feature is ----------------------------------------------------------------------------
class RefusedFeature:
    """A feature kept off because of its options: it starts nothing; status, doctor and its routes say why."""

    def __init__(self, name: str, problems: list[OptionProblem]):
        self.name = name
        self.problems = problems
        self.reason = (
            "Turned off: its configuration is refused. "
            + " ".join(f"{p.text}." for p in problems)
            + " Fix the option and restart the server (`studio-collab doctor` checks it)."
        )

    async def availability(self) -> dict:
        return {"available": False, "reason": self.reason}

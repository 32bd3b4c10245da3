"""Server-side input validation from botocore's own service model, worded like AWS's ValidationException.

botocore checks only required members and types on the way out; AWS also enforces patterns, lengths, ranges and
enums. The emulated operations check all of them so that, e.g., a ``CodeRepositories`` URL with a port or plain
``http://`` is refused here exactly as Studio refuses it.
"""

from __future__ import annotations

import functools
import re

from .awsproto import AwsError


@functools.lru_cache(maxsize=8)
def service_model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@functools.lru_cache(maxsize=512)
def _pattern(pattern: str):
    try:
        return re.compile(pattern)
    except re.error:  # Java-only regex syntax: AWS checks it, we cannot, so skip rather than refuse
        return None


def validate_input(service: str, operation: str, params: dict) -> None:
    """Raise ``ValidationException`` listing every violated constraint, as AWS does (up to 10)."""
    model = service_model(service).operation_model(operation)
    errors: list[str] = []
    if model.input_shape is not None:
        _check(model.input_shape, params, "", errors)
    if errors:
        shown = errors[:10]
        noun = "error" if len(errors) == 1 else "errors"
        raise AwsError("ValidationException", f"{len(errors)} validation {noun} detected: " + "; ".join(shown))


def _check(shape, value, path: str, errors: list[str]) -> None:
    kind = shape.type_name
    where = path or "request"
    if kind == "structure":
        if not isinstance(value, dict):
            errors.append(f"Value at '{where}' failed to satisfy constraint: Member must be a structure")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append(
                    f"Value null at '{_join(path, name)}' failed to satisfy constraint: Member must not be null"
                )
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is None:
                errors.append(f"Unknown parameter '{_join(path, name)}'")
            elif member_value is not None:
                _check(member, member_value, _join(path, name), errors)
        return
    meta = shape.metadata
    if kind == "list":
        if not isinstance(value, list):
            errors.append(f"Value at '{where}' failed to satisfy constraint: Member must be a list")
            return
        _length(meta, len(value), value, where, errors)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{where}.{index + 1}.member", errors)
    elif kind == "map":
        if not isinstance(value, dict):
            errors.append(f"Value at '{where}' failed to satisfy constraint: Member must be a map")
            return
        _length(meta, len(value), value, where, errors)
        for key, item in value.items():
            _check(shape.key, key, f"{where}.key", errors)
            _check(shape.value, item, f"{where}.{key}", errors)
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"Value '{value}' at '{where}' failed to satisfy constraint: Member must be a string")
            return
        _length(meta, len(value), value, where, errors)
        if shape.enum and value not in shape.enum:
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: Member must satisfy enum "
                f"value set: [{', '.join(shape.enum)}]"
            )
        pattern = meta.get("pattern")
        compiled = _pattern(pattern) if pattern else None
        if compiled is not None and not compiled.fullmatch(value):
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: Member must satisfy regular "
                f"expression pattern: {pattern}"
            )
    elif kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"Value '{value}' at '{where}' failed to satisfy constraint: Member must be a number")
            return
        if "min" in meta and value < meta["min"]:
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: Member must have value "
                f"greater than or equal to {meta['min']}"
            )
        if "max" in meta and value > meta["max"]:
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: Member must have value "
                f"less than or equal to {meta['max']}"
            )
    elif kind == "boolean" and not isinstance(value, bool):
        errors.append(f"Value '{value}' at '{where}' failed to satisfy constraint: Member must be a boolean")


def _length(meta: dict, length: int, value, where: str, errors: list[str]) -> None:
    shown = value if isinstance(value, str) else "[...]"
    if "min" in meta and length < meta["min"]:
        errors.append(
            f"Value '{shown}' at '{where}' failed to satisfy constraint: Member must have length greater "
            f"than or equal to {meta['min']}"
        )
    if "max" in meta and length > meta["max"]:
        errors.append(
            f"Value '{shown}' at '{where}' failed to satisfy constraint: Member must have length less "
            f"than or equal to {meta['max']}"
        )


def _join(path: str, name: str) -> str:
    # AWS names members in lower camel case in these messages ("spaceName", "spaceSettings.appType").
    name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name

"""``sagemaker:Search`` with AWS's paging, over moto's records.

moto answers every match in one page (AWS pages by ``MaxResults``, at most 100) and spends most of a call in its
generic serializer: 600 training jobs took it over a second. Here filters on top-level fields (what the product
sends) are matched on moto's records and only the page answered is described; any other expression goes to
moto's own Search (its semantics and validation). Either way the matches are paged as AWS pages them and
written as the JSON protocol has them (timestamps as epoch seconds, absent members left out).
"""

from __future__ import annotations

from datetime import datetime

from . import moto_bridge
from .awsproto import AwsError, page

DEFAULT_MAX_RESULTS = 10  # AWS's default for Search


_COLLECTIONS = {"TrainingJob": "training_jobs", "Endpoint": "endpoints"}  # the resources the product pages through
_OPERATORS = {
    "Equals": lambda actual, wanted: actual == wanted,
    "NotEquals": lambda actual, wanted: actual != wanted,
    "Contains": lambda actual, wanted: isinstance(actual, str) and wanted in actual,
}


def search(region: str, p: dict) -> dict:
    backend = moto_bridge.sagemaker_backend(region)
    resource, expression = p.get("Resource"), p.get("SearchExpression") or {}
    filters = _top_level_filters(expression)
    if resource in _COLLECTIONS and filters is not None:
        # the common case, fast: match on the records, then describe only the page being answered
        items = list(getattr(backend, _COLLECTIONS[resource]).values())
        unknown = [name for name, attr, _, _ in filters if items and not hasattr(items[0], attr)]
        if unknown:  # as moto (and AWS) refuse a property the resource does not have
            raise AwsError("ValidationException", f"Unknown property name: {unknown[0]}")
        matches = [
            item for item in items if all(test(getattr(item, attr, None), wanted) for _, attr, test, wanted in filters)
        ]
        answer = page(matches, p, "Results", default_max=DEFAULT_MAX_RESULTS)
        answer["Results"] = [{resource: item.gen_response_object()} for item in answer["Results"]]
    else:
        try:
            found = backend.search(resource, expression)
        except Exception as err:  # noqa: BLE001 - moto's validation errors, whatever their class
            raise AwsError("ValidationException", str(getattr(err, "message", None) or err)) from err
        answer = page(found["Results"], p, "Results", default_max=DEFAULT_MAX_RESULTS)
    answer["Results"] = [_wire(result) for result in answer["Results"]]
    return answer


def _top_level_filters(expression: dict) -> list[tuple] | None:
    """``(name, attribute, test, value)`` of each filter on a top-level field, joined by AND (what moto itself
    supports); None for any other expression."""
    from moto.core.utils import camelcase_to_underscores

    if set(expression) - {"Filters"}:
        return None
    filters = []
    for rule in expression.get("Filters") or []:
        test = _OPERATORS.get(rule.get("Operator", "Equals"))
        name = rule.get("Name", "")
        if test is None or not name or "." in name:
            return None
        filters.append((name, camelcase_to_underscores(name), test, rule.get("Value")))
    return filters


def _wire(value):
    """Plain JSON values as the wire has them: datetimes as epoch seconds, None members dropped."""
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    return value

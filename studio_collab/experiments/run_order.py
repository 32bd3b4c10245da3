"""How runs are ordered: one parsed ``order_by`` shared by every source.

The wire form is MLflow's own (``metrics.accuracy DESC``, ``params.`learning rate` ASC``,
``attributes.start_time DESC``), so the MLflow source forwards it to the server unchanged in meaning,
and the SageMaker sources sort their bounded windows the same way: missing values last in both
directions, then newest first, then by id — MLflow's SQL store ties break the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import bad_request

# Run attributes a person can sort by, with MLflow's names for them.
ATTRIBUTES = {
    "start_time": "start_time",
    "end_time": "end_time",
    "name": "run_name",
    "run_name": "run_name",
    "status": "status",
}
_KINDS = {
    "metrics": "metric",
    "metric": "metric",
    "params": "param",
    "param": "param",
    "attributes": "attribute",
    "attribute": "attribute",
}
_CLAUSE = re.compile(r"^\s*(?:(?P<kind>[A-Za-z]+)\.)?(?P<key>`[^`]+`|[^\s`]+)\s*(?P<dir>ASC|DESC)?\s*$", re.I)
# MLflow's rule for metric and param keys (alphanumerics, _ - . space / :): no quote or backtick can slip in.
_KEY = re.compile(r"^[\w\-. /:]{1,250}$")


@dataclass(frozen=True)
class RunOrder:
    kind: str  # "metric" | "param" | "attribute"
    key: str  # metric/param key, or the attribute's canonical name (start_time, end_time, run_name, status)
    ascending: bool

    @classmethod
    def parse(cls, text: str | None) -> RunOrder:
        if text is None or not text.strip():
            return DEFAULT_ORDER
        match = _CLAUSE.match(text)
        if not match:
            raise bad_request(
                "invalid_order_by",
                "order_by must look like 'metrics.accuracy DESC', 'params.lr ASC' or 'start_time DESC'.",
            )
        kind_word = (match["kind"] or "attributes").lower()
        kind = _KINDS.get(kind_word)
        key = match["key"].strip("`")
        if kind is None:
            raise bad_request(
                "invalid_order_by", f"Runs can be ordered by metrics, params or attributes, not '{kind_word[:40]}'."
            )
        if kind == "attribute":
            if key not in ATTRIBUTES:
                raise bad_request("invalid_order_by", "Run attributes to order by: start_time, end_time, name, status.")
            key = ATTRIBUTES[key]
        elif not _KEY.match(key):
            raise bad_request("invalid_order_by", f"'{key[:60]}' is not a valid {kind} name.")
        return cls(kind, key, (match["dir"] or "DESC").upper() == "ASC")

    @property
    def is_value(self) -> bool:
        """Ordering by a logged value (metric or param), which a run may lack."""
        return self.kind in ("metric", "param")

    def mlflow_clause(self) -> str:
        direction = "ASC" if self.ascending else "DESC"
        if self.kind == "attribute":
            return f"attributes.{self.key} {direction}"
        return f"{self.kind}s.`{self.key}` {direction}"

    def text(self) -> str:
        """The canonical wire form, also used in cache keys and page tokens."""
        return self.mlflow_clause()

    def value_of(self, run: dict) -> Any:
        if self.kind == "metric":
            return run["metrics"].get(self.key)
        if self.kind == "param":
            return run["params"].get(self.key)
        return run.get("name" if self.key == "run_name" else self.key)

    def sort(self, runs: Iterable[dict]) -> list[dict]:
        """Sorted as MLflow's SQL store would: present values first (either direction), newest, then id."""
        runs = sorted(runs, key=lambda r: r["id"])
        runs.sort(key=lambda r: -(r.get("start_time") or 0))
        present = [r for r in runs if _present(self.value_of(r))]
        missing = [r for r in runs if not _present(self.value_of(r))]
        present.sort(key=lambda r: _sortable(self.value_of(r)), reverse=not self.ascending)
        return present + missing


def unknown_key_error(order: RunOrder, page: list[dict], filtered: bool):
    """400 for ordering by a metric or param that no run has: the top run of such an order lacks it."""
    field = "metrics" if order.kind == "metric" else "params"
    known = sorted({key for run in page for key in run[field]})[:12]
    scope = "matching this filter " if filtered else "in this experiment "
    hint = f" Its runs log: {', '.join(known)}." if known else ""
    return bad_request(
        "unknown_order_key",
        f"No run {scope}has logged the {order.kind} '{order.key}', so runs cannot be ordered by it.{hint}",
    )


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _sortable(value: Any) -> tuple:
    # Numbers before text, so a param holding "0.1" and one holding "adam" never compare as different types.
    if isinstance(value, bool):
        return (0, float(value), "")
    if isinstance(value, (int, float)):
        return (0, float(value), "")
    return (1, 0.0, str(value))


DEFAULT_ORDER = RunOrder("attribute", "start_time", False)

"""Cost Explorer (``ce``) as AWS answers it, over a ledger of daily line items the seeder writes.

Each line item is one day of one usage: ``{date, service, region, usage_type, instance_type, tags, amount,
hours}``. ``GetCostAndUsage`` filters them (``Dimensions``, ``Tags``, ``And``/``Or``/``Not``), buckets them by day
or calendar month and groups them by up to two dimensions or tags, with AWS's key shapes: a tag group's key is
``<tag key>$<value>`` and the items without the tag fall in ``<tag key>$``. A tag that is not activated for cost
allocation (``UpdateCostAllocationTagsStatus``, or a scenario's ``tag_activated: false``) is on no line item as
far as billing is concerned: everything lands in its untagged bucket, as in an account where nobody activated it.
With a ``GroupBy`` the period's ``Total`` is empty, as AWS leaves it.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

from .awsproto import AwsError, validation

# What a line item answers for each metric; AWS's cost metrics differ only by discounts the world has none of.
COST_METRICS = {"UnblendedCost", "BlendedCost", "AmortizedCost", "NetUnblendedCost", "NetAmortizedCost"}
USAGE_METRICS = {"UsageQuantity", "NormalizedUsageAmount"}
DIMENSIONS = {
    "SERVICE": "service",
    "REGION": "region",
    "USAGE_TYPE": "usage_type",
    "INSTANCE_TYPE": "instance_type",
    "LINKED_ACCOUNT": "account",
    "RECORD_TYPE": "record_type",
}
MAX_GROUP_BY = 2


class CostExplorer:
    def __init__(self):
        self._lock = threading.Lock()
        self.line_items: list[dict] = []
        self.tag_status: dict[str, str] = {}  # tag key → Active | Inactive (a key never set is Active)
        self.operations = {
            "GetCostAndUsage": self.get_cost_and_usage,
            "ListCostAllocationTags": self.list_cost_allocation_tags,
            "UpdateCostAllocationTagsStatus": self.update_cost_allocation_tags_status,
        }

    def reset(self) -> None:
        with self._lock:
            self.line_items = []
            self.tag_status = {}

    def add_line_items(self, items: list[dict]) -> int:
        clean = [_line_item(item) for item in items]
        with self._lock:
            self.line_items.extend(clean)
            return len(self.line_items)

    # --- cost allocation tags ---------------------------------------------------------------------
    def _known_tag_keys(self) -> set[str]:
        return {key for item in self.line_items for key in item["tags"]} | set(self.tag_status)

    def list_cost_allocation_tags(self, region: str, p: dict) -> dict:
        wanted = set(p.get("TagKeys") or [])
        tags = []
        for key in sorted(self._known_tag_keys()):
            status = self.tag_status.get(key, "Active")
            if (wanted and key not in wanted) or (p.get("Status") and p["Status"] != status):
                continue
            kind = "AWSGenerated" if key.startswith("aws:") else "UserDefined"
            if p.get("Type") and p["Type"] != kind:
                continue
            tags.append({"TagKey": key, "Type": kind, "Status": status})
        return {"CostAllocationTags": tags}

    def update_cost_allocation_tags_status(self, region: str, p: dict) -> dict:
        with self._lock:
            for entry in p["CostAllocationTagsStatus"]:
                self.tag_status[entry["TagKey"]] = entry["Status"]
        return {"Errors": []}

    def _billed_tags(self, item: dict) -> dict:
        return {k: v for k, v in item["tags"].items() if self.tag_status.get(k, "Active") == "Active"}

    # --- GetCostAndUsage --------------------------------------------------------------------------
    def get_cost_and_usage(self, region: str, p: dict) -> dict:
        start, end = _day(p["TimePeriod"]["Start"], "Start"), _day(p["TimePeriod"]["End"], "End")
        if start >= end:
            raise validation("Start date (inclusive) must be before end date (exclusive).")
        granularity = p["Granularity"]
        if granularity == "HOURLY":
            raise AwsError("ValidationException", "Hourly granularity is not enabled for this account.")
        metrics = p["Metrics"]
        unknown = [m for m in metrics if m not in COST_METRICS | USAGE_METRICS]
        if unknown:
            raise validation(f"Metrics [{', '.join(unknown)}] are not supported.")
        group_by = p.get("GroupBy") or []
        if len(group_by) > MAX_GROUP_BY:
            raise validation("Group by must have at most 2 group definitions.")
        for group in group_by:
            if group["Type"] == "DIMENSION" and group["Key"] not in DIMENSIONS:
                raise validation(f"Group by dimension {group['Key']} is not supported.")
            if group["Type"] not in ("DIMENSION", "TAG"):
                raise validation(f"Group by type {group['Type']} is not supported here.")
        with self._lock:
            items = [
                {**item, "billed_tags": self._billed_tags(item)}
                for item in self.line_items
                if start <= item["date"] < end
            ]
        expression = p.get("Filter")
        if expression:
            items = [item for item in items if _matches(item, expression)]
        today = datetime.now(timezone.utc).date()
        results = []
        for period_start, period_end in _periods(start, end, granularity):
            in_period = [item for item in items if period_start <= item["date"] < period_end]
            result = {
                "TimePeriod": {"Start": period_start.isoformat(), "End": period_end.isoformat()},
                "Total": {},
                "Groups": [],
                "Estimated": period_end > today - timedelta(days=1),
            }
            if group_by:
                groups: dict[tuple, list[dict]] = {}
                for item in in_period:
                    groups.setdefault(tuple(_group_key(item, g) for g in group_by), []).append(item)
                result["Groups"] = [
                    {"Keys": list(keys), "Metrics": _metrics(members, metrics)}
                    for keys, members in sorted(groups.items())
                ]
            else:
                result["Total"] = _metrics(in_period, metrics)
            results.append(result)
        return {
            "GroupDefinitions": [{"Type": g["Type"], "Key": g["Key"]} for g in group_by],
            "ResultsByTime": results,
            "DimensionValueAttributes": [],
        }


def _line_item(item: dict) -> dict:
    try:
        return {
            "date": _day(item["date"], "date"),
            "service": str(item["service"]),
            "region": str(item.get("region", "us-east-1")),
            "usage_type": str(item.get("usage_type", "")),
            "instance_type": str(item.get("instance_type", "")),
            "account": str(item.get("account", "")),
            "record_type": "Usage",
            "tags": {str(k): str(v) for k, v in (item.get("tags") or {}).items()},
            "amount": float(item["amount"]),
            "hours": float(item.get("hours", 0.0)),
        }
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"a cost line item needs date, service and amount: {err}") from None


def _day(value, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise validation(f"{field} date {value!r} is not in the format YYYY-MM-DD.") from None


def _periods(start: date, end: date, granularity: str):
    if granularity == "DAILY":
        day = start
        while day < end:
            yield day, day + timedelta(days=1)
            day += timedelta(days=1)
        return
    cursor = start  # MONTHLY: calendar months, the first and last clipped to the asked period
    while cursor < end:
        next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        yield cursor, min(next_month, end)
        cursor = next_month


def _group_key(item: dict, group: dict) -> str:
    if group["Type"] == "TAG":
        return f"{group['Key']}${item['billed_tags'].get(group['Key'], '')}"
    return item[DIMENSIONS[group["Key"]]] or f"No{group['Key'].title().replace('_', '')}"


def _metrics(items: list[dict], metrics: list[str]) -> dict:
    answer = {}
    for metric in metrics:
        if metric in COST_METRICS:
            answer[metric] = {"Amount": _amount(sum(i["amount"] for i in items)), "Unit": "USD"}
        else:
            answer[metric] = {"Amount": _amount(sum(i["hours"] for i in items)), "Unit": "Hrs"}
    return answer


def _amount(value: float) -> str:
    return f"{value:.10f}".rstrip("0").rstrip(".") if value else "0"


def _matches(item: dict, expression: dict) -> bool:
    if "And" in expression:
        return all(_matches(item, e) for e in expression["And"])
    if "Or" in expression:
        return any(_matches(item, e) for e in expression["Or"])
    if "Not" in expression:
        return not _matches(item, expression["Not"])
    if "Dimensions" in expression:
        rule = expression["Dimensions"]
        if rule["Key"] not in DIMENSIONS:
            raise validation(f"Filter dimension {rule['Key']} is not supported.")
        return _value_matches(item[DIMENSIONS[rule["Key"]]], rule)
    if "Tags" in expression:
        rule = expression["Tags"]
        value = item["billed_tags"].get(rule.get("Key", ""))
        if "ABSENT" in (rule.get("MatchOptions") or []):
            return value is None
        return value is not None and _value_matches(value, rule)
    raise validation("A filter expression needs one of And, Or, Not, Dimensions or Tags.")


def _value_matches(actual: str, rule: dict) -> bool:
    values = rule.get("Values") or []
    options = rule.get("MatchOptions") or ["EQUALS"]
    if "CASE_INSENSITIVE" in options:
        actual, values = actual.lower(), [v.lower() for v in values]
    if "STARTS_WITH" in options:
        return any(actual.startswith(v) for v in values)
    if "ENDS_WITH" in options:
        return any(actual.endswith(v) for v in values)
    if "CONTAINS" in options:
        return any(v in actual for v in values)
    return actual in values

"""Monthly budgets (row C10): a user profile's and the domain's, against what this month has cost so far.

The admin sets them (``StudioCollabApp.cost_budget_user_profiles``, ``cost_budget_domain``). "Mine" is held to the
viewer's profile budget, "whole domain" to the domain's. Month-to-date is estimated from what runs now: each
resource's hourly price times its hours running since the month began (``source: estimate``): what already stopped
this month is not in it, which the panel says. When the admin enabled Cost Explorer, month-to-date is what AWS billed
this month to the profile's or the domain's Studio tags instead (``source: actual``, ``spend.py``); if Cost Explorer
cannot answer, the estimate stands, with the reason. The forecast adds the current burn rate until the month ends. The
panel raises a notification when the forecast or the month-to-date crosses 80 % and 100 %, once per threshold and
month.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Mapping
from datetime import datetime, timezone

log = logging.getLogger(__name__)

THRESHOLDS = (80, 100)


def clean_budgets(per_profile: Mapping, domain) -> tuple[dict[str, float], float | None]:
    clean: dict[str, float] = {}
    for profile, amount in (per_profile or {}).items():
        value = _amount(amount)  # a number, or a number's text (--StudioCollabApp.cost_budget_user_profiles=a=50)
        if value is not None:
            clean[str(profile)] = value
        else:
            log.warning("cost_budget_user_profiles[%r] = %r is not a positive amount; ignored", profile, amount)
    domain_amount = float(domain) if isinstance(domain, (int, float)) and domain > 0 else None
    return clean, domain_amount


def _amount(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return None
    return amount if 0 < amount < 1e12 else None


class Budgets:
    def __init__(self, per_profile: Mapping | None = None, domain: float | None = None):
        self.per_profile, self.domain = clean_budgets(per_profile or {}, domain)

    def applying(self, scope: str, viewer: str | None, domain_id: str | None) -> tuple[str, str | None, float] | None:
        """(budget scope, whose, amount) for this answer's scope, or None when the admin set none."""
        if scope == "domain":
            return ("domain", domain_id, self.domain) if self.domain else None
        if viewer is None:
            return None
        amount = self.per_profile.get(viewer, self.per_profile.get("*"))
        return ("user_profile", viewer, amount) if amount else None


ESTIMATE_NOTE = (
    "Estimated from what runs now (hourly price × hours since the month began); resources stopped "
    "earlier this month are not in it."
)


def budget_json(
    applying: tuple[str, str | None, float] | None,
    rows: list[dict],
    burn_rate: float,
    now: float,
    actual: dict | None = None,
    actual_unavailable: str | None = None,
) -> dict | None:
    """The budget part of GET cost, from the answer's own rows (already filtered to its scope), or from Cost
    Explorer's month-to-date (``actual``: ``{amount, period}``) when there is one."""
    if applying is None:
        return None
    scope, whose, amount = applying
    moment = datetime.fromtimestamp(now, timezone.utc)
    month_start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    days = calendar.monthrange(moment.year, moment.month)[1]
    month_end = month_start + days * 86400
    month_to_date = 0.0
    for row in rows if actual is None else ():
        hourly, started = row.get("hourly_price"), row.get("started_epoch")
        if hourly is None:
            continue
        since = max(month_start, started if started is not None else month_start)
        month_to_date += hourly * max(0.0, now - since) / 3600
    if actual is not None:
        month_to_date = actual["amount"]
        period = actual["period"]
        note = (
            f"Billed by AWS from {period['start']} to {period['end']} (Cost Explorer, SageMaker, by the Studio "
            "tags of spaces and user profiles); billing lags about a day behind."
        )
    else:
        note = (
            ESTIMATE_NOTE
            if actual_unavailable is None
            else f"{ESTIMATE_NOTE} Cost Explorer's figure is not available: {actual_unavailable}"
        )
    forecast = month_to_date + burn_rate * max(0.0, month_end - now) / 3600
    return {
        "scope": scope,
        "name": whose,
        "amount": round(amount, 2),
        "month": moment.strftime("%Y-%m"),
        "month_to_date": round(month_to_date, 2),
        "forecast": round(forecast, 2),
        "source": "estimate" if actual is None else "actual",
        "billed_period": None if actual is None else actual["period"],
        "percent_used": round(100 * month_to_date / amount, 1),
        "percent_forecast": round(100 * forecast / amount, 1),
        "thresholds": list(THRESHOLDS),
        "crossed": [t for t in THRESHOLDS if month_to_date >= amount * t / 100],
        "forecast_crosses": [t for t in THRESHOLDS if forecast >= amount * t / 100],
        "note": note,
    }

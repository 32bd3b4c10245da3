"""Billed spend per space (row C6, optional): the last 30 days of SageMaker from Cost Explorer.

One ``GetCostAndUsage`` per domain every six hours (Cost Explorer bills each request, and its data lags about a
day anyway): SageMaker only (the SERVICE filter), grouped by the ``sagemaker:space-arn`` tag Studio puts on what
a space runs. AWS answers a group per tag value, ``sagemaker:space-arn$<space ARN>``, and one for everything
without the tag, ``sagemaker:space-arn$``: notebook instances, endpoints and jobs (account resources), and all of
it while the tag is not activated for cost allocation (the admin activates it in the Billing console; AWS needs
up to a day). Each viewer is then shown their own spaces (ListSpaces names the owners) from that one answer.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from ..errors import StudioCollabError

log = logging.getLogger(__name__)

SPACE_TAG = "sagemaker:space-arn"
PROFILE_TAG = "sagemaker:user-profile-arn"
SERVICE = "Amazon SageMaker"
DAYS = 30
CE_TTL_SECONDS = 6 * 3600
CE_RETRY_SECONDS = 900  # a month-to-date Cost Explorer could not give is asked again this much later
LAG_NOTE = "Billed spend from Cost Explorer, SageMaker only; billing lags about a day behind."
TAG_INACTIVE_NOTE = (
    "None of this spend carries the sagemaker:space-arn tag, so it cannot be split by space: an admin activates "
    "sagemaker:space-arn as a cost allocation tag (Billing console → Cost allocation tags); AWS applies it "
    "within about 24 hours, to costs from then on."
)
UNTAGGED_LABEL = "Not tagged with a space: notebook instances, endpoints, training and other jobs"


class BilledSpend:
    def __init__(self, *, aws, context, cache, enabled: bool, spaces_ttl: float = 60.0):
        self.aws = aws
        self.context = context
        self.cache = cache
        self.enabled = enabled
        self.spaces_ttl = spaces_ttl

    async def answer(self, viewer: str | None) -> dict:
        if not self.enabled:
            return {
                "available": False,
                "reason": "Billed spend is off (StudioCollabApp.cost_explorer_enabled).",
                "period": None,
                "total": None,
                "currency": "USD",
                "by_space": [],
                "mine": [],
                "mine_total": None,
                "untagged": None,
                "untagged_label": UNTAGGED_LABEL,
                "other_domains": None,
                "tag_active": None,
                "note": None,
            }
        billed = await self.cache.get(("cost:spend", self.context.domain_id), self._billed, CE_TTL_SECONDS)
        owners = await self._space_owners()
        domain_id = self.context.domain_id
        by_space, other_domains = [], 0.0
        for arn, amount in billed["by_arn"].items():
            space_domain, space_name = _space_of(arn)
            if domain_id and space_domain != domain_id:
                other_domains += amount
                continue
            owner = owners.get(space_name)
            by_space.append(
                {
                    "space_arn": arn,
                    "space_name": space_name,
                    "owner": owner,
                    "amount": round(amount, 2),
                    "mine": viewer is not None and owner == viewer,
                }
            )
        by_space.sort(key=lambda s: (-s["amount"], s["space_name"] or ""))
        mine = [
            {"space_name": s["space_name"], "space_arn": s["space_arn"], "amount": s["amount"]}
            for s in by_space
            if s["mine"]
        ]
        # A space of the viewer's that billed nothing is still theirs to see, at zero.
        billed_names = {s["space_name"] for s in by_space}
        mine += [
            {"space_name": name, "space_arn": None, "amount": 0.0}
            for name, owner in sorted(owners.items())
            if viewer is not None and owner == viewer and name not in billed_names
        ]
        total = sum(billed["by_arn"].values()) + billed["untagged"]
        tag_active = None if total == 0 else bool(billed["by_arn"])
        return {
            "available": True,
            "reason": None,
            "period": billed["period"],
            "total": round(total, 2),
            "currency": billed["currency"],
            "by_space": by_space,
            "mine": mine,
            "mine_total": round(sum(s["amount"] for s in mine), 2),
            "untagged": round(billed["untagged"], 2),
            "untagged_label": UNTAGGED_LABEL,
            "other_domains": round(other_domains, 2) if other_domains else None,
            "tag_active": tag_active,
            "note": f"{TAG_INACTIVE_NOTE} {LAG_NOTE}" if tag_active is False else LAG_NOTE,
        }

    async def _billed(self) -> dict:
        end = datetime.now(timezone.utc).date()
        start = end - timedelta(days=DAYS)
        answer = await self.aws.call(
            "ce",
            "GetCostAndUsage",
            region="us-east-1",  # Cost Explorer's one endpoint
            TimePeriod={"Start": start.isoformat(), "End": end.isoformat()},
            Granularity="MONTHLY",
            Metrics=["UnblendedCost"],
            Filter={"Dimensions": {"Key": "SERVICE", "Values": [SERVICE]}},
            GroupBy=[{"Type": "TAG", "Key": SPACE_TAG}],
        )
        by_arn: dict[str, float] = {}
        untagged, currency = 0.0, "USD"
        for period in answer.get("ResultsByTime") or []:
            for group in period.get("Groups") or []:
                key = (group.get("Keys") or [""])[0]
                value = key.split("$", 1)[1] if "$" in key else ""
                metric = (group.get("Metrics") or {}).get("UnblendedCost") or {}
                currency = metric.get("Unit", currency)
                amount = float(metric.get("Amount", 0) or 0)
                if value:
                    by_arn[value] = by_arn.get(value, 0.0) + amount
                else:
                    untagged += amount
        return {
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "by_arn": by_arn,
            "untagged": untagged,
            "currency": currency,
        }

    # --- month-to-date for budgets (C10, source: actual) ---------------------------------------------------
    async def month_to_date(self, scope: str, whose: str | None) -> dict:
        """This calendar month's billed SageMaker spend of a user profile or of the domain, from one
        ``GetCostAndUsage`` per domain and month every six hours, grouped by the two tags Studio puts on what a
        space runs and what a user creates from it (``sagemaker:space-arn``, ``sagemaker:user-profile-arn``).
        A profile's spend is what carries its profile tag, plus what carries only the tag of a space it owns; the
        domain's, everything tagged with one of its spaces or profiles. Raises ``StudioCollabError`` when Cost
        Explorer cannot answer or the tags are not activated (the budget then says so and estimates)."""
        today = datetime.now(timezone.utc).date()
        month = today.strftime("%Y-%m")
        billed = await self.cache.get(
            ("cost:budget-actuals", self.context.domain_id, month),
            lambda: self._month_groups(today),
            lambda got: CE_RETRY_SECONDS if "error" in got else CE_TTL_SECONDS,
        )
        if "error" in billed:
            raise billed["error"]
        if billed["total"] > 0 and not billed["groups"]:
            raise StudioCollabError("tag_inactive", TAG_INACTIVE_NOTE, 409)
        domain_id = self.context.domain_id
        owners = await self._space_owners() if scope == "user_profile" else {}
        amount = 0.0
        for space_arn, profile_arn, value in billed["groups"]:
            space_domain, space_name = _space_of(space_arn)
            profile_domain, profile_name = _profile_of(profile_arn)
            if domain_id and domain_id not in (space_domain, profile_domain):
                continue
            if (
                scope == "domain"
                or profile_name == whose
                or (profile_name is None and owners.get(space_name) == whose and whose is not None)
            ):
                amount += value
        return {"amount": amount, "period": billed["period"], "currency": billed["currency"]}

    async def _month_groups(self, today) -> dict:
        start = today.replace(day=1)
        end = today + timedelta(days=1)  # the End date is exclusive: today's spend so far is in it
        try:
            answer = await self._month_call(start, end)
        except StudioCollabError as err:
            # Remembered for a while: every poll of every tab would otherwise ask (and pay) again.
            return {"error": err}
        groups: list[tuple[str, str, float]] = []
        total, currency = 0.0, "USD"
        for period in answer.get("ResultsByTime") or []:
            for group in period.get("Groups") or []:
                keys = [key.split("$", 1)[1] if "$" in key else "" for key in group.get("Keys") or []]
                space_arn, profile_arn = (keys + ["", ""])[:2]
                metric = (group.get("Metrics") or {}).get("UnblendedCost") or {}
                currency = metric.get("Unit", currency)
                amount = float(metric.get("Amount", 0) or 0)
                total += amount
                if space_arn or profile_arn:
                    groups.append((space_arn, profile_arn, amount))
        return {
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "groups": groups,
            "total": total,
            "currency": currency,
        }

    async def _month_call(self, start, end) -> dict:
        return await self.aws.call(
            "ce",
            "GetCostAndUsage",
            region="us-east-1",
            TimePeriod={"Start": start.isoformat(), "End": end.isoformat()},
            Granularity="MONTHLY",
            Metrics=["UnblendedCost"],
            Filter={"Dimensions": {"Key": "SERVICE", "Values": [SERVICE]}},
            GroupBy=[{"Type": "TAG", "Key": SPACE_TAG}, {"Type": "TAG", "Key": PROFILE_TAG}],
        )

    async def _space_owners(self) -> dict[str, str | None]:
        """Space name → owning user profile, from the ListSpaces answer the share feature also caches."""
        domain_id = self.context.domain_id
        if not domain_id:
            return {}
        try:
            spaces = await self.cache.get(
                ("ListSpaces", domain_id),
                lambda: self.aws.paginate("sagemaker", "ListSpaces", "Spaces", DomainIdEquals=domain_id),
                self.spaces_ttl,
            )
        except StudioCollabError as err:
            # Spend by space still shows, without owners (nothing is "mine"): the billed figures are the point.
            log.info("studio-collab spend: space owners unknown (%s)", err.message)
            return {}
        return {
            s.get("SpaceName"): (s.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName") for s in spaces
        }


def _space_of(arn: str) -> tuple[str | None, str | None]:
    """(domain id, space name) of ``arn:aws:sagemaker:<region>:<account>:space/<domain>/<space>``."""
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
    parts = resource.split("/")
    if len(parts) == 3 and parts[0] == "space":
        return parts[1], parts[2]
    return None, None


def _profile_of(arn: str) -> tuple[str | None, str | None]:
    """(domain id, profile name) of ``arn:aws:sagemaker:<region>:<account>:user-profile/<domain>/<name>``."""
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
    parts = resource.split("/")
    if len(parts) == 3 and parts[0] == "user-profile":
        return parts[1], parts[2]
    return None, None

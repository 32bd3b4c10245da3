"""SageMaker Experiments (the pre-MLflow service, still holding old teams' history) as runs.

An experiment's runs are the trial components of its trials (ListTrials → ListTrialComponents per trial;
ListTrialComponents filtered by experiment is not honoured everywhere), each described for its parameters
and metric summaries. SageMaker keeps only summaries of a component's metrics (Min, Max, Avg, Last, Count), so a
run's metric is its ``Last`` value, the summaries are in its details, and there is no history to chart.
"""

from __future__ import annotations

import math

from ..errors import StudioCollabError, not_found
from .aws_source import AwsRunSource, experiments_key
from .run_order import RunOrder, unknown_key_error
from .window import epoch_ms, fan_out, page_of, require_region

MAX_EXPERIMENTS = 500
MAX_TRIALS = 200
WINDOW = 500  # trial components per experiment
CONCURRENCY = 8
SUMMARY_FIELDS = ("Min", "Max", "Avg", "Last", "Count", "StdDev")


class LegacyExperimentSource(AwsRunSource):
    name = "legacy"
    title = "SageMaker Experiments (legacy)"

    async def experiments(self) -> list[dict]:
        """Not cached here: the service keeps this list (``experiments_key``), and :meth:`experiment` reads it
        from that same entry, so the list is held once."""
        require_region(self.region)
        summaries = await self._list_experiments()
        return [
            {
                "source": self.name,
                "id": s["ExperimentName"],
                "name": s.get("DisplayName") or s["ExperimentName"],
                "last_update_time": epoch_ms(s.get("LastModifiedTime")),
            }
            for s in summaries
        ]

    async def experiment(self, experiment_id: str) -> dict:
        for experiment in await self.cache.get(experiments_key(self.name), self.experiments, self.ttl):
            if experiment["id"] == experiment_id:
                return experiment
        raise not_found(f"SageMaker experiment '{experiment_id[:80]}'")

    async def runs(
        self, experiment_id: str, order: RunOrder, limit: int, page_token: str | None, filter_text: str | None
    ) -> dict:
        components = await self._components(experiment_id)
        if filter_text:
            needle = filter_text.lower()
            components = [c for c in components if needle in c["name"].lower() or needle in c["id"].lower()]
        runs = order.sort(components)
        page, token, offset = page_of(runs, page_token, limit)
        if order.is_value and offset == 0 and page and order.value_of(page[0]) is None:
            raise unknown_key_error(order, page, bool(filter_text))
        return {
            "runs": page,
            "next_page_token": token,
            "note": f"Shows the {WINDOW} most recent trial components." if len(components) >= WINDOW else None,
        }

    async def run(self, run_id: str) -> dict:
        try:
            described = await self.aws.call(
                "sagemaker", "DescribeTrialComponent", region=self.region, TrialComponentName=run_id[:120]
            )
        except StudioCollabError as err:
            if err.code in ("aws_not_found", "aws_validation"):
                raise not_found(f"Trial component '{run_id[:80]}'") from None
            raise
        return run_from_component(described, None)

    async def run_in(self, experiment_id: str, run_id: str) -> dict:
        for run in await self._components(experiment_id):
            if run["id"] == run_id:
                return run
        raise not_found(f"Trial component '{run_id[:80]}' of experiment '{experiment_id[:80]}'")

    async def metric_history(self, run_id: str, key: str) -> dict:
        raise StudioCollabError(
            "metric_history_unavailable",
            "SageMaker Experiments keeps only summaries (min, "
            "max, last) of a trial component's metrics, not their history.",
            404,
        )

    async def _list_experiments(self) -> list[dict]:
        return await self.aws.paginate(
            "sagemaker",
            "ListExperiments",
            "ExperimentSummaries",
            region=self.region,
            limit=MAX_EXPERIMENTS,
            SortBy="CreationTime",
            SortOrder="Descending",
        )

    async def _components(self, experiment_id: str) -> list[dict]:
        await self.experiment(experiment_id)
        return await self.cache.get(
            ("experiments", self.name, "components", experiment_id),
            lambda: self._load_components(experiment_id),
            self.ttl,
        )

    async def _load_components(self, experiment_id: str) -> list[dict]:
        trials = await self.aws.paginate(
            "sagemaker",
            "ListTrials",
            "TrialSummaries",
            region=self.region,
            limit=MAX_TRIALS,
            ExperimentName=experiment_id,
        )

        async def components_of(trial: dict) -> list[tuple[str, dict]]:
            found = await self.aws.paginate(
                "sagemaker",
                "ListTrialComponents",
                "TrialComponentSummaries",
                region=self.region,
                limit=WINDOW,
                TrialName=trial["TrialName"],
            )
            return [(trial["TrialName"], c) for c in found]

        trials_of: dict[str, list[str]] = {}
        for pairs in await fan_out(trials, components_of, CONCURRENCY):
            for trial_name, component in pairs:
                trials_of.setdefault(component["TrialComponentName"], []).append(trial_name)
        names = list(trials_of)[:WINDOW]

        async def describe(name: str) -> dict:
            described = await self.aws.call(
                "sagemaker", "DescribeTrialComponent", region=self.region, TrialComponentName=name
            )
            run = run_from_component(described, experiment_id)
            run["details"]["trials"] = sorted(trials_of[name])
            return run

        return await fan_out(names, describe, CONCURRENCY)


def run_from_component(component: dict, experiment_id: str | None) -> dict:
    params = {}
    for key, value in (component.get("Parameters") or {}).items():
        if "NumberValue" in value:
            number = value["NumberValue"]
            params[key] = str(int(number)) if float(number).is_integer() else str(number)
        else:
            params[key] = str(value.get("StringValue", ""))
    metrics = [m for m in component.get("Metrics") or [] if isinstance(m.get("MetricName"), str)]
    status = component.get("Status") or {}
    source = component.get("Source") or {}
    created_by = component.get("CreatedBy") or {}
    return {
        "id": component["TrialComponentName"],
        "name": component.get("DisplayName") or component["TrialComponentName"],
        "status": status.get("PrimaryStatus") or "Unknown",
        "start_time": epoch_ms(component.get("StartTime") or component.get("CreationTime")),
        "end_time": epoch_ms(component.get("EndTime")),
        "params": params,
        "metrics": {m["MetricName"]: _finite(m.get("Last")) for m in metrics},
        "tags": {},
        "experiment_id": experiment_id,
        "source": LegacyExperimentSource.name,
        "details": {
            "source_arn": source.get("SourceArn"),
            "status_message": status.get("Message"),
            "created_by": created_by.get("UserProfileName"),
            "trials": [],
            # what SageMaker keeps of each metric instead of its history
            "metric_summaries": {
                m["MetricName"]: {k.lower(): _finite(m.get(k)) for k in SUMMARY_FIELDS} for m in metrics
            },
        },
    }


def _finite(value) -> float | int | None:
    """A summary as JSON can carry it: a diverged run's NaN or infinity becomes null (as MLflow's do)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None

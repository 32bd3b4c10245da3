"""Scenarios: declarative descriptions of a Studio domain, loaded and validated with messages naming the field.

``load_scenario("demo")`` reads ``scenarios/demo.yaml``; ``load_scenario("large")`` generates the benchmark
scenario (1,000 apps, 200 notebook instances, 100 endpoints, 5,000 training jobs); a path loads any file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from .scenario_schema import SCENARIO_SCHEMA

SCENARIO_DIR = Path(__file__).parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario that cannot be seeded; the message names the file and the bad field."""


@dataclass
class Scenario:
    data: dict
    source: str

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def region(self) -> str:
        return self.data.get("region", "us-east-1")

    @property
    def domain_name(self) -> str:
        return self.data["domain"]["name"]

    @property
    def domain_id(self) -> str:
        return f"d-{self.domain_name}"  # the emulator's (moto's) deterministic id

    @property
    def auth_mode(self) -> str:
        return self.data["domain"]["auth_mode"]

    def section(self, key: str) -> list:
        return self.data.get(key) or []

    @property
    def repos(self) -> list[dict]:
        return (self.data.get("git") or {}).get("repos") or []

    @property
    def lab_space(self) -> str | None:
        return self.data.get("lab_space") or next(
            (s["name"] for s in self.section("spaces") if s["sharing"] == "Private"), None
        )

    def space(self, name: str) -> dict:
        return next(s for s in self.section("spaces") if s["name"] == name)

    @property
    def shared_spaces(self) -> list[str]:
        return [s["name"] for s in self.section("spaces") if s["sharing"] == "Shared"]

    @property
    def tracking_servers(self) -> list[str]:
        return [t["name"] for t in self.section("mlflow_tracking_servers")]


def available_scenarios() -> list[str]:
    return sorted([p.stem for p in SCENARIO_DIR.glob("*.yaml")] + ["large"])


def load_scenario(name_or_path: str | Path) -> Scenario:
    if str(name_or_path) == "large":
        return validate_scenario(large_scenario(), "generated scenario 'large'")
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise ScenarioError(
                f"No scenario named {name_or_path!r}; choose one of {', '.join(available_scenarios())} "
                "or give a path to a YAML file."
            )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ScenarioError(f"Cannot read scenario file {path}: {err.strerror}.") from err
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path} is not valid YAML: {err}") from err
    return validate_scenario(data, str(path))


def validate_scenario(data, source: str) -> Scenario:
    import jsonschema

    validator = jsonschema.Draft202012Validator(SCENARIO_SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = _field_path(first.absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        raise ScenarioError(f"{source}: field {where}: {first.message}{more}")
    _check_references(data, source)
    return Scenario(data, source)


def _field_path(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _check_references(data: dict, source: str) -> None:
    repos = {r["name"] for r in (data.get("git") or {}).get("repos") or []}
    profiles = {p["name"] for p in data.get("user_profiles") or []}
    spaces = {s["name"] for s in data.get("spaces") or []}

    def fail(where: str, message: str):
        raise ScenarioError(f"{source}: field {where}: {message}")

    def check_repos(where: str, names):
        for i, name in enumerate(names or []):
            if name not in repos:
                fail(f"{where}[{i}]", f"names repo {name!r}, which git.repos does not define")

    check_repos("domain.code_repositories", data["domain"].get("code_repositories"))
    check_repos("domain.space_code_repositories", data["domain"].get("space_code_repositories"))
    for section, _names in (("user_profiles", profiles), ("spaces", spaces)):
        seen: set[str] = set()
        for i, item in enumerate(data.get(section) or []):
            if item["name"] in seen:
                fail(f"{section}[{i}].name", f"{item['name']!r} is defined twice")
            seen.add(item["name"])
            check_repos(f"{section}[{i}].code_repositories", item.get("code_repositories"))
    for i, space in enumerate(data.get("spaces") or []):
        if space["owner"] not in profiles:
            fail(f"spaces[{i}].owner", f"{space['owner']!r} is not one of user_profiles")
    for i, app in enumerate(data.get("apps") or []):
        if app["space"] not in spaces:
            fail(f"apps[{i}].space", f"{app['space']!r} is not one of spaces")
    for i, secret in enumerate(data.get("secrets") or []):
        if secret["git_token_for"] not in repos:
            fail(f"secrets[{i}].git_token_for", f"{secret['git_token_for']!r} is not one of git.repos")
    for i, experiment in enumerate(data.get("experiments") or []):
        for j, run in enumerate(experiment.get("runs") or []):
            if run["trial"] not in (experiment.get("trials") or []):
                fail(f"experiments[{i}].runs[{j}].trial", f"{run['trial']!r} is not one of the experiment's trials")
    if data.get("lab_space") and data["lab_space"] not in spaces:
        fail("lab_space", f"{data['lab_space']!r} is not one of spaces")
    if data["domain"]["auth_mode"] == "SSO":
        for i, profile in enumerate(data.get("user_profiles") or []):
            if not profile.get("sso_user"):
                fail(f"user_profiles[{i}].sso_user", "is required in an SSO (IAM Identity Center) domain")


def large_scenario(seed: int = 7) -> dict:
    """The benchmark domain: 200 people, 1,000 spaces each running an app, and a busy account around them."""
    rng = random.Random(seed)
    instances = ["ml.t3.medium", "ml.t3.large", "ml.m5.large", "ml.m5.xlarge", "ml.g4dn.xlarge", "ml.g5.xlarge"]
    nb_types = ["ml.t3.medium", "ml.t3.large", "ml.m5.xlarge", "ml.c5.xlarge", "ml.p3.2xlarge"]
    profiles = [{"name": f"user-{i:03d}"} for i in range(200)]
    spaces, apps = [], []
    for i in range(1000):
        owner = profiles[i % 200]["name"]
        shared = i % 10 == 0
        name = f"space-{i:04d}"
        spaces.append(
            {
                "name": name,
                "owner": owner,
                "sharing": "Shared" if shared else "Private",
                "app_type": "CodeEditor" if i % 7 == 3 else "JupyterLab",
            }
        )
        apps.append(
            {
                "space": name,
                "instance_type": rng.choice(instances),
                "started_hours_ago": round(rng.uniform(0.1, 400), 2),
                "status": "Deleted" if i % 9 == 4 else "InService",
            }
        )
    statuses = ["Completed"] * 6 + ["Failed", "InProgress", "Stopped"]
    jobs = []
    for i in range(5000):
        status = rng.choice(statuses)
        job = {
            "name": f"train-{i:05d}",
            "status": status,
            "instance_type": rng.choice(instances[2:]),
            "hyperparameters": {
                "learning_rate": str(round(rng.uniform(0.001, 0.3), 4)),
                "max_depth": str(rng.randint(3, 10)),
            },
            "started_hours_ago": round(rng.uniform(0, 2000), 2),
            "duration_minutes": round(rng.uniform(2, 300), 1),
        }
        if status == "Completed":
            job["metrics"] = {"validation:auc": round(rng.uniform(0.6, 0.99), 4)}
        if status == "Failed":
            job["failure_reason"] = "AlgorithmError: training diverged (loss is NaN)"
        jobs.append(job)
    # What people forget (cost row C9), at a busy domain's scale: training jobs whose instances wait in a warm pool,
    # scheduled notebook jobs, model copies on endpoints, MLflow Apps (the stopped spaces are the ones above whose
    # app is deleted). Chosen without the generator, so the rest of the scenario stays as it was.
    for i in range(20):
        owner = profiles[(i * 7) % 200]["name"]
        jobs.append(
            {
                "name": f"warm-{i:03d}",
                "status": "Completed",
                "instance_type": instances[2 + i % 4],
                "instance_count": 1 + i % 3,
                "started_hours_ago": 0.1 + (i % 5) * 0.05,
                "duration_minutes": 5,
                "warm_pool_minutes": 60,
                "owner": owner,
            }
        )
    forgotten = {
        "notebook_jobs": [
            {
                "name": f"nightly-{i:03d}",
                "notebook": f"reports/report-{i:03d}.ipynb",
                "instance_type": instances[2 + i % 4],
                "owner": profiles[(i * 11) % 200]["name"],
                "space": f"space-{(i * 11) % 1000:04d}",
            }
            for i in range(20)
        ],
        "inference_components": [
            {
                "name": f"component-{i:03d}",
                "endpoint": f"endpoint-{i:03d}",
                "copies": 1,
                "owner": profiles[(i * 13) % 200]["name"],
            }
            for i in range(20)
        ],
        "mlflow_apps": [
            {
                "name": f"mlflow-app-{i:02d}",
                "owner": profiles[(i * 17) % 200]["name"],
                "started_hours_ago": 24.0 * (i + 1),
            }
            for i in range(10)
        ],
    }
    return {
        **forgotten,
        "name": "large",
        "description": "Benchmark domain: many people, many resources.",
        "region": "us-east-1",
        "domain": {
            "name": "large",
            "auth_mode": "IAM",
            "network": "PublicInternetOnly",
            "vpc": "default",
            "idle": {"lifecycle_management": "ENABLED", "idle_timeout_minutes": 120},
        },
        "user_profiles": profiles,
        "spaces": spaces,
        "apps": apps,
        "notebook_instances": [
            {
                "name": f"notebook-{i:03d}",
                "instance_type": rng.choice(nb_types),
                "status": "InService" if i % 3 else "Stopped",
                "started_hours_ago": round(rng.uniform(1, 3000), 1),
            }
            for i in range(200)
        ],
        # moto accepts only its own (older) list of hosting instance types
        "endpoints": [
            {
                "name": f"endpoint-{i:03d}",
                "instance_type": rng.choice(["ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge", "ml.g4dn.xlarge"]),
                "count": rng.randint(1, 4),
                "started_hours_ago": round(rng.uniform(1, 3000), 1),
            }
            for i in range(100)
        ],
        "training_jobs": jobs,
        "mlflow_tracking_servers": [{"name": "large-mlflow", "size": "Medium"}],
    }

"""Scenario files: the shipped ones load, and a bad field is named in the error."""

import copy

import pytest
from studio_world.scenario import ScenarioError, load_scenario, validate_scenario


@pytest.mark.parametrize("name", ["demo", "manual"])
def test_shipped_scenarios_load(name):
    scenario = load_scenario(name)
    assert scenario.lab_space in [s["name"] for s in scenario.section("spaces")]
    assert scenario.shared_spaces


def test_large_scenario_sizes():
    large = load_scenario("large")
    sizes = {k: len(large.section(k)) for k in ("apps", "notebook_instances", "endpoints", "training_jobs")}
    # 5,000 generated training jobs plus 20 whose instances wait in a warm pool (the forgotten kinds)
    assert sizes == {"apps": 1000, "notebook_instances": 200, "endpoints": 100, "training_jobs": 5020}
    assert sum(1 for j in large.section("training_jobs") if j.get("warm_pool_minutes")) == 20
    assert {j["status"] for j in large.section("training_jobs")} == {"Completed", "Failed", "InProgress", "Stopped"}


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d["spaces"][0].update(sharing="Public"), "spaces[0].sharing"),
        (lambda d: d["domain"].update(auth_mode="LDAP"), "domain.auth_mode"),
        (lambda d: d["apps"][1].update(space="nowhere"), "apps[1].space"),
        (lambda d: d["spaces"][2].update(owner="mallory"), "spaces[2].owner"),
        (lambda d: d["domain"]["code_repositories"].append("ghost-repo"), "domain.code_repositories[2]"),
        (lambda d: d["training_jobs"][0].update(status="Exploded"), "training_jobs[0].status"),
        (lambda d: d["domain"]["idle"].update(idle_timeout_minutes=5), "domain.idle.idle_timeout_minutes"),
        (lambda d: d.update(colour="blue"), "(top level)"),
    ],
)
def test_bad_fields_are_named(mutate, field):
    data = copy.deepcopy(load_scenario("demo").data)
    mutate(data)
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data, "bad.yaml")
    assert str(err.value).startswith(f"bad.yaml: field {field}:")


def test_unknown_scenario_and_bad_yaml(tmp_path):
    with pytest.raises(ScenarioError, match="No scenario named 'nope'; choose one of demo, large, manual"):
        load_scenario("nope")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="is not valid YAML"):
        load_scenario(broken)

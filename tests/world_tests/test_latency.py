"""AWS's per-call latency in the emulator: a profile per operation family, zero unless chosen, zero after a reset."""

import time

import pytest
from studio_world.latency import AWS_PROFILE, LatencyProfile, parse_profile


def test_first_matching_pattern_applies_and_unknown_profiles_are_refused():
    profile = LatencyProfile({"sagemaker:ListApps": 5, "sagemaker:List*": 80, "*": 1})
    assert profile.milliseconds("sagemaker:ListApps") == 5
    assert profile.milliseconds("sagemaker:ListSpaces") == 80
    assert profile.milliseconds("s3:GetObject") == 1
    assert LatencyProfile().milliseconds("sagemaker:ListApps") == 0  # zero unless chosen
    aws = LatencyProfile("aws")
    assert aws.milliseconds("sagemaker:Search") == dict(AWS_PROFILE)["sagemaker:Search"]
    assert aws.milliseconds("sagemaker:DescribeDomain") == dict(AWS_PROFILE)["sagemaker:Describe*"]
    assert aws.milliseconds("ce:GetCostAndUsage") == dict(AWS_PROFILE)["ce:*"]
    for bad in ("fast", '{"sagemaker:*": -1}', '["sagemaker:*"]', {"*": "ten"}):
        with pytest.raises(ValueError):
            parse_profile(bad)


def test_the_world_waits_per_call_then_forgets_the_profile_at_reset(world):
    sm = world.client("sagemaker")
    sm.list_apps(DomainIdEquals=world.domain_id)  # connection made before timing
    answer = world.control.latency({"sagemaker:ListApps": 300})
    assert answer["rules"] == [{"operation": "sagemaker:ListApps", "latency_ms": 300.0}]
    began = time.perf_counter()
    sm.list_apps(DomainIdEquals=world.domain_id)
    assert time.perf_counter() - began >= 0.3  # a lower bound: the emulator slept before answering
    assert world.calls()["sagemaker:ListApps"] == 2
    world.local.control.reset()
    assert world.control.latency() == {"profile": "zero", "rules": []}


def test_control_route_refuses_a_bad_profile(world):
    with pytest.raises(RuntimeError, match="400"):
        world.control.latency("fast")

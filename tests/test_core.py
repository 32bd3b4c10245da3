"""The wiring object: built from the options without a server, one typed attribute per feature, and every route
handed exactly the keyword arguments its handler's ``initialize`` declares."""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest
from traitlets.config import Config

from studio_collab.app import StudioCollabApp
from studio_collab.config import RefusedFeature
from studio_collab.core import BASE_PACKAGES, FEATURES, Core, build_core, present_features
from studio_collab.cost.service import CostService
from studio_collab.domain.service import DomainPosture
from studio_collab.experiments.service import ExperimentsService
from studio_collab.git.service import GitService
from studio_collab.share.service import ShareService

SERVICE_TYPES = {
    "git": GitService,
    "share": ShareService,
    "experiments": ExperimentsService,
    "cost": CostService,
    "domain": DomainPosture,
}


@pytest.fixture
def core_of(tmp_path, outside_studio, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    built = []

    def build(**options) -> Core:
        options.setdefault("share_folder", str(tmp_path / "shares"))
        app = StudioCollabApp(config=Config({"StudioCollabApp": options}))
        core = build_core(app, tmp_path / "root")
        built.append(core)
        return core

    yield build
    for core in built:
        core.aws.close()


def test_each_feature_is_a_typed_attribute_built_from_its_options(core_of):
    core = core_of(git_timeout_seconds=42, share_max_bytes=1234, cost_stop_kinds=["app", "notebook_instance"])
    fields = {f.name for f in dataclasses.fields(Core)}
    assert set(FEATURES) | {"domain"} <= fields
    for name, kind in SERVICE_TYPES.items():
        assert isinstance(getattr(core, name), kind), name
    assert list(core.features()) == list(present_features()) == list(FEATURES)
    assert core.settings.git.timeout_seconds == 42.0 and core.git.timeout == 42.0
    assert core.settings.share.max_bytes == 1234 and core.share.settings.max_bytes == 1234
    assert core.settings.cost.stop_kinds == ("app", "notebook_instance")
    assert core.aws.settings.region == "us-east-1"
    assert core.config_problems == []
    # the experiments' restore and the git routes share one GitService, the routes one JobRegistry
    assert core.experiments.restorer.git is core.git


def test_a_refused_option_turns_off_only_its_feature_and_a_core_one_every_feature(core_of):
    core = core_of(share_max_bytes=-1)
    assert isinstance(core.share, RefusedFeature) and "share_max_bytes" in core.share.reason
    assert all(isinstance(getattr(core, n), SERVICE_TYPES[n]) for n in SERVICE_TYPES if n != "share")
    core = core_of(aws_max_attempts=0)
    assert all(isinstance(getattr(core, n), RefusedFeature) for n in SERVICE_TYPES)


def test_every_route_gets_exactly_what_its_handler_declares(core_of):
    core = core_of()
    for package in (*BASE_PACKAGES, *present_features()):
        routes = importlib.import_module(f"studio_collab.{package}.routes").route_handlers(core)
        assert routes, package
        for pattern, handler, kwargs in routes:
            parameters = inspect.signature(handler.initialize).parameters.values()
            declared = {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}
            required = {
                p.name
                for p in parameters
                if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
            }
            assert required <= set(kwargs) <= declared, (pattern, handler.__name__, sorted(kwargs), sorted(declared))
            for key, value in kwargs.items():  # every service present (only the label may be unset)
                assert value is not None or key == "environment_label", (pattern, handler.__name__, key)

"""The Stop button is offered exactly where the server's stop rules (cost/stop.py, tests/identity/test_stop_matrix.py)
would act: the kind enabled by the admin, and the viewer's own app or notebook instance."""

from __future__ import annotations

import pytest

from studio_collab.cost.report import can_stop

DEFAULT = frozenset({"app"})
ALL = frozenset({"app", "notebook_instance", "mlflow_tracking_server", "mlflow_app"})


@pytest.mark.parametrize(
    "kind,mine,owner,kinds,offered",
    [
        ("app", True, "alice", DEFAULT, True),
        ("app", False, "bob", DEFAULT, False),
        ("app", False, None, ALL, False),
        ("notebook_instance", True, "alice", DEFAULT, False),  # not enabled by the admin
        ("notebook_instance", True, "alice", ALL, True),
        ("notebook_instance", False, None, ALL, True),  # owner unknown to the table: the server reads its tag
        ("notebook_instance", False, "bob", ALL, False),
        ("mlflow_tracking_server", False, None, DEFAULT, False),
        ("mlflow_tracking_server", False, None, ALL, True),  # no profile created it
        ("mlflow_tracking_server", False, "bob", ALL, False),
        ("endpoint", True, "alice", ALL, False),  # not a kind the product stops
    ],
)
def test_stop_is_offered_only_where_the_server_would_stop(kind, mine, owner, kinds, offered):
    assert can_stop(kind, mine, owner, kinds) is offered

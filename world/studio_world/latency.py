"""How long AWS takes to answer each call, in the emulator: a per-operation latency profile.

The emulator answers in microseconds; AWS's API answers in tens of milliseconds, and a paginated listing pays
that once per page, one page after another. A benchmark of the inventory or of experiments against a world that
answers at once says nothing about what a Studio user waits for, so the world can add, before each answer, the
latency AWS would take. The figures of the ``aws`` profile and where they come from are in ``docs/aws-latency.md``.

Profiles: ``zero`` (the default: what tests use, so that they stay fast) and ``aws``; or a JSON object
``{"sagemaker:List*": 80, "*": 40}`` (operation pattern → milliseconds; the first matching pattern applies, in
the object's order). Chosen with ``STUDIO_WORLD_AWS_LATENCY`` (read by :class:`~studio_world.local_world.
LocalWorld`), ``python -m studio_world.emulator --aws-latency``, or ``POST /_emulator/latency {"profile": ...}``.
A reset of the emulator puts it back to zero; ``LocalWorld`` applies its profile after seeding, so that seeding a
large scenario is never slowed down.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time

ENVIRONMENT_VARIABLE = "STUDIO_WORLD_AWS_LATENCY"

# (operation pattern, milliseconds) — see docs/aws-latency.md for each figure's source.
AWS_PROFILE: tuple[tuple[str, float], ...] = (
    ("sagemaker:Search", 150),
    ("sagemaker:List*", 80),
    ("sagemaker:Describe*", 50),
    ("sagemaker:Create*", 150),
    ("sagemaker:Update*", 150),
    ("sagemaker:Delete*", 150),
    ("sagemaker:Start*", 150),
    ("sagemaker:Stop*", 150),
    ("sagemaker:CreatePresigned*", 80),
    ("sagemaker:*", 60),
    ("s3:*", 30),
    ("ce:*", 500),
    ("pricing:*", 200),
    ("sts:*", 30),
    ("secretsmanager:*", 30),
    ("*", 50),
)

PROFILES: dict[str, tuple[tuple[str, float], ...]] = {"zero": (), "aws": AWS_PROFILE}


def parse_profile(spec: str | dict | None) -> tuple[str, tuple[tuple[str, float], ...]]:
    """``"zero"``, ``"aws"``, a JSON object (as text or a dict) → (name, rules). Raises ValueError."""
    if spec is None or spec == "":
        return "zero", ()
    if isinstance(spec, str) and spec in PROFILES:
        return spec, PROFILES[spec]
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError:
            raise ValueError(
                f"latency profile must be one of {', '.join(PROFILES)} or a JSON object "
                f'{{"sagemaker:List*": 80}}, not {spec!r}'
            ) from None
    if not isinstance(spec, dict):
        raise ValueError("a custom latency profile is a JSON object: operation pattern -> milliseconds")
    rules = []
    for pattern, milliseconds in spec.items():
        if not isinstance(milliseconds, (int, float)) or isinstance(milliseconds, bool) or milliseconds < 0:
            raise ValueError(f"latency of {pattern!r} must be a number of milliseconds >= 0")
        rules.append((str(pattern), float(milliseconds)))
    return "custom", tuple(rules)


class LatencyProfile:
    """Thread-safe: the emulator's request threads read it while a control request may replace it."""

    def __init__(self, spec: str | dict | None = None, sleep=time.sleep):
        self._lock = threading.Lock()
        self._sleep = sleep
        self.name, self.rules = parse_profile(spec)

    def set(self, spec: str | dict | None) -> dict:
        name, rules = parse_profile(spec)
        with self._lock:
            self.name, self.rules = name, rules
        return self.describe()

    def describe(self) -> dict:
        with self._lock:
            return {"profile": self.name, "rules": [{"operation": p, "latency_ms": ms} for p, ms in self.rules]}

    def milliseconds(self, operation: str) -> float:
        with self._lock:
            rules = self.rules
        return next((ms for pattern, ms in rules if fnmatch.fnmatchcase(operation, pattern)), 0.0)

    def wait(self, operation: str) -> None:
        """Sleep as long as AWS would take to answer ``operation`` (in the request's own thread: concurrent
        calls overlap, as they do at AWS)."""
        milliseconds = self.milliseconds(operation)
        if milliseconds:
            self._sleep(milliseconds / 1000)

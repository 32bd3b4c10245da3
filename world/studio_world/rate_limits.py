"""AWS's API rate limits in the emulator: a token bucket per account and per operation.

SageMaker throttles its control plane per account and region, not per caller: 200 spaces polling the same
List* call share one bucket, and once it is empty every caller (and every other tool of the account) gets
``ThrottlingException``. The figures and why they were chosen are in ``docs/aws-rates.md``. Off until a test,
benchmark or ``make lab`` turns them on (``POST /_emulator/rate_limits``), so that seeding a large scenario is
not itself throttled.
"""

from __future__ import annotations

import fnmatch
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass

from .awsproto import AwsError

# (operation pattern, requests per second, burst): the first matching pattern applies. See docs/aws-rates.md.
DEFAULT_RATES: tuple[tuple[str, float, float], ...] = (
    ("sagemaker:Search", 5, 10),
    ("sagemaker:List*", 10, 20),
    ("sagemaker:Describe*", 20, 40),
    ("sagemaker:Create*", 5, 10),
    ("sagemaker:Update*", 5, 10),
    ("sagemaker:Delete*", 5, 10),
    ("sagemaker:Stop*", 5, 10),
    ("sagemaker:Start*", 5, 10),
    ("sagemaker:*", 10, 20),
    ("ce:*", 5, 5),
)
_ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class RateLimits:
    def __init__(self, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self.enabled = False
        self.rates: tuple[tuple[str, float, float], ...] = DEFAULT_RATES
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self.throttled: Counter[str] = Counter()

    def configure(self, enabled: bool | None = None, rates: list | None = None) -> dict:
        with self._lock:
            if enabled is not None:
                self.enabled = bool(enabled)
            if rates is not None:
                parsed = []
                for rule in rates:
                    pattern, rate, burst = rule["operation"], float(rule["rate"]), float(rule["burst"])
                    if rate <= 0 or burst < 1 or ":" not in pattern:
                        raise ValueError("each rate needs operation 'service:Pattern*', rate > 0 and burst >= 1")
                    parsed.append((pattern, rate, burst))
                self.rates = tuple(parsed) + DEFAULT_RATES
            self._buckets.clear()
        return self.describe()

    def describe(self) -> dict:
        with self._lock:
            return {
                "enabled": self.enabled,
                "per": "account and operation",
                "rates": [{"operation": p, "rate": r, "burst": b} for p, r, b in self.rates],
                "throttled": dict(self.throttled),
            }

    def reset(self) -> None:
        with self._lock:
            self.enabled = False
            self.rates = DEFAULT_RATES
            self._buckets.clear()
            self.throttled.clear()

    def clear_counts(self) -> None:
        with self._lock:
            self.throttled.clear()

    def check(self, operation: str, environ: dict) -> None:
        """Take a token for ``operation`` from the caller's account bucket, or answer as AWS does when empty."""
        if not self.enabled:
            return
        account = _account(environ)
        with self._lock:
            rule = next(((p, r, b) for p, r, b in self.rates if fnmatch.fnmatchcase(operation, p)), None)
            if rule is None:
                return
            key = (account, operation)
            bucket = self._buckets.get(key)
            now = self._clock()
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(rule[1], rule[2], rule[2], now)
            if bucket.take(now):
                return
            self.throttled[operation] += 1
        raise AwsError("ThrottlingException", "Rate exceeded", 400)


def _account(environ: dict) -> str:
    """The caller's account, as its access key stands for it here (every key of the world is one account)."""
    found = _ACCESS_KEY.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else "anonymous"

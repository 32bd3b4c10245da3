"""The inventory's AWS calls, paced under the account's rate limits (row C8).

SageMaker throttles List*/Describe* per account, so a burst from one inventory round can throttle every other
tool of the account. Each operation here takes a token from its own bucket first (rates a little under the
figures in docs/aws-rates.md; ``StudioCollabApp.cost_aws_rates``), so a round spreads itself instead of bursting.
A call AWS throttles anyway (other tools share the account) is retried after a jittered, growing pause; a user
sees ThrottlingException only if it outlasts every retry, and then as the kind's last good rows, marked stale.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import random
import time
from collections.abc import Mapping
from typing import Any

from ..errors import StudioCollabError

log = logging.getLogger(__name__)

# operation pattern → (requests per second, burst); the first match wins, "*" is the rest.
DEFAULT_RATES: dict[str, tuple[float, float]] = {
    "Search": (4, 8),
    "ListTags": (16, 32),
    "List*": (8, 16),
    "Describe*": (16, 32),
    "*": (8, 16),
}
RETRY_PAUSES = (0.25, 0.5, 1.0, 2.0)  # seconds before each retry of a throttled call (then given up)


class _Bucket:
    def __init__(self, rate: float, burst: float, clock):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.updated = burst, clock()

    def wait_for_token(self) -> float:
        """Take a token now or reserve the next one; the seconds to wait before using it."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class PacedAws:
    """The AWS seam with a token bucket per operation and retries of throttled calls; same ``call``/``paginate``
    as :class:`AwsClients`, whose other members it passes through."""

    def __init__(
        self,
        aws,
        rates: Mapping[str, Any] | None = None,
        clock=time.monotonic,
        retry_pauses: tuple[float, ...] = RETRY_PAUSES,
    ):
        self._aws = aws
        self._rates = clean_rates(rates)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._retry_pauses = retry_pauses
        self.throttled_retries = 0  # calls AWS throttled that a retry then got through (read by the benchmark)

    def __getattr__(self, name: str):
        return getattr(self._aws, name)

    async def call(self, service: str, operation: str, region: str | None = None, **params) -> dict:
        return await self._paced(operation, lambda: self._aws.call(service, operation, region, **params))

    async def paginate(
        self,
        service: str,
        operation: str,
        result_key: str,
        region: str | None = None,
        limit: int | None = None,
        **params,
    ) -> list:
        return await self._paced(
            operation, lambda: self._aws.paginate(service, operation, result_key, region, limit, **params)
        )

    async def _paced(self, operation: str, send):
        for attempt in range(len(self._retry_pauses) + 1):
            wait = self._bucket(operation).wait_for_token()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                answer = await send()
            except StudioCollabError as err:
                if err.code != "aws_throttled" or attempt == len(self._retry_pauses):
                    raise
                pause = self._retry_pauses[attempt] * (0.5 + random.random())  # noqa: S311 - jitter, not crypto
                log.info("studio-collab cost: AWS throttled %s; retrying in %.2f s", operation, pause)
                await asyncio.sleep(pause)
                continue
            if attempt:
                self.throttled_retries += 1
            return answer
        raise AssertionError("unreachable")

    def _bucket(self, operation: str) -> _Bucket:
        bucket = self._buckets.get(operation)
        if bucket is None:
            rate, burst = next(v for p, v in self._rates.items() if fnmatch.fnmatchcase(operation, p))
            bucket = self._buckets[operation] = _Bucket(rate, burst, self._clock)
        return bucket


def clean_rates(rates: Mapping[str, Any] | None) -> dict[str, tuple[float, float]]:
    """The admin's ``{pattern: [rate, burst]}`` first, then the defaults; a malformed entry is logged, not used."""
    clean: dict[str, tuple[float, float]] = {}
    for pattern, value in (rates or {}).items():
        try:
            rate, burst = (float(value[0]), float(value[1]))
        except (TypeError, ValueError, IndexError):
            log.warning("cost_aws_rates[%r] = %r is not [rate, burst]; ignored", pattern, value)
            continue
        if rate <= 0 or burst < 1:
            log.warning("cost_aws_rates[%r]: rate must be > 0 and burst >= 1; ignored", pattern)
            continue
        clean[str(pattern)] = (rate, burst)
    for pattern, value in DEFAULT_RATES.items():
        clean.setdefault(pattern, value)
    return clean

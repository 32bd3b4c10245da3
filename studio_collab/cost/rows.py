"""The pieces every collector of the inventory shares: a kind's result, a resource row, the Describe fan-out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import StudioCollabError

# Every SageMaker list here accepts 100 per page (AWS's maximum): ten times fewer calls than its default.
PAGE = {"PaginationConfig": {"PageSize": 100}}


@dataclass
class KindResult:
    kind: str
    resources: list[dict] = field(default_factory=list)
    error: StudioCollabError | None = None
    # Partial trouble that still leaves rows to show (e.g. no permission to describe endpoints).
    notes: list[str] = field(default_factory=list)
    stale_since: float | None = None  # set when these rows are a previous round's, kept through a failure

    @property
    def transient(self) -> bool:
        return self.error is not None and self.error.code != "aws_access_denied"


def resource_row(
    kind: str,
    name: str,
    *,
    arn: str | None = None,
    instance_type: str | None = None,
    count: Any = None,
    status: str | None = None,
    started: Any = None,
    owner: str | None = None,
    space: str | None = None,
    component: str | None = None,
    **extra: Any,
) -> dict:
    """One running resource, in the field names of the GET cost answer (pricing is added later)."""
    started_at = started if isinstance(started, datetime) else None
    row = {
        "kind": kind,
        "name": name,
        "arn": arn,
        "instance_type": instance_type,
        "count": int(count) if isinstance(count, (int, float)) else None,
        "status": status,
        "started": started_at.isoformat() if started_at else None,
        "owner": owner,
        "space": space,
        "component": component,
        "started_epoch": started_at.timestamp() if started_at else None,
    }
    row.update(extra)
    return row


class DescribeFanOut:
    """Describe* calls of one inventory round, all through one semaphore (``cost_describe_concurrency``)."""

    def __init__(self, aws, concurrency: int):
        self.aws = aws
        self.limiter = asyncio.Semaphore(max(1, concurrency))
        self._lists: dict[str, asyncio.Future] = {}

    async def once(self, key: str, load: Callable[[], Awaitable[Any]]) -> Any:
        """One answer per round for a list several kinds need (ListSpaces feeds apps, storage and owners)."""
        if key not in self._lists:
            self._lists[key] = asyncio.ensure_future(load())
        return await asyncio.shield(self._lists[key])

    async def describe(self, operation: str, **params) -> dict:
        async with self.limiter:
            return await self.aws.call("sagemaker", operation, **params)

    async def each(
        self,
        result: KindResult,
        items: list[dict],
        describe: Callable[[dict], Awaitable[list[dict]]],
        operation: str,
        undescribed: Callable[[dict], list[dict]],
    ) -> None:
        """Describe every listed item: one that vanished since the list is dropped, and without the Describe
        permission the listed rows still show (instance type and price unknown)."""
        answers = await asyncio.gather(*(describe(item) for item in items), return_exceptions=True)
        denied = False
        for item, answer in zip(items, answers):
            if isinstance(answer, StudioCollabError):
                if answer.code == "aws_not_found":
                    continue
                if answer.code != "aws_access_denied":
                    raise answer
                denied = True
                result.resources.extend(undescribed(item))
            elif isinstance(answer, BaseException):
                raise answer
            else:
                result.resources.extend(answer)
        if denied:
            result.notes.append(f"Instance types unknown: no permission for sagemaker:{operation}.")

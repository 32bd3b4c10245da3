"""Paging through a bounded window of SageMaker items (training jobs, trial components).

The SageMaker list APIs cannot order by a metric or hyperparameter, so those sources take the most
recent N items, describe them with bounded concurrency, sort them with :class:`RunOrder`, and page
through the result with an offset token. N bounds memory and the number of Describe calls.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from ..errors import StudioCollabError, bad_request

T = TypeVar("T")
R = TypeVar("R")


async def fan_out(items: Iterable[T], fn: Callable[[T], Awaitable[R]], concurrency: int) -> list[R]:
    """``fn`` over every item, at most ``concurrency`` at a time, results in the items' order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item: T) -> R:
        async with gate:
            return await fn(item)

    return list(await asyncio.gather(*(one(i) for i in items)))


def page_of(runs: list[dict], page_token: str | None, limit: int) -> tuple[list[dict], str | None, int]:
    """The page that ``page_token`` points at, the next token, and the page's offset."""
    offset = decode_offset(page_token) if page_token else 0
    page = runs[offset : offset + limit]
    following = offset + limit
    return page, (encode_offset(following) if following < len(runs) else None), offset


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_offset(token: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request("invalid_page_token", "This page token is not valid. Reload the runs.") from None
    if not isinstance(offset, int) or offset < 0:
        raise bad_request("invalid_page_token", "This page token is not valid. Reload the runs.")
    return offset


def epoch_ms(value: Any) -> int | None:
    """botocore datetimes (and the emulator's ISO strings) as milliseconds since the epoch, like MLflow's."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, (int, float)):
        return int(value * 1000)
    try:
        return int(datetime.fromisoformat(str(value)).timestamp() * 1000)
    except ValueError:
        return None


def require_region(region: str | None) -> None:
    """SageMaker sources need a region; without one, say so at once instead of trying us-east-1."""
    if not region:
        raise StudioCollabError(
            "aws_not_configured",
            "No AWS region is known here: set AWS_REGION (in Studio it comes from the app's metadata).",
            503,
        )

"""What the SageMaker-backed run sources (training jobs, legacy Experiments) share."""

from __future__ import annotations

from ..studio.aws import AwsClients
from ..studio.cache import TtlCache


def experiments_key(source: str) -> tuple:
    """The one cache entry of a source's experiment list: the service fills it, a source may read it."""
    return ("experiments", source, "experiments")


class AwsRunSource:
    """A run source read through the AWS seam; it can answer only where a region is known."""

    name = ""
    title = ""

    def __init__(self, aws: AwsClients, cache: TtlCache, ttl: float, region: str | None):
        self.aws = aws
        self.cache = cache
        self.ttl = ttl
        self.region = region

    def configured(self) -> bool:
        return bool(self.region)

"""The one AWS seam: every boto3 client of studio-collab comes from here.

boto3 is imported lazily (it costs ~100 ms and ~20 MB at import), clients are made once per service and
shared (they are thread-safe; sessions are not, hence the lock), and every call runs in the AWS lane of the one
executor (:mod:`.executor`) so the Jupyter event loop never waits on the network. Errors leave as
:class:`StudioCollabError`, and every action is counted, S3's managed transfers included (:meth:`AwsClients.use`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import StudioCollabError
from .executor import AWS, Executor

T = TypeVar("T")

log = logging.getLogger(__name__)

# AWS error codes that mean "you may not"; the message then names the IAM action to grant.
_ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException"}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"}
_NOT_FOUND = {"ResourceNotFound", "ResourceNotFoundException", "NoSuchEntity", "NoSuchKey", "NoSuchBucket", "404"}

# botocore's service name → the IAM prefix of its actions.
IAM_PREFIX = {
    "sagemaker": "sagemaker",
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "iam": "iam",
    "ec2": "ec2",
    "pricing": "pricing",
    "ce": "ce",
    "sts": "sts",
}


# botocore logs each signed request and whole response bodies at DEBUG (a server started with --debug). Two
# secrets pass there: the execution role's session token (its reader could act as the role) and Secrets
# Manager answers (a private repo's token).
_SESSION_TOKEN = re.compile(r"(x-amz-security-token['\"]?\s*[:=]\s*b?['\"]?)[^'\"\s,}&]+", re.IGNORECASE)
_WIRE_LOGGERS = ("botocore.auth", "botocore.endpoint", "botocore.hooks", "botocore.parsers", "botocore.httpsession")


class WireLogFilter(logging.Filter):
    """Masks every ``X-Amz-Security-Token`` value (header, canonical request or query) and replaces any line
    that carries a ``SecretString``/``SecretBinary``, whatever the secret and however it is escaped."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "SecretString" in message or "SecretBinary" in message:
            record.msg, record.args = "<a Secrets Manager answer; not logged>", None
        elif "security-token" in message.lower():
            record.msg, record.args = _SESSION_TOKEN.sub(r"\1***", message), None
        return True


def install_log_filter() -> None:
    for name in _WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, WireLogFilter) for f in logger.filters):
            logger.addFilter(WireLogFilter())


@dataclass(frozen=True)
class AwsSettings:
    region: str | None = None
    endpoint_url: str | None = None
    retry_mode: str = "standard"
    max_attempts: int = 3
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    max_workers: int = 16


class AwsClients:
    """Makes boto3 clients and runs their calls off the event loop, in the executor's AWS lane. Without an
    executor given (the CLI, tests of one piece) it makes and owns one, sized from ``settings.max_workers``."""

    def __init__(self, settings: AwsSettings, executor: Executor | None = None):
        self.settings = settings
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._session = None
        self._owns_executor = executor is None
        self.executor = executor if executor is not None else Executor(aws_workers=settings.max_workers)
        # Every action called, as "sagemaker:ListApps": read by the IAM policy test and by doctor.
        self.actions_called: Counter[str] = Counter()
        install_log_filter()

    def client(self, service: str, region: str | None = None):
        key = f"{service}@{region or ''}"
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._make_client(service, region)
            return self._clients[key]

    def _make_client(self, service: str, region: str | None):
        import boto3  # lazy: keeps boto3 out of server start
        from botocore.config import Config

        if self._session is None:
            self._session = boto3.session.Session()
        s = self.settings
        config = Config(
            retries={"mode": s.retry_mode, "total_max_attempts": s.max_attempts},
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            max_pool_connections=max(10, s.max_workers),
        )
        kwargs: dict[str, Any] = {"config": config, "region_name": region or s.region or "us-east-1"}
        if s.endpoint_url:
            kwargs["endpoint_url"] = s.endpoint_url
        return self._session.client(service, **kwargs)

    def run_sync(self, service: str, operation: str, region: str | None = None, **params) -> dict:
        """Call ``operation`` (botocore's PascalCase name) in the calling thread."""
        client = self.client(service, region)
        method = getattr(client, _snake(operation))
        self._record(service, operation)
        try:
            return method(**params)
        except Exception as err:  # noqa: BLE001 - translated into the one error type
            raise aws_error(err, service, operation) from err

    def paginate_sync(
        self,
        service: str,
        operation: str,
        result_key: str,
        region: str | None = None,
        limit: int | None = None,
        **params,
    ) -> list:
        client = self.client(service, region)
        paginator = client.get_paginator(_snake(operation))
        items: list = []
        try:
            for page in paginator.paginate(**params):
                self._record(service, operation)
                items.extend(page.get(result_key, []))
                if limit is not None and len(items) >= limit:
                    return items[:limit]
        except Exception as err:  # noqa: BLE001
            raise aws_error(err, service, operation) from err
        return items

    def use_sync(
        self,
        service: str,
        operation: str,
        use: Callable[[Any], T],
        region: str | None = None,
        passthrough: tuple[type[BaseException], ...] = (),
    ) -> T:
        """``use(client)`` for what is not one botocore operation (S3's managed transfers): counted as
        ``operation`` and its errors translated like :meth:`run_sync`, except ``passthrough`` (the caller's own
        stops, e.g. a size limit or a cancel raised from a callback)."""
        client = self.client(service, region)
        self._record(service, operation)
        try:
            return use(client)
        except passthrough:
            raise
        except Exception as err:  # noqa: BLE001 - translated into the one error type
            raise aws_error(err, service, operation) from err

    async def use(
        self,
        service: str,
        operation: str,
        use: Callable[[Any], T],
        region: str | None = None,
        passthrough: tuple[type[BaseException], ...] = (),
    ) -> T:
        return await self.in_thread(self.use_sync, service, operation, use, region, passthrough)

    async def call(self, service: str, operation: str, region: str | None = None, **params) -> dict:
        return await self.in_thread(self.run_sync, service, operation, region, **params)

    async def paginate(
        self,
        service: str,
        operation: str,
        result_key: str,
        region: str | None = None,
        limit: int | None = None,
        **params,
    ) -> list:
        return await self.in_thread(self.paginate_sync, service, operation, result_key, region, limit, **params)

    async def in_thread(self, fn, *args, **kwargs):
        """Run blocking AWS work in the executor's AWS lane."""
        return await self.executor.run(AWS, fn, *args, **kwargs)

    def _record(self, service: str, operation: str) -> None:
        self.actions_called[f"{IAM_PREFIX.get(service, service)}:{operation}"] += 1

    def close(self) -> None:
        if self._owns_executor:
            self.executor.close()


def _snake(operation: str) -> str:
    if "_" in operation or operation.islower():
        return operation
    from botocore import xform_name  # botocore's own PascalCase → snake_case

    return xform_name(operation)


def aws_error(err: Exception, service: str, operation: str) -> StudioCollabError:
    """Translate a botocore exception into the one error type, naming the IAM action where it helps."""
    if isinstance(err, StudioCollabError):
        return err
    action = f"{IAM_PREFIX.get(service, service)}:{operation}"
    name = type(err).__name__
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
        message = str(response.get("Error", {}).get("Message", ""))
        if code in _ACCESS_DENIED:
            return StudioCollabError(
                "aws_access_denied",
                f"No permission for {action}. Ask your admin to grant it "
                "to this space's execution role (see `studio-collab iam-policy`).",
                403,
            )
        if code in _THROTTLED:
            return StudioCollabError("aws_throttled", f"AWS is throttling {action}. It will be retried shortly.", 503)
        if code in _NOT_FOUND or (
            code == "ValidationException" and "not" in message.lower() and "found" in message.lower()
        ):
            return StudioCollabError("aws_not_found", f"{action}: {message or 'resource not found'}", 404)
        if code == "ValidationException":
            return StudioCollabError("aws_validation", f"{action} refused the request: {message}", 400)
        log.warning("AWS %s failed: %s %s", action, code, message)
        return StudioCollabError(
            "aws_error",
            f"{action} failed ({code or 'error'}). Try again; if it persists, run `studio-collab doctor`.",
            502,
        )
    if name in {"NoCredentialsError", "PartialCredentialsError", "NoRegionError"}:
        return StudioCollabError(
            "aws_not_configured",
            "No AWS credentials or region here. Outside Studio, set "
            "AWS_REGION and credentials, or run `studio-collab doctor`.",
            503,
        )
    if name in {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError"}:
        return StudioCollabError(
            "aws_unreachable",
            f"AWS did not answer {action} in time. Check the network "
            "(VPC-only domains need VPC endpoints), then retry.",
            503,
        )
    log.warning("AWS %s failed: %s", action, name)
    return StudioCollabError("aws_error", f"{action} failed ({name}). Run `studio-collab doctor` for details.", 502)

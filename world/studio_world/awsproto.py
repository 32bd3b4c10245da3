"""The AWS wire protocol as the emulator speaks it: who a request is for, errors, pagination tokens.

boto3 signs every request with SigV4; the credential scope (``…/us-east-1/sagemaker/aws4_request``) names the
service and region even though every service shares one endpoint URL here, so that is what we route on.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qs

ACCOUNT_ID = "123456789012"  # moto's default account: ARNs from both halves of the emulator agree
DEFAULT_REGION = "us-east-1"

_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")

# Error codes whose protocol status AWS documents; everything we raise names its own status.
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


class AwsError(Exception):
    """An AWS error answer: botocore turns it into ``ClientError`` with this code and message."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def not_found(message: str) -> AwsError:
    # SageMaker's own not-found code is "ResourceNotFound" (no "Exception" suffix), as botocore's model says.
    return AwsError("ResourceNotFound", message)


def in_use(message: str) -> AwsError:
    return AwsError("ResourceInUse", message)


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


@dataclass
class AwsRequest:
    """What one HTTP request asks of which service, as far as the emulator needs to know."""

    service: str  # signing name: sagemaker, pricing, s3, iam, ...
    region: str
    operation: str  # PascalCase: ListApps, GetObject, ...
    protocol: str  # json | query | rest-xml | rest-json
    body: bytes

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"

    def json(self) -> dict:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as err:
            raise AwsError("SerializationException", "The request body is not valid JSON.") from err
        if not isinstance(data, dict):
            raise AwsError("SerializationException", "The request body must be a JSON object.")
        return data


def identify(environ: dict, body: bytes) -> AwsRequest:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _SCOPE.search(auth)
    region, service = (match.group(1), match.group(2)) if match else (DEFAULT_REGION, "")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    method = environ.get("REQUEST_METHOD", "GET")
    if target:
        prefix, _, operation = target.rpartition(".")
        return AwsRequest(service or prefix.lower(), region, operation, "json", body)
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or [""])[0]
        if action:
            return AwsRequest(service, region, action, "query", body)
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if "Action" in query:
        return AwsRequest(service, region, query["Action"][0], "query", body)
    if service == "s3" or (not service and environ.get("PATH_INFO", "/") != "/"):
        return AwsRequest("s3", region, s3_operation(method, environ.get("PATH_INFO", "/"), query), "rest-xml", body)
    return AwsRequest(service or "unknown", region, method, "rest-json", body)


def s3_operation(method: str, path: str, query: dict) -> str:
    """The S3 operation of a path-style request, for call counts and faults (the common ones)."""
    parts = [p for p in path.split("/") if p]
    on_object = len(parts) > 1
    if method == "GET":
        if on_object:
            return "GetObject"
        if not parts:
            return "ListBuckets"
        return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
    if method == "PUT":
        return "PutObject" if on_object else "CreateBucket"
    if method == "HEAD":
        return "HeadObject" if on_object else "HeadBucket"
    if method == "DELETE":
        return "DeleteObject" if on_object else "DeleteBucket"
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    return method


def error_response(request: AwsRequest | None, error: AwsError) -> tuple[int, list[tuple[str, str]], bytes]:
    """Render ``error`` the way the request's protocol expects it (botocore parses each differently)."""
    request_id = str(uuid.uuid4())
    if request is None or request.protocol in ("json", "rest-json"):
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        headers = [
            ("Content-Type", JSON_CONTENT_TYPE),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", error.code),
        ]
        return error.status, headers, body
    message = _xml_escape(error.message)
    if request.protocol == "rest-xml":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{error.code}</Code>'
            f"<Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        ).encode()
    elif request.service == "ec2":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{error.code}</Code>'
            f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
    else:
        kind = "Receiver" if error.status >= 500 else "Sender"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{error.code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
    return error.status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body


def json_response(data: dict) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps(data, default=_json_default).encode()
    return 200, [("Content-Type", JSON_CONTENT_TYPE), ("x-amzn-RequestId", str(uuid.uuid4()))], body


def _json_default(value):
    if isinstance(value, datetime):
        return value.timestamp()  # awsJson timestamps are epoch seconds
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def now() -> datetime:
    return datetime.now(timezone.utc)


def page(items: list, params: dict, key: str, default_max: int = 10) -> dict:
    """One page of ``items`` as ``{key: [...], "NextToken": ...}``; the token is opaque, like AWS's."""
    max_results = params.get("MaxResults", default_max)
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            start = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
        except (ValueError, KeyError, TypeError) as err:
            raise validation("Invalid pagination token: the NextToken does not come from this list call.") from err
        if start < 0 or start > len(items):
            raise validation("Invalid pagination token: the NextToken is out of range.")
    chunk = items[start : start + max_results]
    answer: dict = {key: chunk}
    if start + max_results < len(items):
        answer["NextToken"] = base64.urlsafe_b64encode(json.dumps({"offset": start + max_results}).encode()).decode()
    return answer


def sort_items(
    items: list, params: dict, fields: dict[str, str], default_by: str, default_order: str = "Descending"
) -> list:
    """Sort like AWS's SortBy/SortOrder: ``fields`` maps a SortBy value to the item's key."""
    by = fields.get(params.get("SortBy") or default_by, fields[default_by])
    descending = (params.get("SortOrder") or default_order) == "Descending"
    return sorted(items, key=lambda item: (item.get(by) is None, item.get(by)), reverse=descending)

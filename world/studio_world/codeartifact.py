"""CodeArtifact's GetAuthorizationToken, which moto lacks: the short-lived token pip needs for an admin's mirror.

A REST-JSON call (``POST /v1/authorization-token?domain=…&domain-owner=…``); every answer is a fresh token, so a
test can tell a token fetched at run time from one written into a script.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from urllib.parse import parse_qs

from .awsproto import AwsError, AwsRequest, json_response

TOKEN_PATH = "/v1/authorization-token"


def handles(request: AwsRequest, environ: dict) -> bool:
    return request.service == "codeartifact"


def name(request: AwsRequest, environ: dict) -> AwsRequest:
    """The request with its operation named, for the call journal and faults."""
    if environ.get("PATH_INFO") == TOKEN_PATH and request.operation == "POST":
        return replace(request, operation="GetAuthorizationToken")
    return request


def params_of(environ: dict) -> dict:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    return {
        "domain": (query.get("domain") or [""])[0],
        "domainOwner": (query.get("domain-owner") or [""])[0],
        "durationSeconds": (query.get("duration") or [""])[0],
    }


def answer(request: AwsRequest, params: dict) -> tuple[int, list, bytes]:
    if request.operation != "GetAuthorizationToken":
        raise AwsError("UnknownOperationException", f"The local Studio world does not implement {request.name}.")
    if not params["domain"]:
        raise AwsError("ValidationException", "domain is required.")
    duration = int(params["durationSeconds"] or 43200)
    return json_response(
        {"authorizationToken": "ca-" + secrets.token_urlsafe(24), "expiration": time.time() + duration}
    )

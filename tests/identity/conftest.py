"""A server run as Studio runs a shared space: Studio's identity provider contract (the studioUserProfileName
cookie), no token, the XSRF cookie a browser carries; and requests as each kind of viewer."""

from __future__ import annotations

import json
import secrets

import pytest
from tornado.httpclient import HTTPClientError

from tests.identity.studio_identity import COOKIE, IDENTITY_PROVIDER

XSRF = secrets.token_hex(16)
NO_COOKIE = object()  # a request without the studioUserProfileName cookie (Studio's provider then says "User")


def pytest_configure(config):
    config.addinivalue_line("markers", "stop_kinds(kinds): StudioCollabApp.cost_stop_kinds for this test")
    config.addinivalue_line("markers", "s3_store: this test's shares go to the world's S3 bucket")


@pytest.fixture
def jp_server_config(jp_server_config):
    return {
        **jp_server_config,
        "ServerApp": {**jp_server_config["ServerApp"], "identity_provider_class": IDENTITY_PROVIDER},
    }


def as_user(name) -> dict:
    """Headers of a browser request as ``name`` (a cookie value, or NO_COOKIE)."""
    cookies = [f"_xsrf={XSRF}"]
    if name is not NO_COOKIE:
        cookies.append(f"{COOKIE}={name}")
    return {"Cookie": "; ".join(cookies), "X-XSRFToken": XSRF}


async def call(jp_fetch, method: str, route: str, user, body: dict | None = None, **params) -> tuple[int, dict]:
    """``(status, JSON body)`` of a studio-collab route, as ``user``."""
    if body is None and method in ("POST", "PUT", "PATCH"):
        body = {}
    try:
        response = await jp_fetch(
            "studio-collab",
            *route.split("/"),
            method=method,
            headers=as_user(user),
            body=None if body is None else json.dumps(body),
            params=params or None,
            allow_nonstandard_methods=True,
        )
    except HTTPClientError as err:
        response = err.response
    text = response.body.decode() if response.body else ""
    return response.code, (json.loads(text) if text and "json" in response.headers.get("Content-Type", "") else {})

"""GET status and GET openapi.json, inside and outside Studio, and the error shape."""

from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import validate
from tornado.httpclient import HTTPClientError


async def test_status_outside_studio(outside_studio, jp_fetch, openapi_validator):
    response = await jp_fetch("studio-collab", "status")
    body = json.loads(response.body)
    openapi_validator.validate("get", "/status", 200, body)
    assert body["studio"]["in_studio"] is False
    assert "No Studio resource metadata" in body["studio"]["reason"]
    assert set(body["features"]) == {"git", "share", "experiments", "cost"}


@pytest.fixture
def no_aws(monkeypatch):
    # No AWS here: the owner falls back to the metadata's user profile instead of failing the request.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


async def test_status_inside_studio(no_aws, studio_metadata, jp_fetch, openapi_validator):
    response = await jp_fetch("studio-collab", "status")
    body = json.loads(response.body)
    openapi_validator.validate("get", "/status", 200, body)
    studio = body["studio"]
    assert studio["in_studio"] is True
    assert studio["domain_id"] == "d-demo"
    assert studio["space_name"] == "alice-space"
    assert studio["space_type"] == "private"
    assert studio["region"] == "us-east-1"
    assert studio["app_type"] == "JupyterLab"
    assert studio["owner"] == "alice"
    assert studio["user"] == "alice"


async def test_openapi_is_valid_and_covers_every_route(jp_fetch, jp_serverapp):
    body = json.loads((await jp_fetch("studio-collab", "openapi.json")).body)
    validate(body)
    documented = {path for path in body["paths"]}
    registered = set()
    app = next(iter(jp_serverapp.extension_manager.extension_apps["studio_collab"]))
    for pattern, *_ in app.handlers:
        route = pattern.split("studio-collab", 1)[1]
        if route.endswith(".*"):
            continue  # the catch-all 404
        registered.add(re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route))
    assert registered, "no studio-collab routes registered"
    assert registered <= documented, f"undocumented routes: {sorted(registered - documented)}"


async def test_unauthenticated_is_refused(jp_fetch):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("studio-collab", "status", headers={"Authorization": ""})
    assert err.value.code == 403


async def test_unknown_route_is_404_in_error_shape(jp_fetch):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("studio-collab", "no-such-thing")
    assert err.value.code == 404
    body = json.loads(err.value.response.body)
    assert set(body) == {"code", "message"}
    assert body["code"] == "not_found"


async def test_post_without_xsrf_is_refused(jp_fetch, jp_http_port, jp_base_url, http_server_client, jp_serverapp):
    """A browser session (cookie, no token header) must send the XSRF token on POST."""
    from tornado.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient()
    token = jp_serverapp.identity_provider.token
    login = await client.fetch(
        f"http://127.0.0.1:{jp_http_port}{jp_base_url}lab?token={token}", raise_error=False, follow_redirects=False
    )
    cookies = "; ".join(c.split(";", 1)[0] for c in login.headers.get_list("Set-Cookie"))
    assert "username-" in cookies
    response = await client.fetch(
        f"http://127.0.0.1:{jp_http_port}{jp_base_url}studio-collab/jobs/0123456789abcdef",
        method="DELETE",
        headers={"Cookie": cookies},
        raise_error=False,
    )
    assert response.code == 403
    assert json.loads(response.body)["code"] == "forbidden"

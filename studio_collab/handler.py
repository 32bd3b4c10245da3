"""The base of every studio-collab route: JSON in and out, errors in the one shape.

Routes stay thin: parse, call a service, answer. Anything that escapes a handler is rendered as
``{"code", "message"}``; unexpected exceptions are logged with their traceback and answered with a
generic message, so nothing internal reaches the browser.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from jupyter_server.auth.utils import HTTP_METHOD_TO_AUTH_ACTION
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from .errors import HTTP_STATUS_CODES, HTTP_STATUS_MESSAGES, StudioCollabError
from .studio.identity import Viewer

MUTATING_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# Deeper JSON than this is refused before it reaches a service (a JSON bomb, not a request).
_MAX_JSON_DEPTH = 32


class QuietClientErrors:
    """Client mistakes (our errors, 4xx) are logged as one line, not as a server fault with a traceback."""

    def log_exception(self, typ, value, tb) -> None:
        # Our own errors are expected answers, not server faults: one line, no traceback.
        if isinstance(value, StudioCollabError):
            self.log.info(
                "studio-collab %s %s -> %s %s", self.request.method, self.request.path, value.status, value.code
            )
            return
        if isinstance(value, web.HTTPError) and value.status_code < 500:
            # e.g. 405 for a method a route lacks, or 403 from the authorizer: a client's mistake, not a fault
            self.log.info("studio-collab %s %s -> %s", self.request.method, self.request.path, value.status_code)
            return
        super().log_exception(typ, value, tb)  # type: ignore[misc]


class ViewerMixin:
    """The one ``viewer()`` of every handler, API route or page: who is acting (:meth:`StudioService.viewer`),
    resolved once per request."""

    async def viewer(self) -> Viewer:
        """Who is acting (:meth:`StudioService.viewer`), resolved once per request."""
        if not hasattr(self, "_viewer"):
            self._viewer = await self.settings["studio_collab_studio"].viewer(self.current_user)
        return self._viewer

    async def acting_user(self) -> str:
        """The named viewer, or ``403 identity_unknown``."""
        return (await self.viewer()).require()


class StudioCollabHandler(ViewerMixin, QuietClientErrors, ExtensionHandlerMixin, APIHandler):
    """Each route's handler declares the services it needs as typed keyword arguments of its ``initialize``, and
    its package's ``route_handlers(core)`` hands exactly those.

    Every mutating verb acts only for a named viewer: an authorized request whose viewer is unknown (a shared
    space opened without Studio's cookie, ``"User"``, a name that is no user profile here) is refused with
    ``403 identity_unknown`` here, once, before any route runs."""

    auth_resource = "studio_collab:status"
    requires_named_viewer = True  # for MUTATING_METHODS; only the catch-all 404 route opts out

    @property
    def max_body_bytes(self) -> int:
        return int(self.settings.get("studio_collab_max_body_bytes", 1 << 20))

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method not in MUTATING_METHODS or self.current_user is None:
            return  # reads, and unauthenticated requests (they get their 403 from the decorators)
        # Every POST/DELETE body is checked here, once, whether its route reads fields or not: an oversized or
        # malformed body is refused before anything acts. Only for a known user: the others get their 403.
        self._json_body = self._parse_body()
        if self.requires_named_viewer and await self._authorized():
            (await self.viewer()).require()

    async def _authorized(self) -> bool:
        """The authorizer's answer for this request; a refused request keeps its plain 403 ``forbidden``."""
        action = HTTP_METHOD_TO_AUTH_ACTION[self.request.method]
        return bool(
            await ensure_async(self.authorizer.is_authorized(self, self.current_user, action, self.auth_resource))
        )

    def json_body(self) -> dict:
        if not hasattr(self, "_json_body"):
            self._json_body = self._parse_body()
        return self._json_body

    def _parse_body(self) -> dict:
        body = self.request.body or b""
        if len(body) > self.max_body_bytes:
            raise StudioCollabError("body_too_large", f"The request body is over {self.max_body_bytes} bytes.", 413)
        if not body.strip():
            return {}
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise StudioCollabError("invalid_json", "The request body is not valid JSON.", 400) from None
        if not isinstance(data, dict):
            raise StudioCollabError("invalid_json", "The request body must be a JSON object.", 400)
        if _depth(data) > _MAX_JSON_DEPTH:
            raise StudioCollabError("invalid_json", "The request body is nested too deeply.", 400)
        return data

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, StudioCollabError):
            status_code, payload = exc.status, exc.to_json()
        elif isinstance(exc, web.HTTPError) and status_code < 500:
            payload = {
                "code": HTTP_STATUS_CODES.get(status_code, "http_error"),
                "message": HTTP_STATUS_MESSAGES.get(status_code)
                or exc.log_message
                and _safe_log_message(exc)
                or self._reason,
            }
        else:
            payload = {
                "code": "internal_error",
                "message": "studio-collab hit an internal error; it is in the server log. Retry, "
                "or run `studio-collab doctor`.",
            }
        self.set_status(status_code)
        self.clear_header("Content-Type")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))


class NotFoundHandler(StudioCollabHandler):
    """Any other path under studio-collab/ answers 404 in the error shape, never an HTML page."""

    requires_named_viewer = False

    @web.authenticated
    @authorized
    def get(self, *args: Any) -> None:
        raise StudioCollabError(
            "not_found", "No such studio-collab route. The panel and server versions may differ: reload the page.", 404
        )

    post = put = delete = patch = get


class RefusedFeatureHandler(StudioCollabHandler):
    """Every route of a feature whose options were refused at load: 503 with the reason, for every verb."""

    def initialize(self, name: str | None = None, *, feature: str, reason: str, resource: str = "") -> None:
        super().initialize(name)
        # the resource of the route it stands in for, so a refused feature is authorized as its routes are
        self.auth_resource = resource or f"studio_collab:{feature}"
        self.reason = reason

    @web.authenticated
    @authorized
    def get(self, *args: Any, **kwargs: Any) -> None:  # the feature's own path parameters, unused
        raise StudioCollabError("feature_config_refused", self.reason, 503)

    post = put = delete = patch = get


def _safe_log_message(exc: web.HTTPError) -> str:
    message = exc.log_message or ""
    return message % exc.args if exc.args else message


def _depth(value: Any, level: int = 0) -> int:
    if level > _MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level

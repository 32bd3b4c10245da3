"""The one way studio-collab serves an HTML page (the git open page, the share import page).

One template environment (Jinja2, which jupyter_server ships) with autoescaping on, templates extending
``page.html`` (JupyterLab's own theme variables, so a page looks like the lab); one set of security headers; one
error rendering: a sentence and a next step, the code only on a details line. Pages answer like JupyterLab's own:
an anonymous browser is sent to the login, and a GET never changes anything.
"""

from __future__ import annotations

import json
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from .errors import HTTP_STATUS_CODES, HTTP_STATUS_MESSAGES, StudioCollabError
from .handler import QuietClientErrors, ViewerMixin

_GENERIC_MESSAGE = "studio-collab hit an internal error; it is in the server log."


@lru_cache(maxsize=1)
def templates() -> jinja2.Environment:
    """Every page's templates, by path under the package: ``git/open_page.html``, ``share/import_page.html``."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(script_json=script_json, when=when, size=size_text)
    return environment


def when(iso: str) -> str:
    """An ISO time as a person reads it, in UTC (the server does not know the browser's time zone)."""
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(str(iso).replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return str(iso)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1 << 20:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1 << 20):.1f} MB"


def script_json(data: Any) -> str:
    """JSON that cannot end its ``<script>`` element: every character HTML could read as markup is escaped."""
    text = json.dumps(data)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return markupsafe.Markup(text)


class PageHandler(ViewerMixin, QuietClientErrors, ExtensionHandlerMixin, JupyterHandler):
    """The base of every page: nonce-only scripts and styles, JupyterLab's theme CSS, no caching (a page shows
    state), no referrer to other sites, forms posting only to this server; errors as a page (or JSON for API clients)."""

    @property
    def nonce(self) -> str:
        if not hasattr(self, "_nonce"):
            self._nonce = secrets.token_urlsafe(18)
        return self._nonce

    @property
    def content_security_policy(self) -> str:
        # The server's own policy first (frame-ancestors, as every JupyterLab page), then: only this page's inline
        # script and style run, theme CSS and fonts come from this server, it talks and posts to this server only.
        return "; ".join(
            [
                super().content_security_policy,
                "default-src 'none'",
                f"script-src 'nonce-{self.nonce}'",
                f"style-src 'self' 'nonce-{self.nonce}'",
                "img-src 'self' data:",
                "font-src 'self'",
                "connect-src 'self'",
                "base-uri 'none'",
                "form-action 'self'",
            ]
        )

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Cache-Control", "no-store")
        # same-origin, not no-referrer: with no-referrer Chromium sends a form's POST with "Origin: null", which
        # jupyter_server refuses as cross-origin; other sites still never see a page's URL (the share id in it).
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header("X-Content-Type-Options", "nosniff")

    def render_page(self, template: str, status: int = 200, **context: Any) -> None:
        self.xsrf_token  # noqa: B018 - sets the _xsrf cookie the page's forms and POSTs send back
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            templates()
            .get_template(template)
            .render(
                nonce=self.nonce,
                base_url=self.base_url,
                xsrf_form_html=markupsafe.Markup(self.xsrf_form_html()),
                **context,
            )
        )  # tornado's own escaped input

    def render_error_page(
        self, error: StudioCollabError, heading: str, next_step: str | None = None, **context: Any
    ) -> None:
        """One error rendering: the heading, the sentence, a next step, and the code on a details line."""
        self.render_page(
            "page_error.html",
            error.status,
            title=heading,
            heading=heading,
            message=error.message,
            next_step=next_step,
            code=error.code,
            **context,
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, StudioCollabError):
            error = exc
        elif status_code < 500:
            error = StudioCollabError(
                HTTP_STATUS_CODES.get(status_code, "http_error"),
                HTTP_STATUS_MESSAGES.get(status_code) or self._reason,
                status_code,
            )
        else:
            error = StudioCollabError("internal_error", _GENERIC_MESSAGE, status_code)
        if "text/html" in self.request.headers.get("Accept", ""):
            self.render_error_page(error, self.error_heading)
        else:
            self.set_status(error.status)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(error.to_json()))

    error_heading = "This link cannot be opened"

"""The one error type of studio-collab.

Every failure a person can meet leaves the server as ``{"code", "message"}`` with an HTTP status.
The code is stable (the panel picks its help text by it); the message says what to do next.
Tracebacks, command lines and credentials stay in the server log, never in the answer.
"""

from __future__ import annotations


class StudioCollabError(Exception):
    """A failure with a stable ``code``, a message for a person, and an HTTP ``status``."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message}

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"StudioCollabError({self.code!r}, {self.message!r}, {self.status})"


# Codes the generic HTTP layer uses when a tornado HTTPError (not ours) ends a request.
HTTP_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "unavailable",
}

HTTP_STATUS_MESSAGES = {
    401: "Sign in to JupyterLab again, then retry.",
    403: "You are not allowed to do this here. Reload the page to refresh your session, or ask your admin for access.",
    404: "No such studio-collab resource. Reload the panel; the link or id may be out of date.",
    405: "This route does not accept that method.",
}


def not_found(what: str) -> StudioCollabError:
    return StudioCollabError("not_found", f"{what} was not found. Reload the panel and try again.", 404)


def bad_request(code: str, message: str) -> StudioCollabError:
    return StudioCollabError(code, message, 400)

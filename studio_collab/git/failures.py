"""git's stderr → a stable code and a next step. The raw text (redacted) stays in the server log."""

from __future__ import annotations

import logging

from ..errors import StudioCollabError
from .command import GitCommandFailed, GitTimedOut

log = logging.getLogger(__name__)

# (code, markers in git's English stderr, message) — first match wins
_RULES = (
    (
        "branch_not_found",
        ("remote branch", "couldn't find remote ref"),
        "The remote has no such branch. Ask your admin to fix the catalog entry's branch.",
    ),
    (
        "git_tls_untrusted",
        (
            "ssl certificate problem",
            "server certificate verification failed",
            "unable to get local issuer certificate",
            "self-signed certificate",
        ),
        "The git server's TLS certificate is not trusted here. Ask your admin to set git_ca_bundle to the "
        "company CA (TLS verification is never turned off).",
    ),
    (
        "git_auth_failed",
        (
            "authentication failed",
            "could not read username",
            "could not read password",
            "terminal prompts disabled",
            "returned error: 401",
            "returned error: 403",
            "permission denied",
            "invalid username or password",
            "access denied",
        ),
        None,
    ),
    (
        "git_repo_not_found",
        ("repository not found", "not found", "returned error: 404", "does not appear to be a git repository"),
        "The git server has no such repository. Check the URL in the catalog.",
    ),
    (
        "git_network",
        (
            "could not resolve host",
            "failed to connect",
            "connection refused",
            "connection timed out",
            "early eof",
            "rpc failed",
            "transfer closed",
            "remote end hung up",
            "connection reset",
            "empty reply from server",
            "the requested url returned error: 5",
            "unexpected disconnect",
            "index-pack failed",
            "fetch-pack: invalid index-pack output",
            "operation timed out",
            "gnutls",
            "openssl",
        ),
        "The git server could not be reached or dropped the connection. Check the network, then retry.",
    ),
)


def explain(err: Exception, doing: str, private: bool) -> StudioCollabError:
    """The one error a person sees for a failed clone, fetch or sync step."""
    if isinstance(err, StudioCollabError):
        return err
    if isinstance(err, GitTimedOut):
        return StudioCollabError(
            "git_timeout",
            f"git took longer than {err.seconds:g} s to {doing} and was "
            "stopped. Retry; for a very large repository ask your admin to raise "
            "git_timeout_seconds.",
            504,
        )
    if isinstance(err, GitCommandFailed):
        text = err.stderr.lower()
        for code, markers, message in _RULES:
            if any(marker in text for marker in markers):
                if code == "git_auth_failed":
                    message = (
                        "The git server refused the token from this repository's secret. Ask your admin "
                        "to renew it in AWS Secrets Manager."
                        if private
                        else "The git server asked for credentials. Ask your admin to add a credentials_secret "
                        "for this repository to the catalog."
                    )
                return StudioCollabError(code, message, 502)
        return StudioCollabError("git_failed", f"git could not {doing}. The details are in the server log.", 500)
    if isinstance(err, OSError):
        log.warning("git %s: %s", doing, err)
        return StudioCollabError(
            "git_io_error",
            f"Could not {doing}: {err.strerror or 'file system error'}. Check free disk space and folder permissions.",
            500,
        )
    raise err

"""Studio's identity provider contract, for servers run as a shared space runs in Studio.

SageMaker Distribution starts shared spaces with
``--ServerApp.identity_provider_class=sagemaker_jupyterlab_extension_common.identity.SagemakerIdentityProvider``.
That package does not install into the test venv (it pins jupyterlab<4.6 and enables its own server extension
in every server of the venv), so this class keeps its contract, line for line from version 0.5.3: the user is
named by the ``studioUserProfileName`` cookie, and is ``"User"`` when the cookie is missing. No token is asked:
in Studio the signed space URL is the login. The real class runs beside studio-collab in
tests/deploy/test_beside_studio_extensions.py (its own venv).
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_server.auth.identity import IdentityProvider, User

COOKIE = "studioUserProfileName"
FALLBACK_NAME = "User"


class StudioCookieIdentityProvider(IdentityProvider):
    def get_user(self, handler) -> User:
        name = handler.get_cookie(COOKIE) or FALLBACK_NAME
        return User(name, name, name, name[0].upper(), None, None)


IDENTITY_PROVIDER = f"{__name__}.StudioCookieIdentityProvider"


def shared_space_login() -> tuple[list[str], dict]:
    """Server arguments and environment for a `jupyter` process started as Studio starts a shared space: this
    identity provider (importable by the child process from this repository)."""
    repo_root = str(Path(__file__).resolve().parents[2])
    pythonpath = os.pathsep.join(filter(None, [repo_root, os.environ.get("PYTHONPATH")]))
    return [f"--ServerApp.identity_provider_class={IDENTITY_PROVIDER}"], {"PYTHONPATH": pythonpath}

"""Who is acting: the one answer every feature uses (shares, git jobs, cost stops, job ownership).

In a private space only its owner can open it (Studio signs the URL), so the viewer is the owner. In a shared
space every member reaches the same server and Studio's ``SagemakerIdentityProvider`` names the member from
the ``studioUserProfileName`` cookie, answering ``"User"`` when the cookie is missing. A name is believed only
when it is a user profile of this domain; anything else is an *unknown viewer*, who may read what the space
shows everyone but never act, and never stands in for the owner.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass

from ..errors import StudioCollabError

# SageMaker's UserProfileName pattern; anything else is refused before it reaches an AWS call.
PROFILE_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
# What SagemakerIdentityProvider answers when the studioUserProfileName cookie is missing.
STUDIO_ANONYMOUS_NAME = "User"

HOW_TO_NAME_YOURSELF = (
    "Open this space from SageMaker Studio (Studio → Spaces → Open) so that your browser "
    "carries your user profile, then retry."
)


@dataclass(frozen=True)
class Viewer:
    """``name`` is the user profile acting (outside Studio: the account running this single-user server);
    ``None`` means unknown, and ``reason`` says why."""

    name: str | None
    reason: str | None = None

    @property
    def known(self) -> bool:
        return self.name is not None

    def require(self) -> str:
        """The name, or ``403 identity_unknown`` with how to get a named session."""
        if self.name is None:
            raise identity_unknown(self.reason)
        return self.name


def identity_unknown(reason: str | None) -> StudioCollabError:
    return StudioCollabError(
        "identity_unknown",
        f"studio-collab cannot tell who you are, so it will not act for "
        f"you: {reason or 'no Studio user profile names this request.'} {HOW_TO_NAME_YOURSELF}",
        403,
    )


def local_account() -> Viewer:
    """Outside Studio the server is single-user (its token authenticates the one person running it)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        return Viewer(None, "the account running this server has no name.")
    return Viewer(name) if name else Viewer(None, "the account running this server has no name.")


def claimed_name(current_user: object) -> str | None:
    """The name the identity provider gives, as Jupyter's ``User`` carries it."""
    name = getattr(current_user, "username", None) or getattr(current_user, "name", None)
    return name if isinstance(name, str) and name else None

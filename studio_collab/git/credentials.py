"""Private repos (row G5): a token from AWS Secrets Manager handed to one git process through GIT_ASKPASS.

The askpass program is a fixed script with no secret in it: it prints the username or token it finds in
its *own* environment. That environment is built for a single git subprocess (see
:meth:`GitRunner.environment`), so the token is never in ``os.environ``, argv, a URL or ``.git/config``,
and ``credential.helper`` is emptied for that process so no helper stores it either.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import StudioCollabError
from ..studio.aws import AwsClients
from ..studio.cache import TtlCache
from .command import Redactor

USERNAME_VAR = "STUDIO_COLLAB_GIT_USERNAME"
TOKEN_VAR = "STUDIO_COLLAB_GIT_TOKEN"
DEFAULT_USERNAME = "x-access-token"  # what GitHub expects with a token; GitLab and Gitea accept any name
# The user's credential helpers must neither supply nor store anything for a catalog secret.
CREDENTIAL_CONFIG = ("credential.helper=", "credential.interactive=never")
_ASKPASS = f"""#!/bin/sh
# studio-collab: answers git's prompts from this process's environment only; holds no secret itself.
case "$1" in
  Username*) printf '%s\\n' "${USERNAME_VAR}" ;;
  *) printf '%s\\n' "${TOKEN_VAR}" ;;
esac
"""


@dataclass(frozen=True)
class GitCredential:
    username: str
    token: str = field(repr=False)

    def environment(self, askpass: Path) -> dict[str, str]:
        return {"GIT_ASKPASS": str(askpass), USERNAME_VAR: self.username, TOKEN_VAR: self.token}

    def redactor(self) -> Redactor:
        return Redactor([self.token])


def parse_secret(secret_string: str | None, secret_id: str) -> GitCredential:
    """A plain token, or JSON ``{"username", "token"}`` (``password`` is accepted for ``token``)."""
    text = (secret_string or "").strip()
    username, token = DEFAULT_USERNAME, text
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise _invalid(secret_id)
        token = str(data.get("token") or data.get("password") or "").strip()
        username = str(data.get("username") or DEFAULT_USERNAME).strip()
    if not token or any(c in token + username for c in "\r\n\0"):
        raise _invalid(secret_id)
    return GitCredential(username, token)


class GitCredentials:
    """Reads repo secrets through the AWS seam; a short cache keeps background fetches from calling
    Secrets Manager every few minutes."""

    def __init__(self, aws: AwsClients, cache: TtlCache, ttl: float = 300.0):
        self.aws = aws
        self.cache = cache
        self.ttl = ttl
        self._askpass: Path | None = None  # the AWS seam keeps Secrets Manager answers out of the logs

    async def get(self, secret_id: str) -> GitCredential:
        async def load() -> GitCredential:
            answer = await self.aws.call("secretsmanager", "GetSecretValue", SecretId=secret_id)
            return parse_secret(answer.get("SecretString"), secret_id)

        return await self.cache.get(("git-credential", secret_id), load, self.ttl)

    def askpass(self) -> Path:
        """The askpass script, written once per server into a private (0700) directory."""
        if self._askpass is None or not self._askpass.exists():
            from jupyter_core.paths import jupyter_runtime_dir

            # the Jupyter runtime dir, not /tmp: /tmp may be mounted noexec, and git executes this file
            runtime = Path(jupyter_runtime_dir())
            runtime.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix="studio-collab-askpass-", dir=runtime))
            script = folder / "askpass.sh"
            script.write_text(_ASKPASS)
            script.chmod(stat.S_IRWXU)
            self._askpass = script
        return self._askpass

    def close(self) -> None:
        if self._askpass is not None:
            self._askpass.unlink(missing_ok=True)
            try:
                os.rmdir(self._askpass.parent)
            except OSError:
                pass


def _invalid(secret_id: str) -> StudioCollabError:
    return StudioCollabError(
        "credentials_invalid",
        f"The secret '{secret_id}' holds no usable git token. Store "
        'the token itself, or JSON {"username": ..., "token": ...}.',
        502,
    )

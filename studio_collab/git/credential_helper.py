"""``studio-collab git-credential``: private repos work from every git, not only studio-collab's (invariant 9).

At clone (and at each sync, for repos cloned before this existed) the repo's *local* config gets::

    [credential]
        helper =
        helper = !'<python>' -m studio_collab.git.credential_helper --secret <id> --host <host> [--region ..]

The empty first value drops any other helper (a ``store`` helper would write the token to disk). When git
needs a password — in a terminal, in jupyterlab-git's panel — it runs the helper with ``get``; the helper
reads the Secrets Manager secret at that moment through the space's own AWS credentials and prints it to
git's stdin pipe. Only the secret's *id* is in ``.git/config``; the token is never written to disk, a URL,
argv or a log. ``store`` and ``erase`` are ignored, and a request for any other host gets no answer.

studio-collab's own git processes never reach this helper: they run with ``credential.helper=`` on the
command line (see :data:`.credentials.CREDENTIAL_CONFIG`) and get the token through askpass instead.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from urllib.parse import urlsplit

from .worktree import Worktree

MODULE = "studio_collab.git.credential_helper"


def helper_command(secret_id: str, host: str, region: str | None, endpoint_url: str | None) -> str:
    args = [sys.executable, "-m", MODULE, "--secret", secret_id, "--host", host]
    if region:
        args += ["--region", region]
    if endpoint_url:
        args += ["--endpoint-url", endpoint_url]
    return "!" + shlex.join(args)


def configure_helper(worktree: Worktree, secret_id: str, region: str | None, endpoint_url: str | None) -> None:
    """Point the repo's local config at the helper (idempotent: rewritten only when it differs)."""
    url = worktree.origin_url() or ""
    host = urlsplit(url).hostname
    if not host:
        return  # not an https remote: nothing for a password helper to do
    wanted = ["", helper_command(secret_id, _host_port(url), region, endpoint_url)]
    current = worktree.run("config", "--local", "--get-all", "credential.helper", check=False).stdout
    if current.split("\n")[:-1] == wanted:
        return
    worktree.run("config", "--local", "--unset-all", "credential.helper", check=False)
    for value in wanted:
        worktree.run("config", "--local", "--add", "credential.helper", value)


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    return parts.hostname + (f":{parts.port}" if parts.port else "")


def answer(request: dict[str, str], secret_id: str, host: str, region: str | None, endpoint_url: str | None) -> str:
    """git's ``get`` request -> the lines to print (empty: no answer, git goes on without us)."""
    if request.get("protocol") != "https" or request.get("host", "").lower() != host.lower():
        return ""
    import boto3

    from .credentials import parse_secret

    client = boto3.session.Session().client("secretsmanager", region_name=region, endpoint_url=endpoint_url)
    secret = client.get_secret_value(SecretId=secret_id).get("SecretString")
    credential = parse_secret(secret, secret_id)
    return f"username={credential.username}\npassword={credential.token}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studio-collab git-credential")
    arguments(parser)
    return run(parser.parse_args(argv))


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--secret", required=True, help="the Secrets Manager secret id holding the token")
    parser.add_argument("--host", required=True, help="the only host this helper answers for")
    parser.add_argument("--region")
    parser.add_argument("--endpoint-url")
    parser.add_argument("action", nargs="?", default="get", help="git's verb: get (store and erase are ignored)")


def run(args: argparse.Namespace) -> int:
    request = {}
    for line in sys.stdin.read().splitlines():
        key, _, value = line.partition("=")
        if key:
            request[key] = value
    if args.action != "get":
        return 0  # never stored anywhere, so nothing to store or erase
    try:
        sys.stdout.write(answer(request, args.secret, args.host, args.region, args.endpoint_url))
    except Exception as err:  # noqa: BLE001 - git then says "could not read Username"; say why, without the secret
        print(
            f"studio-collab git-credential: cannot read secret '{args.secret}': {type(err).__name__}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

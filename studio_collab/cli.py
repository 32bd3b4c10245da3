"""The ``studio-collab`` command: one function per subcommand, registered in ``COMMANDS``.

To add a subcommand, write ``_<name>_arguments(parser)`` and ``_<name>(args) -> int`` and add one row to
``COMMANDS``. Heavy imports (moto, MLflow, boto3) happen inside the command functions, so ``--help`` is instant
and the product's own commands never need the local Studio world (``world/``, its own distribution).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NamedTuple

from .deploy.commands import COMMANDS as DEPLOY_COMMANDS  # light: each command imports its parts when it runs


class Command(NamedTuple):
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --- demo ----------------------------------------------------------------------------------------------
def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario",
        default="demo",
        help="scenario name (demo, manual, large) or path to a scenario YAML file (default: demo)",
    )
    parser.add_argument("--no-lab", action="store_true", help="start the world only, without JupyterLab")
    parser.add_argument("--port", type=int, default=0, help="JupyterLab port (default: a free one)")
    parser.add_argument("--root-dir", default=None, help="JupyterLab's root folder (default: a new temporary folder)")


def _demo(args: argparse.Namespace) -> int:
    try:
        from studio_world.demo import run_demo
    except ImportError as err:
        print(
            "studio-collab demo needs the local Studio world, a package of studio-collab's repository "
            f"(`make lab` installs it, or `pip install ./world`): {err}",
            file=sys.stderr,
        )
        return 2
    return run_demo(scenario=args.scenario, with_lab=not args.no_lab, port=args.port, root_dir=args.root_dir)


COMMANDS: dict[str, Command] = {
    "demo": Command(
        "start the local Studio world (AWS emulator, git server, MLflow) and JupyterLab on it", _demo_arguments, _demo
    ),
    "lcc": Command(*DEPLOY_COMMANDS["lcc"]),
    "iam-policy": Command(*DEPLOY_COMMANDS["iam-policy"]),
    "doctor": Command(*DEPLOY_COMMANDS["doctor"]),
    "git-credential": Command(
        "a git credential helper: answers git's `get` with a catalog repo's Secrets Manager "
        "token (configured in the repo's local config at clone); never stores it",
        lambda parser: _git_credential().arguments(parser),
        lambda args: _git_credential().run(args),
    ),
}


def _git_credential():
    from .git import credential_helper

    return credential_helper


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studio-collab", description="studio-collab for SageMaker Studio")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        sub = subcommands.add_parser(name, help=command.help, description=command.help)
        command.arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


# Commands that also take the server's own `--StudioCollabApp.<option>=<value>` arguments.
TAKES_SERVER_OPTIONS = ("doctor",)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and (args.command not in TAKES_SERVER_OPTIONS or not extra[0].startswith("--StudioCollabApp.")):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.server_options = extra
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

"""The README's configuration reference, rendered from StudioCollabApp's traitlets so it cannot drift.

python -m studio_collab.deploy.config_reference              # print the reference
python -m studio_collab.deploy.config_reference --write README.md   # replace it between the markers
python -m studio_collab.deploy.config_reference --check README.md   # exit 1 when README.md is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

START = "<!-- config-reference:start -->"
END = "<!-- config-reference:end -->"


def _type_name(trait) -> str:
    from traitlets import Bool, Dict, Enum, Float, Int, List, Unicode

    if isinstance(trait, Enum):
        return " \\| ".join(f"`{json.dumps(v)}`" for v in trait.values)
    if isinstance(trait, List):
        inner = getattr(trait, "_trait", None)
        return f"list of {_type_name(inner)}" if inner is not None else "list"
    for cls, name in ((Bool, "bool"), (Int, "int"), (Float, "float"), (Unicode, "str"), (Dict, "dict")):
        if isinstance(trait, cls):
            return name
    return type(trait).__name__


def _default(app_class, name: str, trait) -> str:
    if name in getattr(app_class, "_trait_default_generators", {}):
        return "computed, see description"
    value = trait.default_value
    if value is None or type(value).__name__ == "Sentinel":
        value = trait.make_dynamic_default() if hasattr(trait, "make_dynamic_default") else None
    return f"`{json.dumps(value)}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render() -> str:
    """A Markdown table of every admin option, in the order they are declared."""
    from ..app import StudioCollabApp

    traits = StudioCollabApp.class_own_traits(config=True)
    declared = [n for n in vars(StudioCollabApp) if n in traits]  # class-body order groups options by feature
    lines = [
        "| option | type | default | description |",
        "|---|---|---|---|",
    ]
    for name in declared:
        trait = traits[name]
        lines.append(
            f"| `{name}` | {_type_name(trait)} | {_default(StudioCollabApp, name, trait)} | {_cell(trait.help)} |"
        )
    return "\n".join(lines) + "\n"


def replace_section(text: str, reference: str) -> str:
    if START not in text or END not in text or text.index(START) > text.index(END):
        raise ValueError(f"the markers {START} and {END} are missing or out of order")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{reference}{END}{tail}"


def section(text: str) -> str:
    """What is between the markers now (without them)."""
    return text.split(START, 1)[1].split(END, 1)[0].lstrip("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m studio_collab.deploy.config_reference",
        description="Render the configuration reference from the traitlets.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="README", type=Path, help="replace the section between the markers")
    group.add_argument("--check", metavar="README", type=Path, help="exit 1 when the section is out of date")
    args = parser.parse_args(argv)
    reference = render()
    if args.write:
        args.write.write_text(replace_section(args.write.read_text(encoding="utf-8"), reference), encoding="utf-8")
        return 0
    if args.check:
        if section(args.check.read_text(encoding="utf-8")) != reference:
            print(
                f"{args.check} is out of date: run python -m studio_collab.deploy.config_reference --write "
                f"{args.check}",
                file=sys.stderr,
            )
            return 1
        return 0
    sys.stdout.write(reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())

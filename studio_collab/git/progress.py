"""git's progress lines → one 0..1 fraction and a phase a person can read.

GitPython's :class:`~git.util.RemoteProgress` parses the lines; this maps its phases onto fixed slices of
the bar, so the bar only ever moves forward across counting, receiving, resolving and checkout.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Report = Callable[[float, str], None]

# (first, last) fraction of the bar each phase fills
_SLICES = {
    "counting": (0.0, 0.03),
    "compressing": (0.03, 0.06),
    "receiving": (0.06, 0.8),
    "resolving": (0.8, 0.9),
    "checkout": (0.9, 1.0),
}
_PHASE_TEXT = {
    "counting": "Counting objects",
    "compressing": "Compressing objects",
    "receiving": "Receiving objects",
    "resolving": "Resolving deltas",
    "checkout": "Checking out files",
}
_UPDATING = re.compile(r"^Updating files:\s+(\d+)% \((\d+)/(\d+)\)")


def progress_parser(report: Report, start: float = 0.0, end: float = 1.0):
    """A line handler for :meth:`GitRunner.run`: feeds GitPython's parser and reports ``start..end``."""
    from git import RemoteProgress  # lazy: GitPython stays out of server start

    class _Progress(RemoteProgress):
        def __init__(self) -> None:
            super().__init__()
            self.highest = start

        def update(self, op_code, cur_count, max_count=None, message=""):
            phase = _phase(op_code & RemoteProgress.OP_MASK)
            if phase is not None:
                self.emit(phase, cur_count, max_count, message)

        def line_dropped(self, line: str) -> None:
            # git ≥ 2.x says "Updating files" where GitPython expects "Checking out files"
            match = _UPDATING.match(line)
            if match:
                self.emit("checkout", float(match.group(2)), float(match.group(3)), "")

        def emit(self, phase: str, cur: float | None, total: float | None, message: str) -> None:
            low, high = _SLICES[phase]
            within = (cur / total) if cur is not None and total else 0.0
            fraction = start + (end - start) * (low + (high - low) * min(1.0, within))
            self.highest = max(self.highest, fraction)
            text = _PHASE_TEXT[phase]
            if total:
                text += f" {int(100 * min(1.0, within))}%"
            if message and phase == "receiving":
                text += f" ({message.split('|')[0].strip()})"  # e.g. "12.00 MiB", without the speed
            report(self.highest, text)

    parser = _Progress()
    return parser._parse_progress_line


def _phase(op: int) -> str | None:
    from git import RemoteProgress

    return {
        RemoteProgress.COUNTING: "counting",
        RemoteProgress.COMPRESSING: "compressing",
        RemoteProgress.RECEIVING: "receiving",
        RemoteProgress.RESOLVING: "resolving",
        RemoteProgress.CHECKING_OUT: "checkout",
    }.get(op)

"""Child processes of the world, each in its own process group so stopping one stops everything it forked."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import time
from pathlib import Path


class ChildProcess:
    """A server started as ``argv`` that announces itself with one JSON line on stdout."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict | None = None, cwd: Path | None = None):
        self.name = name
        self.argv = argv
        self.log_path = Path(log_path)
        self.env = env
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0, announce: bool = True) -> dict:
        """Start it; return its JSON announcement (or ``{}`` when it does not announce)."""
        self.spawn(announce)
        return self.announcement(timeout) if announce else {}

    def spawn(self, announce: bool = True) -> ChildProcess:
        """Start it without waiting (several servers can then start side by side)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdout=subprocess.PIPE if announce else log,
                stderr=log,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        return self

    def announcement(self, timeout: float = 60.0) -> dict:
        """Wait for the JSON line the server prints once it listens."""
        line = self._first_line(timeout)
        try:
            return json.loads(line)
        except ValueError:
            self.stop()
            raise RuntimeError(f"{self.name} did not start: {self.tail()}") from None

    def _first_line(self, timeout: float) -> str:
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        buffer = b""
        while b"\n" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None and not selector.select(0):
                self.stop()
                raise RuntimeError(f"{self.name} did not start within {timeout:.0f} s: {self.tail()}")
            if selector.select(min(left, 0.5)):
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk and self.process.poll() is not None:
                    continue
                buffer += chunk
        selector.close()
        return buffer.split(b"\n", 1)[0].decode()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the whole process group, then SIGKILL whatever is left after ``grace`` seconds."""
        if self.process is None:
            return
        stop_process_group(self.process.pid, grace)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        if self.process.stdout:
            self.process.stdout.close()


def stop_process_group(pgid: int, grace: float = 5.0) -> None:
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not group_alive(pgid):
            return
        time.sleep(0.05)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def group_alive(pgid: int) -> bool:
    """True while any process of the group still exists (zombies of our own children aside)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # killpg(0) succeeds for zombies too: look for a live member.
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False

"""The one place git runs: a clean environment, a real timeout, cancel, progress, secrets redacted.

Every git process of studio-collab starts here, in a worker thread, in its own process group so that a
timeout or a cancel kills git *and* its helpers (git-remote-https, index-pack). Its environment is built
from scratch for git: inherited ``GIT_*`` variables (``GIT_DIR`` from a hook, ``GIT_SSL_NO_VERIFY``, an
askpass) are dropped, terminal prompts are off, and a token, when one is needed, is put only into that
one process's environment (see :mod:`.credentials`), never into ``os.environ``, argv or a URL.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..jobs import JobCancelled

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.05
_KILL_GRACE_SECONDS = 2.0
# Transfers (clone, fetch) run this much nicer than the server: on a busy space the event loop, a status read
# and the user's kernel get the CPU first, and the transfer still has every cycle nobody else wants.
BACKGROUND_NICENESS = 10
ProgressLine = Callable[[str], None]


class GitCommandFailed(Exception):
    """git exited non-zero. ``stderr`` is redacted; it goes to the log, never to a person."""

    def __init__(self, verb: str, returncode: int, stderr: str):
        super().__init__(f"git {verb} exited with {returncode}")
        self.verb = verb
        self.returncode = returncode
        self.stderr = stderr


class GitTimedOut(Exception):
    def __init__(self, verb: str, seconds: float):
        super().__init__(f"git {verb} was stopped after {seconds:g} s")
        self.verb = verb
        self.seconds = seconds


@dataclass
class GitResult:
    returncode: int
    stdout: str
    stderr: str


class Redactor:
    """Replaces known secrets (and their URL-encoded forms) in any text that may be logged."""

    def __init__(self, secrets: Iterable[str] = ()):
        from urllib.parse import quote

        values = {s for s in secrets if s}
        self._secrets = sorted(values | {quote(s, safe="") for s in values}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


class GitRunner:
    """Runs ``git`` with a fixed, minimal environment and per-call timeout, cancel and progress."""

    def __init__(
        self,
        ca_bundle: str | None = None,
        allowed_protocols: Sequence[str] = ("https",),
        executable: str | None = None,
        memo=None,
    ):
        self.ca_bundle = ca_bundle or None
        # The server's one cache (studio/cache.py): what a worktree learns per file version (origin URL, a
        # notebook equal to its commit) is kept there; without it (a runner made alone) git is asked each time.
        self.memo = memo
        self.allowed_protocols = tuple(allowed_protocols)
        self.executable = executable or _git_executable()

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "SSH_ASKPASS"}
        env.update(
            {
                "GIT_TERMINAL_PROMPT": "0",  # never wait for a password on a terminal nobody sees
                "GIT_ASKPASS": "",  # empty = no askpass at all, unless credentials set one for this process
                "SSH_ASKPASS": "",
                "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
                "LC_ALL": "C",  # English messages: errors are classified by their text
                "LANGUAGE": "C",
                # a file named '*.txt' or ':(glob)x' is that file, never a pattern that reaches the user's others
                "GIT_LITERAL_PATHSPECS": "1",
            }
        )
        if self.ca_bundle:
            env["GIT_SSL_CAINFO"] = self.ca_bundle  # the standard way to trust a company CA; TLS stays on
        env.update(extra or {})
        return env

    def argv(self, args: Sequence[str], config: Sequence[str] = ()) -> list[str]:
        # Transport allow-list at git's own level too: even a tampered .git/config cannot switch a remote
        # to ext::, file:// or plain http.
        options = ["-c", "protocol.allow=never"]
        for protocol in self.allowed_protocols:
            options += ["-c", f"protocol.{protocol}.allow=always"]
        for item in config:
            options += ["-c", item]
        return [self.executable, *options, *args]

    def run(
        self,
        args: Sequence[str],
        cwd: str | os.PathLike | None = None,
        *,
        timeout: float,
        env: dict[str, str] | None = None,
        config: Sequence[str] = (),
        cancel: threading.Event | None = None,
        on_stderr_line: ProgressLine | None = None,
        redact: Redactor | None = None,
        check: bool = True,
        stdout_bytes: bool = False,
        background: bool = False,
        input: bytes | None = None,
    ) -> GitResult:
        """Run one git command to completion. Raises :class:`GitTimedOut`, :class:`JobCancelled`
        (the cancel event was set) or, with ``check``, :class:`GitCommandFailed`. ``background``: a transfer,
        run at :data:`BACKGROUND_NICENESS` (its helpers, started later, inherit it)."""
        redact = redact or Redactor()
        verb = next((a for a in args if not a.startswith("-")), "git")
        argv = self.argv(args, config)
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=self.environment(env),
            stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        if background:
            with contextlib.suppress(OSError):  # a container may forbid it; the transfer then runs as is
                os.setpriority(os.PRIO_PROCESS, process.pid, BACKGROUND_NICENESS)
        stdout_chunks: list[bytes] = []
        stderr_tail: deque[str] = deque(maxlen=40)

        def pump_stdout() -> None:
            for chunk in iter(lambda: process.stdout.read(65536), b""):
                stdout_chunks.append(chunk)

        def pump_stderr() -> None:
            pending = b""
            for chunk in iter(lambda: process.stderr.read1(4096), b""):
                pending += chunk
                # git redraws progress with '\r'; each redraw is a line for the progress parser
                *lines, pending = pending.replace(b"\r", b"\n").split(b"\n")
                for raw in lines:
                    _stderr_line(raw, on_stderr_line, stderr_tail, redact)
            if pending:
                _stderr_line(pending, on_stderr_line, stderr_tail, redact)

        def pump_stdin() -> None:
            with contextlib.suppress(OSError):  # git may exit before reading everything (e.g. killed)
                process.stdin.write(input)
            with contextlib.suppress(OSError):
                process.stdin.close()

        readers = [threading.Thread(target=pump_stdout, daemon=True), threading.Thread(target=pump_stderr, daemon=True)]
        if input is not None:
            readers.append(threading.Thread(target=pump_stdin, daemon=True))
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + timeout
        stopped: str | None = None
        try:
            while process.poll() is None:
                if cancel is not None and cancel.is_set():
                    stopped = "cancel"
                elif time.monotonic() > deadline:
                    stopped = "timeout"
                if stopped:
                    _kill_group(process)
                    break
                if readers[0].is_alive():
                    # a blocking wait that ends the moment git closes its stdout (it is exiting): Popen.wait's
                    # own polling would add up to half a git call's run time to every short call
                    readers[0].join(_POLL_SECONDS)
                    continue
                try:
                    process.wait(_POLL_SECONDS)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            if process.poll() is None:  # an exception in this thread must not leave git running
                _kill_group(process)
            for reader in readers:
                reader.join(5)
            process.stdout.close()
            process.stderr.close()
        stderr = "\n".join(stderr_tail)
        if stopped == "cancel":
            raise JobCancelled()
        if stopped == "timeout":
            log.warning("git %s timed out after %gs: %s", verb, timeout, stderr[-500:])
            raise GitTimedOut(verb, timeout)
        raw = b"".join(stdout_chunks)
        stdout = raw if stdout_bytes else raw.decode("utf-8", "surrogateescape")
        if check and process.returncode != 0:
            log.info("git %s exited %s: %s", verb, process.returncode, stderr[-1000:])
            raise GitCommandFailed(verb, process.returncode, stderr)
        return GitResult(process.returncode, stdout, stderr)  # type: ignore[arg-type]


def _stderr_line(raw: bytes, on_line: ProgressLine | None, tail: deque, redact: Redactor) -> None:
    line = redact(raw.decode("utf-8", "replace")).strip()
    if not line:
        return
    if on_line is not None:
        on_line(line)
    if "%" not in line:  # keep messages, not the hundreds of progress redraws
        tail.append(line)


def _kill_group(process: subprocess.Popen) -> None:
    """TERM then KILL the whole group: git's helpers must die with it or they keep the transfer going."""
    for sig, wait in ((signal.SIGTERM, _KILL_GRACE_SECONDS), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            # the leader is gone; helpers in the group may linger a moment, so signal the group once more
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        except subprocess.TimeoutExpired:
            continue


def _git_executable() -> str:
    # GitPython's variable names the git to use, as it does for GitPython itself
    return os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or shutil.which("git") or "git"

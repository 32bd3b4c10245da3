"""The one git chokepoint: clean environment, transport allow-list, GitPython's guards, real timeouts and cancel
that kill the whole process group, secrets redacted."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from studio_collab.git.clone import clone_repo, sweep_leftovers
from studio_collab.git.command import GitCommandFailed, GitRunner, GitTimedOut, Redactor
from studio_collab.git.credentials import GitCredential, parse_secret
from studio_collab.git.repo_spec import RepoSpec
from studio_collab.jobs import JobCancelled
from studio_collab.studio.aws import WireLogFilter
from tests.git.repos import Upstream
from tests.helpers import wait_until


def test_environment_is_built_for_git_only(monkeypatch):
    for name, value in {
        "GIT_DIR": "/elsewhere",
        "GIT_SSL_NO_VERIFY": "1",
        "GIT_ASKPASS": "/bin/leak",
        "SSH_ASKPASS": "/bin/leak",
        "GIT_CONFIG_PARAMETERS": "'core.sshCommand=x'",
    }.items():
        monkeypatch.setenv(name, value)
    env = GitRunner(ca_bundle="/etc/company-ca.pem").environment({"EXTRA": "1"})
    assert "GIT_DIR" not in env and "GIT_SSL_NO_VERIFY" not in env and "GIT_CONFIG_PARAMETERS" not in env
    assert env["GIT_TERMINAL_PROMPT"] == "0" and env["GIT_ASKPASS"] == "" and env["SSH_ASKPASS"] == ""
    assert env["GIT_SSL_CAINFO"] == "/etc/company-ca.pem" and env["EXTRA"] == "1"
    assert "GIT_SSL_CAINFO" not in GitRunner().environment()
    assert os.environ["GIT_SSL_NO_VERIFY"] == "1", "os.environ itself is never changed"


def test_only_allowed_transports_reach_the_network(tmp_path):
    upstream = Upstream(tmp_path)
    upstream.commit({"a.txt": "a\n"})
    with pytest.raises(GitCommandFailed) as err:
        GitRunner(allowed_protocols=("https",)).run(
            ["clone", "--", upstream.url, str(tmp_path / "c")], cwd=tmp_path, timeout=30
        )
    assert "not allowed" in err.value.stderr
    GitRunner(allowed_protocols=("file",)).run(
        ["clone", "-q", "--", upstream.url, str(tmp_path / "c")], cwd=tmp_path, timeout=30
    )
    assert (tmp_path / "c" / "a.txt").exists()


@pytest.mark.parametrize("url", ["ext::sh -c touch% /tmp/studio-collab-pwned", "fd::17"])
def test_gitpython_protocol_guard_stays_on_for_clone(tmp_path, url):
    from git.exc import UnsafeProtocolError

    spec = RepoSpec(id="x-1", name="x", url=url, source="config", target="x")
    with pytest.raises(UnsafeProtocolError):
        clone_repo(GitRunner(allowed_protocols=("https", "ext", "fd")), tmp_path, spec, timeout=10)
    assert not (tmp_path / "x").exists() and not os.path.exists("/tmp/studio-collab-pwned")


def test_gitpython_option_guard_stays_on_for_clone(tmp_path):
    from git.exc import UnsafeOptionError

    spec = RepoSpec(
        id="x-1",
        name="x",
        url="https://example.invalid/x.git",
        source="config",
        target="x",
        branch="--upload-pack=touch /tmp/studio-collab-pwned",
    )
    with pytest.raises(UnsafeOptionError):
        clone_repo(GitRunner(), tmp_path, spec, timeout=10)


@pytest.fixture
def slow_git(tmp_path):
    """A stand-in executable that behaves like a hung transfer: it starts a helper and waits for it, as git
    waits for git-remote-https. The runner under test is real; only the stalled network is simulated."""
    pid_file = tmp_path / "helper.pid"
    script = tmp_path / "slow-git"
    script.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {pid_file}\nwait\n")
    script.chmod(0o755)
    return GitRunner(executable=str(script)), pid_file


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:  # a zombie waiting for its reaper is gone too
        return stat.read().split(") ")[1].startswith("Z")


def test_timeout_kills_git_and_its_helpers(slow_git):
    runner, pid_file = slow_git
    started = time.monotonic()
    with pytest.raises(GitTimedOut):
        runner.run(["fetch"], timeout=1.0)
    assert time.monotonic() - started < 60, "the runner waited for the helper's whole sleep"
    wait_until(lambda: _gone(int(pid_file.read_text())), timeout=10, what="the helper killed")


def test_cancel_kills_git_and_its_helpers(slow_git):
    runner, pid_file = slow_git
    cancel = threading.Event()
    # cancel once the helper runs (its pid written), as a user cancels a transfer under way
    threading.Thread(
        target=lambda: (wait_until(lambda: pid_file.exists() and pid_file.read_text().strip()), cancel.set()),
        daemon=True,
    ).start()
    with pytest.raises(JobCancelled):
        runner.run(["clone"], timeout=30, cancel=cancel)
    wait_until(lambda: _gone(int(pid_file.read_text())), timeout=10, what="the helper killed")


def test_redactor_hides_plain_and_url_encoded_secrets():
    redact = Redactor(["s3cr/t+tok"])
    assert redact("auth s3cr/t+tok and s3cr%2Ft%2Btok") == "auth *** and ***"
    assert Redactor([])("nothing") == "nothing"


def test_secrets_parse_and_never_print():
    assert parse_secret("  tok-123\n", "s") == GitCredential("x-access-token", "tok-123")
    assert parse_secret('{"username": "bot", "token": "t"}', "s") == GitCredential("bot", "t")
    assert parse_secret('{"username": "bot", "password": "p"}', "s").token == "p"
    assert "tok-123" not in repr(parse_secret("tok-123", "s"))
    for bad in ("", "   ", "{}", '{"username": "x"}', "{not json", "a\nb"):
        with pytest.raises(Exception) as err:
            parse_secret(bad, "my-secret")
        assert getattr(err.value, "code", "") == "credentials_invalid"


def test_botocore_body_logs_never_carry_a_secret_value():
    import logging

    record = logging.LogRecord(
        "botocore.parsers",
        logging.DEBUG,
        __file__,
        1,
        "Response body:\n%r",
        (b'{"SecretString": "{\\"token\\": \\"tok-9\\"}"}',),
        None,
    )
    WireLogFilter().filter(record)
    assert "tok-9" not in record.getMessage()
    record = logging.LogRecord(
        "botocore.auth",
        logging.DEBUG,
        __file__,
        1,
        "CanonicalRequest:\n%s",
        ("host:x\nx-amz-security-token:FQoG-session-9\n",),
        None,
    )
    WireLogFilter().filter(record)
    assert "FQoG-session-9" not in record.getMessage() and "x-amz-security-token:***" in record.getMessage()


def test_leftover_temp_clones_are_swept_only_when_old(tmp_path):
    old = tmp_path / ".repo.studio-collab-clone-aaaa"
    fresh = tmp_path / ".repo.studio-collab-clone-bbbb"
    keep = tmp_path / "repo"
    for folder in (old, fresh, keep):
        folder.mkdir()
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert sweep_leftovers(tmp_path, older_than=600) == [old]
    assert fresh.exists() and keep.exists()


def _leftover_of(tmp_path, name: str, **owner) -> os.PathLike:
    """A temporary clone folder as clone_repo lays it out (owner record + partial repo/), with owner fields set."""
    import json

    from studio_collab.git import clone

    folder = tmp_path / f".{name}.studio-collab-clone-{name}"
    (folder / "repo" / ".git").mkdir(parents=True)
    clone._write_owner(
        folder, {"job_id": "0123456789abcdef", "repo_id": f"{name}-0000000000", "name": name, "target": name}
    )
    record = json.loads((folder / "owner.json").read_text())
    (folder / "owner.json").write_text(json.dumps({**record, **owner}))
    return folder


def test_leftovers_of_a_dead_server_are_swept_at_once_and_live_ones_kept(tmp_path):
    import subprocess

    from studio_collab.git.clone import find_leftovers

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = _leftover_of(tmp_path, "dead", pid=gone.pid)
    reused = _leftover_of(tmp_path, "reused", process_start=1)  # this pid, but another process than the recorder
    live = _leftover_of(tmp_path, "live")  # this very process: a clone still running
    elsewhere = _leftover_of(tmp_path, "elsewhere", pid=gone.pid, host="another-machine")  # cannot tell: age rule
    found = {leftover.path: leftover for leftover in find_leftovers(tmp_path, older_than=600)}
    assert set(found) == {dead, reused}
    assert found[dead].interrupted["job_id"] == "0123456789abcdef"
    assert set(sweep_leftovers(tmp_path, older_than=600)) == {dead, reused}
    assert live.exists() and elsewhere.exists() and not dead.exists() and not reused.exists()
    os.utime(elsewhere, (time.time() - 7200, time.time() - 7200))
    assert sweep_leftovers(tmp_path, older_than=600) == [elsewhere]


def test_a_finished_clone_left_behind_is_not_reported_as_interrupted(tmp_path):
    import shutil
    import subprocess

    from studio_collab.git.clone import find_leftovers

    gone = subprocess.Popen(["true"])
    gone.wait()
    folder = _leftover_of(tmp_path, "done", pid=gone.pid)
    [leftover] = find_leftovers(tmp_path, older_than=600)
    assert leftover.interrupted["job_id"] == "0123456789abcdef"
    shutil.rmtree(folder / "repo")  # a dying git removes its folder: still an interrupted clone
    assert find_leftovers(tmp_path, older_than=600)[0].interrupted["job_id"] == "0123456789abcdef"
    (tmp_path / "done" / ".git").mkdir(parents=True)  # moved into place; the server died before tidying up
    assert find_leftovers(tmp_path, older_than=600)[0].interrupted is None


def test_sweeping_stops_a_git_process_still_writing_into_the_leftover(tmp_path):
    """git runs in a session of its own: a SIGKILLed server leaves it running in the folder."""
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    folder = _leftover_of(tmp_path, "orphan", pid=gone.pid)
    subprocess.run(["git", "init", "-q", str(folder / "repo")], check=True)
    orphan = subprocess.Popen(
        ["git", "cat-file", "--batch"],
        cwd=folder / "repo",
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # git itself, not the fork that becomes it: a loaded machine may not have run the exec yet
        wait_until(lambda: Path(f"/proc/{orphan.pid}/exe").resolve().name == "git", 30, what="git to start")
        assert orphan.poll() is None
        assert sweep_leftovers(tmp_path, older_than=600) == [folder]
        assert orphan.wait(timeout=5) == -9 and not folder.exists()
    finally:
        if orphan.poll() is None:
            orphan.kill()

"""The one git chokepoint: clean environment, transport allow-list, GitPython's guards, real timeouts and cancel
that kill the whole process group, secrets redacted."""

from __future__ import annotations

import os
import threading
import time

import pytest

from studio_collab.git.clone import clone_repo, sweep_leftovers
from studio_collab.git.command import GitCommandFailed, GitRunner, GitTimedOut, Redactor
from studio_collab.git.credentials import GitCredential, SecretValueLogFilter, parse_secret
from studio_collab.git.repo_spec import RepoSpec
from studio_collab.jobs import JobCancelled
from tests.git.repos import Upstream


def test_environment_is_built_for_git_only(monkeypatch):
    for name, value in {"GIT_DIR": "/elsewhere", "GIT_SSL_NO_VERIFY": "1", "GIT_ASKPASS": "/bin/leak",
                        "SSH_ASKPASS": "/bin/leak", "GIT_CONFIG_PARAMETERS": "'core.sshCommand=x'"}.items():
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
        GitRunner(allowed_protocols=("https",)).run(["clone", "--", upstream.url, str(tmp_path / "c")],
                                                     cwd=tmp_path, timeout=30)
    assert "not allowed" in err.value.stderr
    GitRunner(allowed_protocols=("file",)).run(["clone", "-q", "--", upstream.url, str(tmp_path / "c")],
                                               cwd=tmp_path, timeout=30)
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

    spec = RepoSpec(id="x-1", name="x", url="https://example.invalid/x.git", source="config", target="x",
                    branch="--upload-pack=touch /tmp/studio-collab-pwned")
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
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert _gone(int(pid_file.read_text()))


def test_cancel_kills_git_and_its_helpers(slow_git):
    runner, pid_file = slow_git
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    with pytest.raises(JobCancelled):
        runner.run(["clone"], timeout=30, cancel=cancel)
    time.sleep(0.2)
    assert _gone(int(pid_file.read_text()))


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

    record = logging.LogRecord("botocore.parsers", logging.DEBUG, __file__, 1, "Response body:\n%r",
                               (b'{"SecretString": "{\\"token\\": \\"tok-9\\"}"}',), None)
    SecretValueLogFilter().filter(record)
    assert "tok-9" not in record.getMessage()


def test_leftover_temp_clones_are_swept_only_when_old(tmp_path):
    old = tmp_path / ".repo.studio-collab-clone-aaaa"
    fresh = tmp_path / ".repo.studio-collab-clone-bbbb"
    keep = tmp_path / "repo"
    for folder in (old, fresh, keep):
        folder.mkdir()
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert sweep_leftovers(tmp_path, older_than=600) == [old]
    assert fresh.exists() and keep.exists()

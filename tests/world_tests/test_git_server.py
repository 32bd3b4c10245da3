"""The world's HTTPS git server: trusted through its CA, token for private repos, faults mid-transfer."""

import base64
import os
import subprocess

import pytest


def _git(world, *args, token: str | None = None, cwd=None):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd or "/tmp"),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        **world.local.git_env(),
    }
    if token:  # header in config from the environment: the token never reaches argv or .git/config
        env.update(
            GIT_CONFIG_COUNT="1",
            GIT_CONFIG_KEY_0="http.extraHeader",
            GIT_CONFIG_VALUE_0="Authorization: Basic " + base64.b64encode(f"x:{token}".encode()).decode(),
        )
    return subprocess.run(["git", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_clone_over_https_with_the_world_ca(world, tmp_path):
    assert world.git_base_url.startswith("https://")
    done = _git(world, "clone", "-q", "--branch", "feature/tuning", world.repo_url("churn-model"), str(tmp_path / "c"))
    assert done.returncode == 0, done.stderr
    log = _git(world, "log", "--format=%an|%s", cwd=tmp_path / "c").stdout.splitlines()
    assert log[0].endswith("|Start feature/tuning") and len(log) == 7
    untrusted = subprocess.run(
        ["git", "ls-remote", world.local.repo_url("churn-model")],  # the server itself: no proxy config needed
        capture_output=True,
        text=True,
        env={
            "PATH": os.environ["PATH"],
            "GIT_SSL_CAINFO": "/etc/ssl/certs/ca-certificates.crt",
            "GIT_TERMINAL_PROMPT": "0",
        },
        timeout=60,
    )
    assert untrusted.returncode != 0 and "certificate" in untrusted.stderr.lower()


def test_private_repo_needs_the_token(world, tmp_path):
    refused = _git(world, "ls-remote", world.repo_url("feature-store"))
    assert refused.returncode != 0
    wrong = _git(world, "ls-remote", world.repo_url("feature-store"), token="wrong")
    assert wrong.returncode != 0
    allowed = _git(world, "clone", "-q", world.repo_url("feature-store"), str(tmp_path / "fs"), token=world.git_token)
    assert allowed.returncode == 0, allowed.stderr
    assert (tmp_path / "fs" / "feature_store" / "__init__.py").exists()


def test_upstream_commit_then_pull(world, tmp_path):
    assert _git(world, "clone", "-q", world.repo_url("team-notebooks"), str(tmp_path / "t")).returncode == 0
    sha = world.repos.commit("team-notebooks", {"notes.md": "# new upstream work\n"}, "Upstream change")
    pulled = _git(world, "pull", "-q", cwd=tmp_path / "t")
    assert pulled.returncode == 0, pulled.stderr
    assert (
        _git(world, "rev-parse", "HEAD", cwd=tmp_path / "t").stdout.strip() == sha == world.repos.head("team-notebooks")
    )


def test_transfer_cut_mid_pack_then_recovers(world, tmp_path):
    world.git_faults(cut_after_bytes=300, count=1)
    cut = _git(world, "clone", world.repo_url("churn-model"), str(tmp_path / "a"))
    assert cut.returncode != 0
    assert _git(world, "clone", "-q", world.repo_url("churn-model"), str(tmp_path / "b")).returncode == 0


@pytest.mark.parametrize("path", ["/nothing.git/info/refs?service=git-upload-pack", "/../etc/passwd"])
def test_unknown_paths_are_404(world, path):
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=str(world.ca_bundle))
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(world.git_base_url + path, context=context, timeout=10)
    assert err.value.code == 404


def test_the_catalog_alias_has_no_port_and_clones_through_the_servers_own_port(world, tmp_path):
    """Studio's CodeRepositories pattern (botocore) refuses a port; the alias fits it, and git reaches the
    server through the world's proxy with TLS still checked against the world's CA."""
    import re
    from urllib.parse import urlsplit

    url = world.catalog_url("feature-store")
    assert re.fullmatch(r"https://([.\-_a-zA-Z0-9]+/?){3,1016}", url) and urlsplit(url).port is None
    assert urlsplit(world.local.repo_url("feature-store")).port not in (None, 443)  # no root needed for the server
    cloned = _git(world, "clone", "-q", url, str(tmp_path / "fs"), token=world.git_token)
    assert cloned.returncode == 0, cloned.stderr
    assert _git(world, "rev-parse", "HEAD", cwd=tmp_path / "fs").stdout.strip() == world.repos.head("feature-store")
    wrong_ca = subprocess.run(
        ["git", "ls-remote", url],
        capture_output=True,
        text=True,
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            **world.local.git_env(),
            "GIT_SSL_CAINFO": "/etc/ssl/certs/ca-certificates.crt",
        },
        timeout=60,
    )
    assert wrong_ca.returncode != 0 and "certificate" in wrong_ca.stderr.lower()


@pytest.mark.parametrize("destination", ["example.com:443", "127.0.0.1:22", "git.studio-world.test:80"])
def test_the_alias_proxy_tunnels_only_the_alias(world, destination):
    import socket
    from urllib.parse import urlsplit

    proxy = urlsplit(world.local.alias_proxy_url)
    with socket.create_connection((proxy.hostname, proxy.port), timeout=10) as sock:
        sock.sendall(f"CONNECT {destination} HTTP/1.1\r\nHost: {destination}\r\n\r\n".encode())
        assert sock.recv(64).startswith(b"HTTP/1.1 403 ")

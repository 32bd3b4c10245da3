"""Secrets sweep: every feature of studio-collab on a live server on the local Studio world, with a token-protected
repo (its token in Secrets Manager), a wrong token in a second secret, an MLflow password in the tracking URI and
distinctive AWS credentials; every response (body and headers), the SSE stream, the debug server log, the clone's
.git files, the argv of every git process and every file the server wrote are captured, and no secret is anywhere
in them, in any of the forms it travels in (plain, URL-encoded, base64 alone or inside a Basic header)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
import requests

from tests.experiments.mlflow_proxy import RecordingProxy
from tests.servers import start_lab
from tests.share.conftest import make_notebook

pytestmark = pytest.mark.world

SECRET = "studio-collab/git/feature-store"  # seeded by the demo scenario with the git server's token
WRONG_SECRET = "studio-collab/git/secrets-sweep-wrong"
WRONG_REPO = "secrets-sweep-private"  # a second private repo of the world, whose secret holds a wrong token
NOTEBOOK = "work/sweep.ipynb"


def forms(secret: str) -> set[str]:
    """The ways a secret can appear in text: itself, URL-encoded, and base64 of it at any alignment (alone or
    inside a longer value such as ``user:token`` in a Basic header), standard and URL-safe alphabets."""
    found = {secret, quote(secret, safe=""), quote(secret)}
    raw = secret.encode()
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * pad + raw + b"\0\0\0").decode()
            # drop the first and last 4-char groups: they mix in bytes that are not the secret's
            core = encoded[4:-8]
            if len(core) >= 12:
                found.add(core)
    return found


def scan(text: str, needles: dict[str, set[str]]) -> list[str]:
    return sorted(f"{name} as {form[:6]}…" for name, all_forms in needles.items() for form in all_forms if form in text)


def git_wrapper(folder: Path) -> tuple[Path, Path]:
    """A git that appends its argv (one JSON line) to a file, then runs the real git: argv is visible to every
    user of a machine, so no secret may ever be in it."""
    import shutil

    real = shutil.which("git")
    log = folder / "git-argv.log"
    script = folder / "git"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, os, sys\n"
        f"with open({str(log)!r}, 'a') as out:\n"
        "    out.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n"
    )
    script.chmod(stat.S_IRWXU)
    return script, log


class Capture:
    """Every exchange with the server, as text: method, URL, status, headers and body."""

    def __init__(self, server):
        self.server = server
        self.session = requests.Session()
        self.session.headers.update(server.headers)
        self.records: list[str] = []

    def call(self, method: str, path: str, expect: int | tuple = 200, **kwargs) -> requests.Response:
        response = self.session.request(method, self.server.api(path), timeout=60, **kwargs)
        self.record(response)
        codes = expect if isinstance(expect, tuple) else (expect,)
        assert response.status_code in codes, (method, path, response.status_code, response.text[:500])
        return response

    def json(self, method: str, path: str, expect: int | tuple = 200, **kwargs) -> dict:
        return self.call(method, path, expect, **kwargs).json()

    def record(self, response: requests.Response, body: str | None = None) -> None:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.records.append(
            f"{response.request.method} {response.url} -> {response.status_code}\n{headers}\n\n"
            f"{response.text if body is None else body}"
        )

    def events(self, job_id: str) -> list[dict]:
        """The job's SSE stream read to its end (the stream closes when the job ends)."""
        with self.session.get(self.server.api(f"jobs/{job_id}/events"), stream=True, timeout=120) as response:
            assert response.status_code == 200
            text = "".join(chunk for chunk in response.iter_content(chunk_size=None, decode_unicode=True))
            self.record(response, text)
        return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]

    def wait(self, job_id: str, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.json("GET", f"jobs/{job_id}")["job"]
            if job["state"] not in ("queued", "running"):
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not end in {timeout}s")


def files_text(*roots: Path, skip: set[Path] = frozenset()) -> dict[str, str]:
    """Every regular file under the roots, decoded loosely (git's own files, configs, logs, manifests...)."""
    texts = {}
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and not path.is_symlink() and path not in skip:
                texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    return texts


@pytest.fixture
def sweep_world(world_env, mlflow_world, tmp_path):
    """The world, with a second private repo and a secret that holds a wrong token for it."""
    world_env.local.ensure_repos(
        SimpleNamespace(repos=[{"name": WRONG_REPO, "template": "notebooks", "commits": 1, "private": True}])
    )
    wrong_token = "wrong-" + secrets.token_urlsafe(18)
    client = world_env.client("secretsmanager")
    try:
        client.create_secret(Name=WRONG_SECRET, SecretString=wrong_token)
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=WRONG_SECRET, SecretString=wrong_token)
    world_env.wrong_token = wrong_token
    yield world_env
    world_env.git_faults()


@pytest.mark.timeout(600)
def test_no_secret_anywhere_after_every_feature(sweep_world, tmp_path):
    world = sweep_world
    token = world.git_token
    mlflow_password = "mlpw-" + secrets.token_urlsafe(18)
    mlflow_bearer = "mlbearer-" + secrets.token_urlsafe(18)
    aws_secret = "awssecret-" + secrets.token_urlsafe(24)
    aws_session = "awssession-" + secrets.token_urlsafe(24)
    probe = "probe-" + secrets.token_urlsafe(24)  # for the positive control only
    # MLflow behind a recording proxy: it shows that the password really travels (as Basic auth) to MLflow
    proxy = RecordingProxy(world.mlflow_url).start()
    mlflow = urlsplit(proxy.url)
    needles = {
        "git token": forms(token),
        "git token in a Basic header": {base64.b64encode(f"x-access-token:{token}".encode()).decode()},
        "wrong git token": forms(world.wrong_token),
        "MLflow password": forms(mlflow_password),
        "MLflow Basic header": {base64.b64encode(f"sweep-user:{mlflow_password}".encode()).decode()},
        "MLflow bearer token": forms(mlflow_bearer),
        "AWS secret key": forms(aws_secret),
        "AWS session token": forms(aws_session),
    }

    runtime_dir, config_dir, tools = tmp_path / "runtime", tmp_path / "jupyter-config", tmp_path / "tools"
    for folder in (runtime_dir, config_dir, tools):
        folder.mkdir()
    git, git_argv_log = git_wrapper(tools)
    # The admin debugging a deployment: the server at DEBUG, and the AWS SDK's and HTTP clients' wire logs too
    # (botocore logs whole requests and answers there, Secrets Manager's included).
    wire_loggers = {
        name: {"level": "DEBUG", "handlers": ["console"], "propagate": False}
        for name in ("botocore", "boto3", "urllib3", "tornado", "asyncio")
    }
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {"logging_config": {"loggers": wire_loggers}},
                "StudioCollabApp": {
                    "repositories": [
                        {
                            "url": world.repo_url("feature-store"),
                            "credentials_secret": SECRET,
                            "description": "private, token in Secrets Manager",
                        },
                        {"url": world.repo_url(WRONG_REPO), "credentials_secret": WRONG_SECRET},
                    ],
                    "git_fetch_interval_seconds": 0,
                    "git_timeout_seconds": 60,
                    "share_folder": str(tmp_path / "shares"),
                    "aws_max_attempts": 1,
                    "cost_stop_kinds": ["app", "notebook_instance", "mlflow_tracking_server"],
                },
            }
        )
    )
    # --log-level is the ServerApp's; the extension's own logger (its request lines, studio_collab.*) has its own
    debug = ["--log-level=DEBUG", "--StudioCollabApp.log_level=DEBUG"]
    server = start_lab(
        tmp_path / "root",
        command="server",
        args=debug,
        env={
            "JUPYTER_CONFIG_DIR": str(config_dir),
            "JUPYTER_RUNTIME_DIR": str(runtime_dir),
            "GIT_PYTHON_GIT_EXECUTABLE": str(git),
            # the password in the URL (a classic leak), and a bearer token that must stay unused and unseen
            "MLFLOW_TRACKING_URI": f"{mlflow.scheme}://sweep-user:{mlflow_password}@{mlflow.netloc}",
            "MLFLOW_TRACKING_TOKEN": mlflow_bearer,
            "AWS_SECRET_ACCESS_KEY": aws_secret,
            "AWS_SESSION_TOKEN": aws_session,
        },
    )
    try:
        api = Capture(server)
        root = server.root_dir
        make_notebook(root / NOTEBOOK, output_bytes=500)

        # --- studio: status, OpenAPI, spaces ------------------------------------------------------
        status = api.json("GET", "status")
        assert status["studio"]["in_studio"] is True
        assert all(status["features"][f]["available"] for f in ("git", "share", "experiments", "cost")), status
        api.json("GET", "openapi.json")
        api.json("GET", "spaces")

        # --- git: listing, a clone cut by the git server, the real clone with its SSE stream ---------
        listing = api.json("GET", "repos")["repos"]
        repo = next(r for r in listing if r["name"] == "feature-store")
        wrong = next(r for r in listing if r["name"] == WRONG_REPO)
        assert repo["private"] is True and repo["state"] == "not_cloned"

        world.git_faults(cut_after_bytes=200, count=20)
        cut = api.json("POST", f"repos/{repo['id']}/clone", 202)["job"]
        api.events(cut["id"])
        cut = api.wait(cut["id"])
        assert cut["state"] == "failed" and cut["error"]["code"] == "git_network", cut
        world.git_faults()
        assert not (root / "feature-store").exists()

        job = api.json("POST", f"repos/{repo['id']}/clone", 202)["job"]
        again = api.json("POST", f"repos/{repo['id']}/clone", 202)["job"]
        assert again["id"] == job["id"]
        events = api.events(job["id"])
        assert events and events[-1]["state"] == "succeeded", events[-3:]
        job = api.wait(job["id"])
        assert job["state"] == "succeeded", job
        assert (root / "feature-store" / ".git").is_dir()
        api.json("GET", "status")
        after = next(r for r in api.json("GET", "repos")["repos"] if r["id"] == repo["id"])
        assert after["state"] == "cloned"

        # --- a wrong token: the error message is where tokens usually leak --------------------------
        failed = api.json("POST", f"repos/{wrong['id']}/clone", 202)["job"]
        api.events(failed["id"])
        failed = api.wait(failed["id"])
        assert failed["state"] == "failed" and failed["error"]["code"] == "git_auth_failed", failed

        # --- sync: once cut by the git server, once for real ---------------------------------------
        world.git_faults(cut_after_bytes=1, count=20)
        bad_sync = api.wait(api.json("POST", f"repos/{repo['id']}/sync", 202, json={})["job"]["id"])
        assert bad_sync["state"] == "failed" and bad_sync["error"]["code"] == "git_network", bad_sync
        world.git_faults()
        sync = api.json("POST", f"repos/{repo['id']}/sync", 202, json={})["job"]
        api.events(sync["id"])
        assert api.wait(sync["id"])["state"] == "succeeded"
        api.json("GET", f"jobs/{sync['id']}")
        api.json("DELETE", f"jobs/{sync['id']}", (200, 409))
        api.call("GET", "jobs/0123456789abcdef", 404)
        api.call("POST", "repos/nope/clone", 404, json={})

        # --- the open page -------------------------------------------------------------------------
        page = api.call("GET", "open", params={"repo": repo["id"], "path": "README.md"})
        assert page.headers["Content-Type"].startswith("text/html")
        api.call("GET", "open", (400, 404), params={"repo": "nope", "path": "README.md"})

        # --- share: create, list, import page, import, revoke, import after revoke -------------------
        share = api.json(
            "POST", "shares", 201, json={"path": NOTEBOOK, "include_outputs": True, "target_space": "team-space"}
        )["share"]
        assert [s["id"] for s in api.json("GET", "shares")["shares"]] == [share["id"]]
        api.call("GET", "import", params={"share": share["id"]})
        imported = api.json("POST", f"shares/{share['id']}/import", json={})
        assert (root / imported["path"]).is_file()
        api.call("DELETE", f"shares/{share['id']}", (200, 204))
        api.call("POST", f"shares/{share['id']}/import", 410, json={})

        # --- experiments: overview, runs, one run, history, compare, the MLflow UI link -------------
        overview = api.json("GET", "experiments")
        mlflow_source = next(s for s in overview["sources"] if s["name"] == "mlflow")
        assert mlflow_source["available"], overview["sources"]
        # the runs come through the URI with the password in it (sent as Basic auth), shown without it
        assert overview["tracking"]["origin"] == "environment", overview["tracking"]
        assert overview["tracking"]["uri"] == f"{mlflow.scheme}://{mlflow.netloc}"
        experiment = next(
            e for e in overview["experiments"] if e["source"] == "mlflow" and e["name"] == "churn-prediction"
        )
        runs = api.json("GET", f"experiments/mlflow/{experiment['id']}/runs", params={"limit": 5})["runs"]
        assert len(runs) >= 2
        api.json("GET", f"experiments/mlflow/{experiment['id']}/runs/{runs[0]['id']}")
        metric = next(iter(runs[0]["metrics"]))
        api.json(
            "GET", f"experiments/mlflow/{experiment['id']}/runs/{runs[0]['id']}/metric-history", params={"key": metric}
        )
        api.json("GET", "experiments/compare", params={"source": "mlflow", "runs": f"{runs[0]['id']},{runs[1]['id']}"})
        link = api.json("POST", "experiments/mlflow-ui", json={"experiment_id": experiment["id"]})
        assert link["url"].startswith(f"{mlflow.scheme}://{mlflow.netloc}/"), link
        api.call("GET", "experiments/mlflow/424242/runs", 404)

        # --- cost, idle, domain ----------------------------------------------------------------------
        cost = api.json("GET", "cost")
        assert cost["available"], cost
        api.call("GET", "cost/spend", (200, 409))
        running = next(r for r in cost["resources"] if r["kind"] == "notebook_instance" and r["status"] == "InService")
        world.tag_created_by(running["name"], "alice")  # as AWS tags what alice's profile creates
        api.call("POST", "cost/stop", (200, 202), json={"kind": "notebook_instance", "name": running["name"]})
        api.json("GET", "idle")
        api.call("POST", "idle/keep-alive", (200, 204, 409), json={})
        api.json("GET", "domain")
        api.call("GET", "no-such-route", 404)
        # the positive control's probe: a value that does reach the log (Jupyter logs each request's URL)
        api.call("GET", "status", params={"probe": probe})
    finally:
        server.stop()
        proxy.stop()

    # --- everything captured --------------------------------------------------------------------
    log = server.log()
    clone = root / "feature-store" / ".git"
    git_argv = git_argv_log.read_text()
    captured = {
        "responses": "\n\n".join(api.records),
        "server log": log,
        "git argv": git_argv,
        **files_text(clone / "config", clone / "packed-refs", clone / "FETCH_HEAD", clone / "logs"),
        # everything else the server or git wrote: the lab root, the share store, runtime and config dirs
        **files_text(tmp_path, skip={git_argv_log}),
    }

    # The capture is real: debug lines of the server, the secret read from Secrets Manager, git's own failures,
    # the clone's reflog and remote, and every git process with its argv.
    assert "[D " in log and "studio_collab" in log, log[-2000:]
    assert "GetSecretValue" in log and "<a Secrets Manager answer; not logged>" in log
    assert "x-amz-security-token:***" in log, "botocore's signed requests were logged, their session token masked"
    assert "git clone exited" in log and "git fetch exited" in log
    assert world.repo_url("feature-store") in (clone / "config").read_text()
    assert (clone / "logs" / "HEAD").read_text().strip()
    argvs = [json.loads(line) for line in git_argv.splitlines()]
    assert sum("clone" in argv for argv in argvs) >= 3 and any("fetch" in argv for argv in argvs)
    assert len(api.records) >= 45
    basic = f"Basic {base64.b64encode(f'sweep-user:{mlflow_password}'.encode()).decode()}"
    assert proxy.requests and all(r.headers.get("authorization") == basic for r in proxy.requests)

    # Positive control: the same capture and scan do find a value that was sent where it shows (in a request
    # URL: the log and the recorded exchanges), and each form of each secret where it was deliberately written.
    leaks = {where: found for where, text in captured.items() if (found := scan(text, {"probe": forms(probe)}))}
    assert set(leaks) >= {"responses", "server log"}, leaks
    control = tmp_path / "control.txt"
    control.write_text("\n".join(sorted(f for all_forms in needles.values() for f in all_forms)))
    found = files_text(tmp_path)[str(control)]
    assert all(scan(found, {name: {form}}) for name, all_forms in needles.items() for form in all_forms)
    for wrapped in (f"somebody:{token}!", f"x:{token}", f"{token}"):  # base64 at each alignment
        assert scan(base64.b64encode(wrapped.encode()).decode(), {"git token": forms(token)}), wrapped
    assert scan(f"https://x-access-token:{quote(token, safe='')}@host/r.git", {"git token": forms(token)})

    leaks = {where: found for where, text in captured.items() if (found := scan(text, needles))}
    assert leaks == {}, f"secrets found: {leaks}"
    assert token not in os.environ.values()

r"""The attack corpus of issue #10, against the real routes of studio-collab on the local Studio world.

One parametrised test per family. Every case must be refused with the documented status and stable code, write
nothing (no file or folder under the server root, in the share store, in the server's temp folder or outside the
root; no clone temp folder; no share; no mutating AWS call; a ``/tmp/studio-collab-pwned-*`` sentinel never
appears) and leak nothing (no secret, token, server path or traceback in the answer or the log).

1. path traversal and symlink escape in every path and id parameter
2. git URL transports, option injection and bad ref names in every field that reaches git
3. credentials in catalog URLs
4. oversized bodies and JSON bombs on every POST route of the served OpenAPI document
5. missing or wrong XSRF on every POST/DELETE route of the served OpenAPI document, with a cookie session
6. wrong, expired, revoked and other users' share ids
7. who is acting (issue #15): requests that name no user, or name one who is not a member, and members acting on
   what is another's

Every family runs twice (issue #15): against alice's private space, with the server's token, and against the
shared space team-space, run as Studio runs one (its identity provider names the member from the
``studioUserProfileName`` cookie; no token; the browser's XSRF cookie), where the arena acts as alice.

Everything runs on one live server (module scope) except the admin-catalog half of families 2 and 3: a catalog
is checked once, at server start, so each of those cases gets its own in-process server (pytest-jupyter's,
~0.2 s). Studio's CodeRepositories are seeded through the emulator's UpdateDomain/UpdateSpace/UpdateUserProfile;
what AWS's own input pattern (``https://([.\-_a-zA-Z0-9]+/?){3,1016}``, enforced by the emulator as by Studio,
see tests/world_tests/test_studio_ops.py) already refuses is planted in the domain record, as if Studio ever let
it through, to prove the extension drops it too. (Sending those through the emulator only shows its regex
backtracking for seconds per URL.)
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import http.client
import json
import logging
import os
import re
import secrets
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urlsplit

import pytest
import requests
from studio_world import moto_bridge

from studio_collab.app import StudioCollabApp
from studio_collab.git.repo_spec import default_name, normalize_url, repo_id
from studio_collab.openapi import openapi_document
from tests.helpers import JOB_RUNNING, wait_until
from tests.identity.studio_identity import COOKIE, IDENTITY_PROVIDER
from tests.servers import start_lab
from tests.share.conftest import make_notebook
from tests.world import WorldHandle

pytestmark = pytest.mark.world

SENTINEL = Path("/tmp") / f"studio-collab-pwned-{secrets.token_hex(6)}"
SECRET_TEXT = f"outside-the-root-{secrets.token_hex(8)}"
GIT_SECRET = "studio-collab/git/feature-store"  # seeded by the demo scenario with the git server's token
MAX_BODY = StudioCollabApp.class_traits()["max_body_bytes"].default_value
REPO_ROOT = str(Path(__file__).resolve().parents[2])
MUTATING = ("Create", "Delete", "Update", "Put", "Stop", "Start", "Copy", "Upload", "Complete", "Abort")


# --- the arena: one live server on the world, with everything the cases aim at -------------------------------
@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


def substitute(text: str, values: dict) -> str:
    """Fills only the named {fields} of a case (the url of a world repo, a sentinel path): attack strings keep
    every other brace ('@{-1}')."""
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def tree(top: Path, skip: str | None = None) -> dict:
    """Every entry under ``top`` (symlinks not followed) with kind, size and mtime; inside a .git folder only
    the names (``git status`` may refresh the index), which still shows a fetch (FETCH_HEAD) or a new object."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            relative = path.relative_to(top).as_posix()
            if skip and skip in relative:
                continue
            info = path.lstat()
            in_git = "/.git/" in f"/{relative}/"
            found[relative] = (
                (stat.S_IFMT(info.st_mode),) if in_git else (stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns)
            )
    return found


class Arena:
    def __init__(self, world: WorldHandle, base: Path, mlflow_url: str, space: str = "private"):
        self.space = space  # "private" (alice-space, token login) or "shared" (team-space, Studio's cookie)
        self.space_name = "team-space" if space == "shared" else "alice-space"
        self.xsrf = secrets.token_hex(16)
        self.world = world
        self.base = base
        self.root = base / "root"
        self.outside = base / "outside"
        self.shares = base / "shares"
        self.server_tmp = base / "server-tmp"
        self.secret_file = self.outside / "secret.txt"
        self.mlflow_url = mlflow_url
        self.server = None
        self.ids: dict[str, str] = {}
        self.openapi: dict = {}
        self.env: dict[str, str] = {}

    # --- start ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        for folder in (self.root, self.outside, self.shares, self.server_tmp):
            folder.mkdir(parents=True)
        self.secret_file.write_text(SECRET_TEXT)
        make_notebook(self.root / "notebook.ipynb", output_bytes=500)
        (self.root / "project").mkdir()
        (self.root / "project" / "data.txt").write_text("data\n")
        (self.root / "link-to-secret").symlink_to(self.secret_file)
        (self.root / "linkdir").symlink_to(self.outside)
        (self.root / "loop").symlink_to(self.root / "loop")
        metadata = self.world.write_resource_metadata(self.base / "resource-metadata.json", self.space_name)
        self.env = {
            "AWS_ENDPOINT_URL": self.world.emulator_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": self.world.region,
            "AWS_DEFAULT_REGION": self.world.region,
            "AWS_CONFIG_FILE": str(self.base / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.base / "no-aws-credentials"),
            **self.world.local.git_env(),  # the world's CA; the catalog's port-less URLs reachable
            "STUDIO_COLLAB_RESOURCE_METADATA": str(metadata),
            "SAGEMAKER_SPACE_TYPE_LOWERCASE": self.space,
            "SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT": self.mlflow_url,
        }
        config_dir = self.base / "jupyter-config"
        config_dir.mkdir()
        (config_dir / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "StudioCollabApp": {
                        "repositories": [
                            {"url": self.world.repo_url("team-notebooks"), "target": "repos/team-notebooks"},
                            {"url": self.world.repo_url("churn-model"), "target": "repos/churn-model"},
                            {
                                "url": self.world.repo_url("feature-store"),
                                "target": "repos/feature-store",
                                "credentials_secret": GIT_SECRET,
                            },
                        ],
                        "share_folder": str(self.shares),
                        "aws_max_attempts": 1,
                        "cache_ttl_seconds": 0,
                        "git_fetch_interval_seconds": 0,
                        "git_timeout_seconds": 120,
                    }
                }
            )
        )
        studio_login = []
        if self.shared:  # as Studio starts a shared space; the provider's module is in this repository
            studio_login = [f"--ServerApp.identity_provider_class={IDENTITY_PROVIDER}"]
            self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, os.environ.get("PYTHONPATH")]))
        self.server = start_lab(
            self.root,
            command="server",
            args=studio_login,
            env={**self.env, "TMPDIR": str(self.server_tmp), "JUPYTER_CONFIG_DIR": str(config_dir)},
        )
        self._arrange()

    def _arrange(self) -> None:
        status = self.get("status")
        for feature in ("git", "share", "experiments"):
            assert status["features"][feature]["available"], status["features"]
        repos = {r["name"]: r for r in self.get("repos")["repos"]}
        self.ids.update(
            team=repos["team-notebooks"]["id"], churn=repos["churn-model"]["id"], feature=repos["feature-store"]["id"]
        )
        clones = [
            self.call("POST", f"repos/{self.ids[name]}/clone", body={}).json()["job"]["id"]
            for name in ("team", "feature")
        ]
        for job in clones:
            assert self.wait_job(job)["state"] == "succeeded"
        (self.root / "repos" / "team-notebooks" / "escape").symlink_to(self.outside)
        # Shares: an active one, a revoked one (through the API), and what another space (or a tampered store)
        # could leave in the shared store: bob's share, an expired one, traversal in the title or author, and a
        # content file that is a symlink to a file outside the store.
        self.ids["share"] = self.create_share("notebook.ipynb")
        self.ids["revoked"] = self.create_share("project/data.txt")
        assert self.call("DELETE", f"shares/{self.ids['revoked']}").status == 200
        self.ids["expired"] = self.forge_share(created="2001-01-01T00:00:00Z", expires="2001-01-08T00:00:00Z")
        self.ids["bob"] = self.forge_share(author="bob")
        self.ids["title_traversal"] = self.forge_share(title="../../../outside/escape.txt")
        self.ids["author_traversal"] = self.forge_share(author="../../../outside")
        self.ids["content_symlink"] = self.forge_share(content_link=self.secret_file)
        overview = self.get("experiments")
        experiment = next(e for e in overview["experiments"] if e["source"] == "mlflow")
        runs = self.get(f"experiments/mlflow/{experiment['id']}/runs")["runs"]
        self.ids.update(source="mlflow", experiment=experiment["id"], run=runs[0]["id"])
        self.get(f"experiments/mlflow/{experiment['id']}/runs/{runs[0]['id']}")  # the controls answer 200
        self.openapi = self.get("openapi.json")

    def create_share(self, path: str) -> str:
        answer = self.call("POST", "shares", body={"path": path, "target_space": "team-space"})
        assert answer.status == 201, answer.text
        return answer.json()["share"]["id"]

    def forge_share(self, content_link: Path | None = None, **changes) -> str:
        """A share written straight into the store (as another space, or someone with write access to it, could)."""
        source = self.shares / "shares" / self.ids["share"]
        share_id = secrets.token_urlsafe(16)
        target = self.shares / "shares" / share_id
        target.mkdir()
        manifest = {**json.loads((source / "manifest.json").read_text()), "id": share_id, **changes}
        if content_link is None:
            shutil.copy(source / "content", target / "content")
        else:
            (target / "content").symlink_to(content_link)
            data = content_link.read_bytes()
            manifest.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
        (target / "manifest.json").write_text(json.dumps(manifest))
        if "/" not in manifest["author"]:
            (self.shares / "authors" / manifest["author"]).mkdir(exist_ok=True)
            (self.shares / "authors" / manifest["author"] / share_id).touch()
        return share_id

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @property
    def shared(self) -> bool:
        return self.space == "shared"

    def login_headers(self, user: str | None = "alice") -> dict:
        """How a request says who sends it: the server's token (private space), or Studio's cookie naming the
        member (``None``: no cookie) with the browser's XSRF cookie and header (shared space)."""
        if not self.shared:
            return dict(self.server.headers)
        cookie = f"_xsrf={self.xsrf}" + (f"; {COOKIE}={user}" if user is not None else "")
        return {"Cookie": cookie, "X-XSRFToken": self.xsrf}

    # --- HTTP ----------------------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        body=None,
        query: dict | None = None,
        headers: dict | None = None,
        token: bool = True,
        user: str | None = "alice",
    ) -> Answer:
        """Exactly this path on the wire (no client-side normalisation of '..' or re-encoding). ``token``: log in
        (as ``user`` in the shared space) at all."""
        target = f"{self.server.base_url.rstrip('/')}/studio-collab/{path}"
        if query:
            target += "?" + urlencode(query)
        sent = self.login_headers(user) if token else {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode()
        sent.update(headers or {})
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=120)
        try:
            connection.request(method, target, body=body, headers=sent)
            response = connection.getresponse()
            return Answer(response.status, response.getheader("Content-Type") or "", response.read())
        finally:
            connection.close()

    def get(self, path: str, **query) -> dict:
        answer = self.call("GET", path, query=query or None)
        assert answer.status == 200, f"GET {path}: {answer.status} {answer.text[:500]}"
        return answer.json()

    def wait_job(self, job_id: str, timeout: float = 90) -> dict:
        def ended():
            job = self.get(f"jobs/{job_id}")["job"]
            return job if job["state"] not in JOB_RUNNING else None

        return wait_until(ended, timeout, what=f"job {job_id} to end")

    def fill(self, template: str) -> str:
        return substitute(
            template,
            {
                **self.ids,
                "outside": self.outside,
                "secret_file": self.secret_file,
                "sentinel": SENTINEL,
                "bare": self.world.repos.bare_path("team-notebooks"),
                "repo_url": self.world.repo_url("team-notebooks"),
            },
        )

    # --- what must not change, and what must not leak -------------------------------------------------------
    def snapshot(self, extra: bool = False, skip: str | None = None) -> dict:
        calls = self.world.calls()
        state = {
            "root": tree(self.root, skip),
            "store": tree(self.shares),
            "tmp": tree(self.server_tmp),
            "outside": tree(self.outside),
            "sentinel": SENTINEL.exists(),
            "aws_writes": {op: n for op, n in calls.items() if op.split(":", 1)[-1].startswith(MUTATING)},
        }
        if extra:
            state["idle"] = self.get("idle")["last_activity"]
            state["notebook_instance"] = self.world.client("sagemaker").describe_notebook_instance(
                NotebookInstanceName="legacy-analysis"
            )["NotebookInstanceStatus"]
        return state

    def log_mark(self) -> int:
        return len(self.server.log())

    def assert_no_leak(self, text: str, sent: str = "", log_from: int | None = None) -> None:
        for secret in (SECRET_TEXT, self.world.git_token, "Traceback", "root:x:0:0"):
            assert secret not in text, f"{secret!r} leaked: {text[:800]}"
        for path in (str(self.base), sys.prefix, REPO_ROOT):
            if path not in sent:
                assert path not in text, f"a server path leaked: {text[:800]}"
        if log_from is not None:
            log = self.server.log()[log_from:]
            assert "Traceback" not in log, log[-4000:]
            assert SECRET_TEXT not in log and self.world.git_token not in log


def assert_refused(answer: Answer, status: int, code: str) -> None:
    assert answer.status == status, f"expected {status} {code}, got {answer.status}: {answer.text[:800]}"
    if "application/json" in answer.content_type:
        body = answer.json()
        assert set(body) == {"code", "message"}, body
        assert body["code"] == code, body
    else:
        assert "text/html" in answer.content_type, answer.content_type
        assert f'"code": "{code}"' in answer.text or f"<code>{code}</code>" in answer.text, answer.text[-1500:]


def refused_and_unchanged(
    arena: Arena, send, status: int, code: str, *, sent: str = "", extra: bool = False, skip: str | None = None
) -> Answer:
    """``skip``: entries to leave out of the root's snapshot (a clone the case itself keeps running)."""
    before = arena.snapshot(extra, skip)
    mark = arena.log_mark()
    answer = send()
    assert_refused(answer, status, code)
    arena.assert_no_leak(answer.text, sent, log_from=mark)
    assert_unchanged(before, arena.snapshot(extra, skip))
    return answer


def assert_unchanged(before: dict, after: dict) -> None:
    changes = {}
    for key, was in before.items():
        now = after[key]
        if isinstance(was, dict) and isinstance(now, dict):
            moved = {k: (was.get(k), now.get(k)) for k in set(was) | set(now) if was.get(k) != now.get(k)}
            if moved:
                changes[key] = moved
        elif was != now:
            changes[key] = (was, now)
    assert not changes, f"the refused request changed something: {changes}"


@pytest.fixture(scope="module", params=["private", "shared"])
def arena(local_world, tmp_path_factory, request):
    local_world.reseed()
    mlflow_url = local_world.start_mlflow()
    local_world.point_tracking_servers()
    world = WorldHandle(local_world, local_world.scenario)
    arena = Arena(world, tmp_path_factory.mktemp(f"attack-{request.param}"), mlflow_url, request.param)
    try:
        arena.start()
        yield arena
    finally:
        arena.stop()
        local_world.git_faults()
        local_world.control.clear_faults()
        assert not SENTINEL.exists(), "an injected command ran"


# --- family 1: path traversal and symlink escape --------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    status: int
    code: str
    body: object = None
    query: dict | None = None
    html: bool = False
    prepare: str | None = None

    def __str__(self) -> str:
        return self.name


def _share(path: object, **more) -> dict:
    return {"path": path, "target_space": "team-space", **more}


TRAVERSAL = [
    # POST shares {path}: the file to share must be a regular file under the root
    Case("share-dotdot", "POST", "shares", 400, "path_outside_root", _share("../outside/secret.txt")),
    Case("share-deep-dotdot", "POST", "shares", 400, "path_outside_root", _share("../../../../../../etc/passwd")),
    Case(
        "share-dotdot-mid-path", "POST", "shares", 400, "path_outside_root", _share("project/../../outside/secret.txt")
    ),
    Case("share-absolute-etc", "POST", "shares", 404, "path_not_found", _share("/etc/passwd")),
    Case("share-absolute-outside", "POST", "shares", 404, "path_not_found", _share("{secret_file}")),
    Case("share-percent-dotdot", "POST", "shares", 404, "path_not_found", _share("%2e%2e/outside/secret.txt")),
    Case("share-percent-slash", "POST", "shares", 404, "path_not_found", _share("..%2Foutside%2Fsecret.txt")),
    Case("share-backslash", "POST", "shares", 404, "path_not_found", _share("..\\outside\\secret.txt")),
    Case("share-home", "POST", "shares", 404, "path_not_found", _share("~/.ssh/id_rsa")),
    Case("share-nul", "POST", "shares", 400, "invalid_path", _share("notebook.ipynb\x00/../../outside/secret.txt")),
    Case("share-symlink-to-file-outside", "POST", "shares", 400, "path_outside_root", _share("link-to-secret")),
    Case("share-through-symlinked-dir", "POST", "shares", 400, "path_outside_root", _share("linkdir/secret.txt")),
    Case("share-symlinked-dir", "POST", "shares", 400, "path_outside_root", _share("linkdir")),
    Case("share-symlink-loop", "POST", "shares", 400, "invalid_path", _share("loop")),
    Case("share-very-long", "POST", "shares", 400, "invalid_path", _share("x" * 5000)),
    Case("share-root-itself", "POST", "shares", 400, "invalid_path", _share("/")),
    Case("share-path-not-a-string", "POST", "shares", 400, "invalid_path", _share(["../outside/secret.txt"])),
    Case(
        "share-target-space-traversal",
        "POST",
        "shares",
        400,
        "unknown_space",
        _share("notebook.ipynb", target_space="../../team-space"),
    ),
    # GET open?repo=&path=: a catalog id and a file inside that repo, nothing else
    Case("open-repo-traversal", "GET", "open", 404, "repo_not_found", query={"repo": "../../etc", "path": ""}),
    Case("open-repo-very-long", "GET", "open", 404, "repo_not_found", query={"repo": "a" * 5000}),
    Case(
        "open-path-dotdot",
        "GET",
        "open",
        400,
        "invalid_path",
        query={"repo": "{team}", "path": "../../outside/secret.txt"},
    ),
    Case("open-path-absolute", "GET", "open", 400, "invalid_path", query={"repo": "{team}", "path": "/etc/passwd"}),
    Case("open-path-dot-git", "GET", "open", 400, "invalid_path", query={"repo": "{team}", "path": ".git/config"}),
    # (tornado turns control characters in query arguments into spaces before any handler sees them)
    Case(
        "open-path-nul",
        "GET",
        "open",
        400,
        "invalid_path",
        query={"repo": "{team}", "path": "README.md\x00/../../../outside/secret.txt"},
    ),
    Case(
        "open-path-backslash", "GET", "open", 400, "invalid_path", query={"repo": "{team}", "path": "..\\..\\outside"}
    ),
    Case("open-path-too-long", "GET", "open", 400, "invalid_path", query={"repo": "{team}", "path": "a/" * 600}),
    Case(
        "open-path-through-symlink-in-repo",
        "GET",
        "open",
        400,
        "path_outside_root",
        query={"repo": "{team}", "path": "escape/secret.txt"},
    ),
    Case(
        "open-path-dotdot-html-page",
        "GET",
        "open",
        400,
        "invalid_path",
        query={"repo": "{team}", "path": "../../outside/secret.txt"},
        html=True,
    ),
    # repo ids in the path
    Case("clone-id-encoded-traversal", "POST", "repos/..%2F..%2Fetc/clone", 404, "not_found", {}),
    Case("clone-id-raw-dotdot", "POST", "repos/../clone", 404, "not_found", {}),
    Case("sync-id-percent-dots", "POST", "repos/%2e%2e/sync", 404, "not_found", {}),
    Case("clone-id-nul", "POST", "repos/{team}%00/clone", 404, "not_found", {}),
    Case("clone-id-very-long", "POST", "repos/" + "a" * 5000 + "/clone", 404, "repo_not_found", {}),
    Case(
        "clone-path-climbs-to-shares", "POST", "repos/{team}/../../shares", 404, "not_found", _share("notebook.ipynb")
    ),
    # share ids in the path and the query
    Case("revoke-id-encoded-traversal", "DELETE", "shares/..%2F..%2Fshares%2F{share}", 400, "invalid_share_id"),
    Case("revoke-id-raw-dotdot", "DELETE", "shares/..", 400, "invalid_share_id"),
    Case("import-id-percent-dots", "POST", "shares/%2e%2e/import", 400, "invalid_share_id"),
    Case("import-id-with-traversal-suffix", "POST", "shares/{share}%2F..%2F..%2Fx/import", 400, "invalid_share_id"),
    Case("import-page-id-traversal", "GET", "import", 400, "invalid_share_id", query={"share": "../../shares/{share}"}),
    # where an import lands (shared/<author>/<title>, both from the store): never outside the root
    Case("import-title-traversal", "POST", "shares/{title_traversal}/import", 409, "share_damaged"),
    Case("import-author-traversal", "POST", "shares/{author_traversal}/import", 409, "share_damaged"),
    Case("import-content-symlink-out-of-store", "POST", "shares/{content_symlink}/import", 409, "share_damaged"),
    Case(
        "import-shared-folder-symlinked-out",
        "POST",
        "shares/{share}/import",
        409,
        "path_outside_root",
        prepare="shared",
    ),
    Case(
        "import-author-folder-symlinked-out",
        "POST",
        "shares/{share}/import",
        409,
        "path_outside_root",
        prepare="shared/alice",
    ),
    # experiment source, experiment id, run id
    Case("runs-experiment-encoded-traversal", "GET", "experiments/{source}/..%2F..%2Fetc/runs", 404, "not_found"),
    Case("runs-experiment-percent-dots", "GET", "experiments/{source}/%2e%2e/runs", 404, "not_found"),
    Case("runs-experiment-very-long", "GET", "experiments/{source}/" + "1" * 5000 + "/runs", 404, "not_found"),
    Case("runs-source-traversal", "GET", "experiments/..%2F..%2Fx/{experiment}/runs", 404, "not_found"),
    Case("run-id-encoded-traversal", "GET", "experiments/{source}/{experiment}/runs/..%2F..%2Fx", 404, "not_found"),
    Case(
        "metric-history-run-traversal",
        "GET",
        "experiments/{source}/{experiment}/runs/{run}%2F..%2F..%2Fx/metric-history",
        404,
        "not_found",
        query={"key": "loss"},
    ),
    Case(
        "metric-history-key-traversal",
        "GET",
        "experiments/{source}/{experiment}/runs/{run}/metric-history",
        404,
        "not_found",
        query={"key": "../../../etc/passwd"},
    ),
    Case(
        "compare-run-traversal",
        "GET",
        "experiments/compare",
        404,
        "not_found",
        query={"source": "{source}", "runs": "../../x,../y"},
    ),
    Case(
        "mlflow-ui-experiment-traversal",
        "POST",
        "experiments/mlflow-ui",
        404,
        "not_found",
        {"experiment_id": "../../x"},
    ),
    Case("mlflow-ui-run-traversal", "POST", "experiments/mlflow-ui", 404, "not_found", {"run_id": "..%2F..%2Fx"}),
    # job ids
    Case("job-encoded-traversal", "GET", "jobs/..%2F..%2Fx", 404, "not_found"),
    Case("job-raw-dotdot-cancel", "DELETE", "jobs/../x", 404, "not_found"),
    Case("job-unknown", "GET", "jobs/0123456789abcdef", 404, "job_not_found"),
    Case("job-percent-encoded-digit", "GET", "jobs/%30123456789abcdef", 404, "not_found"),
    Case("job-very-long", "GET", "jobs/" + "0" * 5000, 404, "not_found"),
    Case("job-events-traversal", "GET", "jobs/0123456789abcdef%2F..%2F/events", 404, "not_found"),
    # the names cost/stop passes to AWS
    Case(
        "stop-app-name-traversal",
        "POST",
        "cost/stop",
        400,
        "invalid_name",
        {"kind": "app", "name": "../../alice-space/JupyterLab/default"},
    ),
    Case(
        "stop-notebook-name-traversal",
        "POST",
        "cost/stop",
        400,
        "invalid_name",
        {"kind": "notebook_instance", "name": "legacy-analysis/../x"},
    ),
    Case(
        "stop-kind-traversal",
        "POST",
        "cost/stop",
        400,
        "invalid_kind",
        {"kind": "../notebook_instance", "name": "legacy-analysis"},
    ),
]


def _fill(arena: Arena, value):
    if isinstance(value, str):
        return arena.fill(value)
    if isinstance(value, dict):
        return {k: _fill(arena, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(arena, v) for v in value]
    return value


@pytest.mark.parametrize("case", TRAVERSAL, ids=str)
def test_path_traversal_and_symlink_escape_are_refused(arena, case):
    path, body, query = arena.fill(case.path), _fill(arena, case.body), _fill(arena, case.query)
    headers = {"Accept": "text/html"} if case.html else None
    made = None
    if case.prepare:  # a link in the root that leads out of it, where the import would land
        made = arena.root / case.prepare
        made.parent.mkdir(parents=True, exist_ok=True)
        landing = arena.outside / "landing"
        landing.mkdir(exist_ok=True)
        made.symlink_to(landing)
    try:
        sent = json.dumps(body) + json.dumps(query)
        refused_and_unchanged(
            arena,
            lambda: arena.call(case.method, path, body=body, query=query, headers=headers),
            case.status,
            case.code,
            sent=sent,
        )
    finally:
        if made is not None:
            made.unlink()
            for leftover in (arena.root / "shared" / "alice", arena.root / "shared"):
                if leftover.is_dir() and not leftover.is_symlink() and not any(leftover.iterdir()):
                    leftover.rmdir()
            shutil.rmtree(arena.outside / "landing")


# --- family 2: git transports, option injection and ref names ------------------------------------------------
@dataclass(frozen=True)
class GitCase:
    name: str
    where: str  # config | domain | space | user_profile | browser
    entry: dict | str  # the config entry (with {named fields}), a Studio RepositoryUrl, or a browser request
    expect: str = "refused"  # refused | neutralised | accepted (the control)
    allow_ssh: bool = False
    planted: bool = False  # AWS's own pattern refuses it: planted in the domain record

    def __str__(self) -> str:
        return f"{self.where}-{self.name}"

    def catalog(self, arena: Arena, token: str) -> dict:
        return {
            "repositories": [{k: arena.fill(v) for k, v in self.entry.items()}],
            "allow_ssh_repositories": self.allow_ssh,
        }


def _url(url: str, **more) -> dict:
    return {"url": url, **more}


REPO = "{repo_url}"
GIT_CASES = [
    GitCase("valid-entry-control", "config", _url(REPO, target="control"), expect="accepted"),
    # transports
    GitCase("ext-helper", "config", _url("ext::sh -c touch% {sentinel}")),
    GitCase("ext-helper-no-spaces", "config", _url("EXT::sh%20-c%20touch%20{sentinel}")),
    GitCase("fd-helper", "config", _url("fd::17")),
    GitCase("fd-helper-path", "config", _url("fd::17/repo")),
    GitCase("other-remote-helper", "config", _url("testgit::{bare}")),
    GitCase("file-url", "config", _url("file://{bare}")),
    GitCase("local-path", "config", _url("{bare}")),
    GitCase("ssh-not-allowed", "config", _url("ssh://git.example.com/team/repo.git")),
    GitCase("git-protocol", "config", _url("git://git.example.com/team/repo.git")),
    GitCase("plain-http", "config", _url("http://git.example.com/team/repo.git")),
    GitCase(
        "ssh-proxycommand-host", "config", _url("ssh://-oProxyCommand=touch%20{sentinel}/repo.git"), allow_ssh=True
    ),
    GitCase("scp-like-option-host", "config", _url("-oProxyCommand=touch {sentinel}:repo.git"), allow_ssh=True),
    GitCase("https-option-host", "config", _url("https://-oProxyCommand=touch/team/repo.git")),
    # option injection through the url
    GitCase("url-upload-pack", "config", _url("--upload-pack=touch {sentinel}")),
    GitCase("url-dash-u", "config", _url("-utouch {sentinel}")),
    GitCase("url-config", "config", _url("--config=core.sshCommand=touch {sentinel}")),
    GitCase("url-dash-c", "config", _url("-c core.sshCommand=touch {sentinel}")),
    GitCase("url-trailing-option", "config", _url(REPO + " --upload-pack=touch {sentinel}")),
    GitCase("url-newline-option", "config", _url(REPO + "\n--upload-pack=touch {sentinel}")),
    GitCase("url-query-option", "config", _url(REPO + "?--upload-pack=touch")),
    GitCase("url-path-option", "config", _url("https://git.example.com/--upload-pack=touch/repo.git")),
    # a path read otherwise than written (issue #15): it would match another repo's git_credentials prefix
    GitCase("url-dot-dot-segment", "config", _url("https://git.example.com/team/../other.git")),
    GitCase("url-encoded-dot-dot", "config", _url("https://git.example.com/team/%2e%2e/other.git")),
    GitCase("url-dot-segment", "config", _url("https://git.example.com/team/./repo.git")),
    GitCase("url-encoded-slash", "config", _url("https://git.example.com/team%2F..%2Fother.git")),
    # branch (the one ref name that reaches git)
    GitCase("branch-upload-pack", "config", _url(REPO, branch="--upload-pack=touch {sentinel}")),
    GitCase("branch-dash-u", "config", _url(REPO, branch="-utouch")),
    GitCase("branch-dash-c", "config", _url(REPO, branch="-c core.sshCommand=touch {sentinel}")),
    GitCase("branch-with-option-after-space", "config", _url(REPO, branch="main --config=x")),
    GitCase("branch-dotdot", "config", _url(REPO, branch="../../etc")),
    GitCase("branch-reflog-syntax", "config", _url(REPO, branch="@{-1}")),
    GitCase("branch-head", "config", _url(REPO, branch="HEAD")),
    GitCase("branch-lock-suffix", "config", _url(REPO, branch="refs/heads/x.lock")),
    # target folder
    GitCase("target-dotdot", "config", _url(REPO, target="../escape")),
    GitCase("target-absolute", "config", _url(REPO, target="/tmp/escape")),
    GitCase("target-home", "config", _url(REPO, target="~/escape")),
    GitCase("target-climbs-mid-path", "config", _url(REPO, target="a/../../escape")),
    GitCase("target-option", "config", _url(REPO, target="--config=x")),
    GitCase("target-dash-u", "config", _url(REPO, target="-u")),
    GitCase("target-git-hooks", "config", _url(REPO, target="repo/.git/hooks")),
    # name (git never sees it; the default target derives from it)
    GitCase("name-upload-pack", "config", _url(REPO, name="--upload-pack=touch {sentinel}")),
    GitCase("name-config", "config", _url(REPO, name="--config=core.sshCommand=touch")),
    GitCase("name-dash-u", "config", _url(REPO, name="-u touch {sentinel}"), expect="neutralised"),
    GitCase("name-dash-c", "config", _url(REPO, name="-c core.sshCommand=touch {sentinel}"), expect="neutralised"),
    # the browser sends repo ids only: a URL where the id goes, or a URL in a body, reaches no clone
    GitCase("url-as-id", "browser", {"path": "repos/" + quote("https://evil.example.com/x.git", safe="") + "/clone"}),
    GitCase("ext-url-as-id", "browser", {"path": "repos/" + quote("ext::sh -c touch% {sentinel}", safe="") + "/clone"}),
    GitCase("id-with-option", "browser", {"path": "repos/{churn}%20--upload-pack=touch%20x/clone"}),
    GitCase("url-in-body-of-a-made-up-route", "browser", {"path": "repos/clone", "body": {"url": "file://{bare}"}}),
    # Studio's CodeRepositories (DescribeDomain / DescribeSpace / DescribeUserProfile)
    GitCase("path-upload-pack", "domain", "https://git.example.com/team/--upload-pack"),
    GitCase("path-dash-u", "space", "https://git.example.com/-u/repo.git"),
    GitCase("path-config", "user_profile", "https://git.example.com/team/--config"),
    GitCase("option-host", "domain", "https://-oProxyCommand/team/repo"),
    GitCase("path-dot-dot", "space", "https://git.example.com/team/../other.git"),
    GitCase("path-dot-segment", "user_profile", "https://git.example.com/team/./repo.git"),
    GitCase("path-encoded-dot-dot", "domain", "https://git.example.com/team/%2e%2e/other.git", planted=True),
    GitCase("ext-helper", "domain", "ext::sh -c touch% {sentinel}", planted=True),
    GitCase("fd-helper", "domain", "fd::17", planted=True),
    GitCase("file-url", "domain", "file://{bare}", planted=True),
    GitCase("ssh", "domain", "ssh://git.example.com/team/repo.git", planted=True),
    GitCase("git-protocol", "domain", "git://git.example.com/team/repo.git", planted=True),
    GitCase("plain-http", "domain", "http://git.example.com/team/repo.git", planted=True),
    GitCase("url-upload-pack", "domain", "--upload-pack=touch {sentinel}", planted=True),
    GitCase("url-trailing-option", "domain", "https://git.example.com/team/repo.git --config=x", planted=True),
]


def _would_be_id(url: str, name: str | None = None) -> str:
    try:
        return repo_id(normalize_url(url), name or default_name(url))
    except ValueError:
        return "unknown-0123456789"


@pytest.mark.parametrize("case", GIT_CASES, ids=str)
async def test_git_transports_options_and_ref_names_are_refused(arena, case, jp_fetch, jp_root_dir, caplog, capfd):
    if case.where == "config":
        entry = case.catalog(arena, "")["repositories"][0]
        await _config_case(
            jp_fetch,
            jp_root_dir,
            caplog,
            capfd,
            case.expect,
            entry["url"],
            entry.get("name"),
            secret="",
            login=arena.login_headers(),
        )
    elif case.where == "browser":
        body = _fill(arena, case.entry.get("body", {}))
        refused_and_unchanged(
            arena,
            lambda: arena.call("POST", arena.fill(case.entry["path"]), body=body),
            404,
            "not_found",
            sent=arena.fill(case.entry["path"]),
        )
    else:
        _studio_case(arena, case.where, arena.fill(case.entry), case.planted, secret="")
    assert not SENTINEL.exists(), "an injected command ran"


@pytest.fixture
def jp_server_config(jp_server_config, arena):
    """The in-process server runs in the arena's space, logged into as the arena's server is."""
    if not arena.shared:
        return jp_server_config
    return {
        **jp_server_config,
        "ServerApp": {**jp_server_config["ServerApp"], "identity_provider_class": IDENTITY_PROVIDER},
    }


@pytest.fixture
def catalog_token() -> str:
    return f"tok{secrets.token_hex(12)}"


@pytest.fixture
def studio_collab_config(request, arena, catalog_token, monkeypatch, caplog, capfd) -> dict:
    """The in-process server of a family 2 or 3 case: in the arena's Studio space, with the case's catalog."""
    # Before the server starts: the catalog is checked (and logged) at start. INFO, not DEBUG: botocore's and
    # moto's debug lines (the emulator runs in this process) would cost seconds per case.
    caplog.set_level(logging.INFO)
    for key, value in arena.env.items():
        monkeypatch.setenv(key, value)
    case = request.node.callspec.params.get("case") if hasattr(request.node, "callspec") else None
    catalog = case.catalog(arena, catalog_token) if case is not None and case.where == "config" else {}
    return {"git_fetch_interval_seconds": 0, "git_timeout_seconds": 60, **catalog}


async def _config_case(
    jp_fetch, root: Path, caplog, capfd, expect: str, url: str, name: str | None, secret: str, login: dict
) -> None:
    """The admin's catalog on a server of its own (the catalog is checked once, at start)."""
    before = tree(root)

    async def fetch(*parts, method="GET", body=None):
        answer = await jp_fetch(
            "studio-collab",
            *parts,
            method=method,
            body=body,
            raise_error=False,
            headers={k: v for k, v in login.items() if k != "Authorization"},
        )
        return answer.code, answer.body.decode("utf-8", "replace")

    _, status_text = await fetch("status")
    git = json.loads(status_text)["features"]["git"]
    code, repos_text = await fetch("repos")
    _, openapi_text = await fetch("openapi.json")
    seen = [status_text, repos_text, openapi_text]
    if expect == "refused":
        assert git["available"] is False and "configuration is refused" in git["reason"], git
        assert code == 503 and json.loads(repos_text)["code"] == "feature_config_refused", repos_text
        code, text = await fetch("repos", _would_be_id(url, name), "clone", method="POST", body="{}")
        assert code == 503 and json.loads(text)["code"] == "feature_config_refused", text
        seen.append(text)
        assert tree(root) == before, "a refused catalog wrote something"
    else:
        assert git["available"] is True, git
        configured = [r for r in json.loads(repos_text)["repos"] if r["source"] == "config"]
        assert len(configured) == 1, repos_text
        repo = configured[0]
        parts = repo["target"].split("/")
        assert not any(p.startswith(("-", ".")) for p in parts), repo["target"]
        if expect == "neutralised":  # the text is only shown; cloning it is safe and lands inside the root
            code, text = await fetch("repos", repo["id"], "clone", method="POST", body="{}")
            assert code == 202, text
            job_id = json.loads(text)["job"]["id"]
            for _ in range(600):
                job = json.loads((await fetch("jobs", job_id))[1])["job"]
                if job["state"] not in ("queued", "running"):
                    break
                await asyncio.sleep(0.1)
            assert job["state"] == "succeeded", job
            assert (root / repo["target"] / ".git").is_dir()
    log = _captured(caplog, capfd)
    if expect == "refused":
        assert re.search(r"StudioCollabApp\.(repositories|git_credentials) is refused", log)  # the secret check
        # below can fail: the log is captured
    for text in [*seen, log]:
        assert not secret or secret not in text, [line for line in text.splitlines() if secret in line]
    for text in seen:
        assert "Traceback" not in text, text[:800]


def _captured(caplog, capfd) -> str:
    """The in-process server's log: records from its start (setup) and its requests (call), and what the
    extension's own logger printed."""
    out, err = capfd.readouterr()
    records = "\n".join(r.getMessage() for phase in ("setup", "call") for r in caplog.get_records(phase))
    # Not the extension's: at DEBUG (pytest-jupyter's level) traitlets prints the raw config it was given.
    return "\n".join(line for line in f"{records}\n{out}\n{err}".splitlines() if "Config changed:" not in line)


def _studio_case(arena: Arena, where: str, url: str, planted: bool, secret: str) -> None:
    """A CodeRepositories URL from Studio, next to a good one (the control that the seeding works)."""
    sm = arena.world.client("sagemaker")
    domain_id = arena.world.domain_id
    good = f"https://git.example.com/team/good-{secrets.token_hex(3)}.git"
    repos = [{"RepositoryUrl": good}, {"RepositoryUrl": url}]
    domain = moto_bridge.domain(arena.world.region, domain_id)
    saved = copy.deepcopy(domain.default_user_settings)  # the domain is restored from its record itself
    space = {"DomainId": domain_id, "SpaceName": arena.space_name}
    profile = {"DomainId": domain_id, "UserProfileName": "alice"}
    original = None
    if where == "space":
        original = sm.describe_space(**space)["SpaceSettings"]
    elif where == "user_profile":
        original = sm.describe_user_profile(**profile)["UserSettings"]
    if original is not None:
        original = (original.get("JupyterLabAppSettings") or {}).get("CodeRepositories") or []

    def update(items: list) -> None:
        settings = {"JupyterLabAppSettings": {"CodeRepositories": items}}
        if where == "domain":
            sm.update_domain(DomainId=domain_id, DefaultUserSettings=settings)
        elif where == "space":
            sm.update_space(**space, SpaceSettings=settings)
        else:
            sm.update_user_profile(**profile, UserSettings=settings)

    mark = arena.log_mark()
    try:
        if planted:  # Studio's own input pattern refuses it: planted in the record, as if it ever got through
            settings = copy.deepcopy(saved)
            settings.setdefault("JupyterLabAppSettings", {})["CodeRepositories"] = repos
            domain.default_user_settings = settings
        else:
            update(repos)
        before = arena.snapshot()
        answer = arena.call("GET", "repos")
        assert answer.status == 200, answer.text
        listed = answer.json()
        sources = {r["url"]: r["source"] for r in listed["repos"]}
        assert sources.get(good) == where, listed  # the seeding reached the catalog...
        assert url not in sources and url.strip() not in sources, listed  # ...and the bad entry was dropped
        shown = where.replace("_", " ")
        assert any(w.startswith(f"Skipped a {shown} repository") for w in listed["warnings"]), listed["warnings"]
        clone = arena.call("POST", f"repos/{_would_be_id(url)}/clone", body={})
        assert_refused(clone, 404, "repo_not_found")
        texts = [answer.text, clone.text, arena.call("GET", "openapi.json").text]
        for text in texts:
            arena.assert_no_leak(text, log_from=mark)
            assert not secret or secret not in text, text[:800]
        assert not secret or secret not in arena.server.log()[mark:], "the credential reached the server log"
        assert_unchanged(before, arena.snapshot())
    finally:
        domain.default_user_settings = saved
        if original is not None:
            update(original)


# --- family 3: credentials in catalog URLs -------------------------------------------------------------------
@dataclass(frozen=True)
class CredentialCase:
    name: str
    where: str  # config | domain | live-clone
    template: str  # {token} is a fresh random token
    key: str = "url"  # url | git_credentials
    allow_ssh: bool = False

    def __str__(self) -> str:
        return f"{self.where}-{self.name}"

    def url(self, arena: Arena, token: str) -> str:
        parts = urlsplit(arena.world.repo_url("team-notebooks"))
        return substitute(self.template, {"token": token, "scheme": parts.scheme, "netloc": parts.netloc})

    def catalog(self, arena: Arena, token: str) -> dict:
        if self.key == "git_credentials":
            return {
                "repositories": [{"url": arena.world.repo_url("team-notebooks")}],
                "git_credentials": {self.url(arena, token): GIT_SECRET},
            }
        return {"repositories": [{"url": self.url(arena, token)}], "allow_ssh_repositories": self.allow_ssh}


CREDENTIAL_CASES = [
    CredentialCase("user-and-token", "config", "https://user:{token}@git.example.com/team/repo.git"),
    CredentialCase("token-as-user", "config", "https://{token}@git.example.com/team/repo.git"),
    CredentialCase(
        "token-on-the-real-server", "config", "{scheme}://x-access-token:{token}@{netloc}/team-notebooks.git"
    ),
    CredentialCase("token-in-query", "config", "https://git.example.com/team/repo.git?private_token={token}"),
    CredentialCase("token-in-fragment", "config", "https://git.example.com/team/repo.git#{token}"),
    CredentialCase("ssh-password", "config", "ssh://git:{token}@git.example.com/team/repo.git", allow_ssh=True),
    CredentialCase(
        "git-credentials-prefix", "config", "https://user:{token}@git.example.com/team/", key="git_credentials"
    ),
    CredentialCase(
        "git-credentials-prefix-dot-dot", "config", "https://git.example.com/team/../other/", key="git_credentials"
    ),
    CredentialCase("user-and-token", "domain", "https://user:{token}@git.example.com/team/repo.git"),
    CredentialCase("token-as-user", "domain", "https://{token}@git.example.com/team/repo.git"),
    CredentialCase("token-in-query", "domain", "https://git.example.com/team/repo.git?access_token={token}"),
    CredentialCase("secrets-manager-token", "live-clone", ""),
]


@pytest.mark.parametrize("case", CREDENTIAL_CASES, ids=str)
async def test_credentials_in_catalog_urls_are_refused_and_never_shown(
    arena, case, catalog_token, jp_fetch, jp_root_dir, caplog, capfd
):
    url = case.url(arena, catalog_token)
    if case.where == "config":
        await _config_case(
            jp_fetch,
            jp_root_dir,
            caplog,
            capfd,
            "refused",
            url,
            None,
            secret=catalog_token,
            login=arena.login_headers(),
        )
    elif case.where == "domain":
        _studio_case(arena, "domain", url, planted=True, secret=catalog_token)
    else:
        # The private repo was cloned at the start with the token from Secrets Manager: nothing shows it.
        token = arena.world.git_token
        answers = [arena.call("GET", p).text for p in ("repos", "openapi.json", "status")]
        feature = next(r for r in arena.get("repos")["repos"] if r["id"] == arena.ids["feature"])
        assert feature["state"] == "cloned" and feature["private"] is True, feature
        for text in answers:
            assert token not in text and GIT_SECRET not in text, text[:800]
        assert token not in arena.server.log(), "the token reached the server log"
        config = (arena.root / "repos" / "feature-store" / ".git" / "config").read_text()
        assert token not in config, "the token was written into the clone's git config"


# --- family 4: oversized bodies and JSON bombs on every POST route ---------------------------------------------
def _served_routes(methods: tuple[str, ...]) -> list[tuple[str, str]]:
    """The routes of the document the server serves (the same function builds it; the arena checks they match)."""
    modules = tuple(f"studio_collab.{n}" for n in StudioCollabApp.present_features())
    document = openapi_document(modules)
    return [(m.upper(), p) for p, spec in document["paths"].items() for m in spec if m.upper() in methods]


# The import page's own form (its no-JavaScript fallback, issue #20) posts a form, not JSON: it reads no body
# field; its XSRF check is in the XSRF family below, its import in tests/share/test_import_without_javascript.py.
POST_ROUTES = [route for route in _served_routes(("POST",)) if route[1] != "/import"]
WRITE_ROUTES = _served_routes(("POST", "DELETE"))

# The body each POST route would act on: a refused request that still acted would show in the snapshot.
ACTING_BODIES = {
    "/shares": {"path": "notebook.ipynb", "target_space": "team-space"},
    "/cost/stop": {"kind": "notebook_instance", "name": "legacy-analysis"},
    "/experiments/mlflow-ui": {"experiment_id": "{experiment}"},
}
# Path parameters that point at something real: the cloneable repo, the cloned one (sync), the active share.
PATH_VALUES = {
    "repo_id": "{churn}",
    "share_id": "{share}",
    "job_id": "{job}",
    "sync_id": "20260101T000000Z-abc123",  # no such sync: a refused request must not reach it
    "kind": "kernel",
    "blocker_id": "no-such-kernel",
}  # likewise no such kernel
PATH_OVERRIDES = {"/repos/{repo_id}/sync": {"repo_id": "{team}"}}


def _route_path(arena: Arena, template: str, values: dict | None = None) -> str:
    filled = template.lstrip("/")
    for name, value in {**PATH_VALUES, **PATH_OVERRIDES.get(template, {}), **(values or {})}.items():
        filled = filled.replace("{" + name + "}", value)
    return arena.fill(filled)


def _padded(valid: dict, size: int) -> bytes:
    text = json.dumps({**valid, "pad": ""})
    return json.dumps({**valid, "pad": "x" * (size - len(text))}).encode()


def _nested(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


BOMBS = {
    # name: (body builder(valid body) -> bytes, content type, status, code)
    "one-byte-over-the-limit": (lambda v: _padded(v, MAX_BODY + 1), "application/json", 413, "body_too_large"),
    "five-megabytes": (lambda v: _padded(v, 5 << 20), "application/json", 413, "body_too_large"),
    "nested-objects-100": (lambda v: _nested(100), "application/json", 400, "invalid_json"),
    "nested-in-a-field": (
        lambda v: json.dumps({**v, "x": json.loads("[" * 40 + "]" * 40)}).encode(),
        "application/json",
        400,
        "invalid_json",
    ),
    "nested-arrays-100k": (lambda v: b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "invalid_json"),
    "huge-array": (lambda v: b"[" + b"0," * 200_000 + b"0]", "application/json", 400, "invalid_json"),
    "array": (lambda v: json.dumps([v]).encode(), "application/json", 400, "invalid_json"),
    "string": (lambda v: b'"x"', "application/json", 400, "invalid_json"),
    "number": (lambda v: b"1e999999", "application/json", 400, "invalid_json"),
    "null": (lambda v: b"null", "application/json", 400, "invalid_json"),
    "invalid-utf8": (lambda v: b'{"path": "\xff\xfe\xc3("}', "application/json", 400, "invalid_json"),
    "truncated": (lambda v: json.dumps(v).encode()[:-1] or b"{", "application/json", 400, "invalid_json"),
    "form-encoded": (
        lambda v: urlencode(v or {"a": "b"}).encode(),
        "application/x-www-form-urlencoded",
        400,
        "invalid_json",
    ),
    "multipart": (
        lambda v: b'--b\r\nContent-Disposition: form-data; name="path"\r\n\r\nnotebook.ipynb\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
        400,
        "invalid_json",
    ),
    "text-plain": (lambda v: b"path=notebook.ipynb", "text/plain", 400, "invalid_json"),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
@pytest.mark.parametrize("route", POST_ROUTES, ids=[p for _, p in POST_ROUTES])
def test_oversized_bodies_and_json_bombs_are_refused(arena, route, bomb):
    _, template = route
    build, content_type, status, code = BOMBS[bomb]
    valid = _fill(arena, ACTING_BODIES.get(template, {}))
    body = build(valid)
    path = _route_path(arena, template)
    refused_and_unchanged(
        arena,
        lambda: arena.call("POST", path, body=body, headers={"Content-Type": content_type}),
        status,
        code,
        extra=True,
    )


def test_the_served_document_lists_the_routes_these_families_cover(arena):
    served = {
        (m.upper(), p) for p, spec in arena.openapi["paths"].items() for m in spec if m.upper() in ("POST", "DELETE")
    }
    assert served == set(WRITE_ROUTES), "the served OpenAPI document and the parametrised routes differ"
    assert {
        ("POST", "/repos/{repo_id}/clone"),
        ("POST", "/repos/{repo_id}/sync"),
        ("POST", "/shares"),
        ("DELETE", "/shares/{share_id}"),
        ("POST", "/shares/{share_id}/import"),
        ("DELETE", "/jobs/{job_id}"),
        ("POST", "/cost/stop"),
        ("POST", "/idle/keep-alive"),
        ("POST", "/experiments/mlflow-ui"),
    } <= served


# --- family 5: XSRF on every POST and DELETE with a cookie session ---------------------------------------------
def _cookie_session(arena: Arena) -> tuple[requests.Session, str]:
    """What a browser holds after opening a link with the token (private space), or opening the space from
    Studio (shared space: Studio's cookie names the member): the login cookie and the _xsrf cookie."""
    session = requests.Session()
    if arena.shared:
        session.cookies.set(COOKIE, "alice")
        session.get(f"{arena.server.url}studio-collab/import", params={"share": arena.ids["share"]}, timeout=30)
        cookies = session.cookies.get_dict()
        assert "_xsrf" in cookies and cookies.get(COOKIE) == "alice", cookies
        return session, cookies["_xsrf"]
    session.get(
        f"{arena.server.url}studio-collab/import",
        params={"share": arena.ids["share"], "token": arena.server.token},
        timeout=30,
    )
    cookies = session.cookies.get_dict()
    assert "_xsrf" in cookies and any(name.startswith("username-") for name in cookies), cookies
    return session, cookies["_xsrf"]


XSRF_VARIANTS = ("missing", "garbage", "another-sessions-token", "header-without-cookie")


@pytest.mark.parametrize("variant", XSRF_VARIANTS)
@pytest.mark.parametrize("route", WRITE_ROUTES, ids=[f"{m} {p}" for m, p in WRITE_ROUTES])
def test_cookie_requests_without_the_right_xsrf_token_are_refused(arena, route, variant):
    method, template = route
    session, xsrf = _cookie_session(arena)
    other_session, other_xsrf = _cookie_session(arena)
    other_session.close()
    job = None
    if "{job_id}" in template:  # a clone that is running (slowed down), which a cancel would stop
        job = _start_running_clone(arena)
    try:
        path = _route_path(arena, template)
        body = json.dumps(_fill(arena, ACTING_BODIES.get(template, {}))) if method == "POST" else None
        url = f"{arena.server.url}studio-collab/{path}"
        headers = {"Content-Type": "application/json"}
        if variant == "garbage":
            headers["X-XSRFToken"] = "2|deadbeef|" + "0" * 32 + "|1700000000"
        elif variant == "another-sessions-token":
            headers["X-XSRFToken"] = other_xsrf
        elif variant == "header-without-cookie":
            headers["X-XSRFToken"] = xsrf
            session.cookies.set("_xsrf", None)

        def send() -> Answer:
            response = session.request(method, url, data=body, headers=headers, timeout=60)
            return Answer(response.status_code, response.headers.get("Content-Type", ""), response.content)

        refused_and_unchanged(
            arena, send, 403, "forbidden", extra=True, skip=".churn-model.studio-collab-clone-" if job else None
        )
        if job is not None:
            assert arena.get(f"jobs/{job}")["job"]["state"] in ("queued", "running"), "the job was cancelled"
        # The control: the same session with its own token gets past the XSRF check (ids that are not real,
        # so nothing is acted on; any answer but 403 shows the check passed).
        control_session, control_xsrf = _cookie_session(arena)
        control_path = _route_path(
            arena, template, {"repo_id": "no-such-repo", "share_id": "A" * 22, "job_id": "0" * 16}
        )
        control = control_session.request(
            method,
            f"{arena.server.url}studio-collab/{control_path}",
            data="{}" if method == "POST" else None,
            headers={"X-XSRFToken": control_xsrf, "Content-Type": "application/json"},
            timeout=60,
        )
        assert control.status_code != 403, control.text
    finally:
        if job is not None:
            arena.call("DELETE", f"jobs/{job}")
            assert arena.wait_job(job)["state"] == "cancelled"
            arena.world.git_faults()
            arena.ids.pop("job", None)
            assert not [p for p in (arena.root / "repos").iterdir() if ".studio-collab-clone-" in p.name]


# --- family 6: wrong, expired, revoked and other users' share ids --------------------------------------------
SHARE_ID_KINDS = {
    # kind: share id (its named fields are filled by the arena), and the answer for import, revoke and the page
    "unknown": ("{unknown}", 404, "share_not_found"),
    "too-short": ("abc", 400, "invalid_share_id"),
    "one-too-long": ("A" * 23, 400, "invalid_share_id"),
    "encoded-traversal": ("..%2F..%2Fshares%2F{share}", 400, "invalid_share_id"),
    "non-ascii": ("%C3%A9" * 22, 400, "invalid_share_id"),
    "expired": ("{expired}", 410, "share_expired"),
    "revoked": ("{revoked}", 410, "share_revoked"),
    "another-users": ("{bob}", 403, "not_share_author"),
}
SHARE_ROUTES = {
    "import": ("POST", "shares/{id}/import"),
    "revoke": ("DELETE", "shares/{id}"),
    "page": ("GET", "import"),
}
SHARE_CASES = [
    (route, kind)
    for route in SHARE_ROUTES
    for kind in SHARE_ID_KINDS
    # revoking: an expired or revoked share is still the author's to revoke (200), not an attack;
    # importing or previewing another user's share is what sharing is for
    if not (route == "revoke" and kind in ("expired", "revoked"))
    and not (route != "revoke" and kind == "another-users")
]


@pytest.mark.parametrize("route,kind", SHARE_CASES, ids=[f"{r}-{k}" for r, k in SHARE_CASES])
def test_wrong_expired_revoked_and_foreign_share_ids_are_refused(arena, route, kind):
    raw_id, status, code = SHARE_ID_KINDS[kind]
    arena.ids["unknown"] = secrets.token_urlsafe(16)
    share_id = arena.fill(raw_id)
    method, template = SHARE_ROUTES[route]
    if route == "page":

        def send() -> Answer:
            return arena.call("GET", "import", query={"share": unquote(share_id)})
    else:

        def send() -> Answer:
            return arena.call(method, template.format(id=share_id))

    answer = refused_and_unchanged(arena, send, status, code)
    if route == "page":  # a link opens it in a browser: an error page, with the code for the panel's help text
        assert "text/html" in answer.content_type


# --- family 7: who is acting (issue #15) --------------------------------------------------------------------------
# What Studio's identity provider can be made to say in a shared space: no cookie, its "User" fallback, a name that
# is no user profile of the domain, and one that is no user profile name at all. None of them may act.
NAMELESS = {"no-cookie": None, "User": "User", "not-a-member": "mallory", "not-a-name": "alice/../bob"}


def _start_running_clone(arena: Arena) -> str:
    """A clone of alice's, slowed down, that is running once its temp folder exists (before any snapshot)."""
    arena.world.git_faults(rate_limit_bps=2000)
    job = arena.call("POST", f"repos/{arena.ids['churn']}/clone", body={}).json()["job"]["id"]
    arena.ids["job"] = job

    def writing() -> bool:
        assert arena.get(f"jobs/{job}")["job"]["state"] in JOB_RUNNING, "the slowed clone ended early"
        return bool([p for p in (arena.root / "repos").iterdir() if ".studio-collab-clone-" in p.name])

    wait_until(writing, timeout=60, interval=0.05, what="the clone's temp folder")
    return job


@contextlib.contextmanager
def _running_job(arena: Arena, template: str):
    """For job routes: a clone of alice's that is running (slowed down), which a cancel would stop."""
    if "{job_id}" not in template:
        yield None
        return
    job = _start_running_clone(arena)
    try:
        yield job
        assert arena.get(f"jobs/{job}")["job"]["state"] in ("queued", "running"), "the job was cancelled"
    finally:
        arena.call("DELETE", f"jobs/{job}")
        assert arena.wait_job(job)["state"] == "cancelled"
        arena.world.git_faults()
        arena.ids.pop("job", None)
        assert not [p for p in (arena.root / "repos").iterdir() if ".studio-collab-clone-" in p.name]


def _nameless_send(arena: Arena, method: str, path: str, body, sender: str, query: dict | None = None):
    """A request that names no member: in the shared space through Studio's cookie; in a private space, which
    has no cookie login, without the token (a studioUserProfileName cookie naming bob changes nothing there)."""
    if arena.shared:
        return (
            (lambda: arena.call(method, path, body=body, query=query, user=NAMELESS[sender])),
            403,
            "identity_unknown",
        )
    cookie = {"Cookie": f"{COOKIE}={NAMELESS[sender] or 'bob'}"}
    return (lambda: arena.call(method, path, body=body, query=query, token=False, headers=cookie)), 403, "forbidden"


@pytest.mark.parametrize("sender", list(NAMELESS))
@pytest.mark.parametrize("route", WRITE_ROUTES, ids=[f"{m} {p}" for m, p in WRITE_ROUTES])
def test_requests_naming_no_member_never_act(arena, route, sender):
    method, template = route
    with _running_job(arena, template) as job:
        path = _route_path(arena, template)
        body = _fill(arena, ACTING_BODIES.get(template, {})) if method == "POST" else None
        send, status, code = _nameless_send(arena, method, path, body, sender)
        answer = refused_and_unchanged(
            arena, send, status, code, extra=True, skip=".churn-model.studio-collab-clone-" if job else None
        )
        if arena.shared:
            assert "Open this space from SageMaker Studio" in answer.json()["message"]


@pytest.mark.parametrize("sender", list(NAMELESS))
@pytest.mark.parametrize("path,query", [("shares", None), ("cost", {"scope": "mine"})], ids=["shares", "cost-mine"])
def test_per_user_lists_need_a_named_member(arena, path, query, sender):
    send, status, code = _nameless_send(arena, "GET", path, None, sender, query)
    answer = refused_and_unchanged(arena, send, status, code)
    assert arena.ids["share"] not in answer.text


MEMBER_CASES = [
    ("revoke-alices-share", "DELETE", "shares/{share}", 403, "not_share_author"),
    ("cancel-alices-job", "DELETE", "jobs/{job}", 404, "job_not_found"),
    ("read-alices-job", "GET", "jobs/{job}", 404, "job_not_found"),
    ("follow-alices-job", "GET", "jobs/{job}/events", 404, "job_not_found"),
]


@pytest.mark.parametrize("case", MEMBER_CASES, ids=[c[0] for c in MEMBER_CASES])
def test_another_member_does_not_act_on_what_is_alices(arena, case):
    if not arena.shared:
        pytest.skip("a private space has one member, its owner")
    _, method, template, status, code = case
    with _running_job(arena, "{job_id}" if "{job}" in template else "") as job:
        path = arena.fill(template)
        answer = refused_and_unchanged(
            arena,
            lambda: arena.call(method, path, user="bob"),
            status,
            code,
            extra=True,
            skip=".churn-model.studio-collab-clone-" if job else None,
        )
        assert "Task" not in answer.text
    listed = arena.call("GET", "shares", user="bob")  # bob's list: his own (the forged one), never alice's
    assert listed.status == 200 and {s["author"] for s in listed.json()["shares"]} == {"bob"}, listed.text
    assert arena.ids["share"] not in {s["id"] for s in listed.json()["shares"]}

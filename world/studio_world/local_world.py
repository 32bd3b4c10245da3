"""The whole local Studio world: emulator + git server + (lazily) MLflow, seeded with a scenario.

``in_process=True`` (pytest) runs the emulator and git server as threads of this process; ``False`` (the demo)
runs each as a child process in its own process group. MLflow always runs as a child process group and starts
only when first asked for (it takes ~6 s), so tests that never touch MLflow never pay for it.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import sys
import threading
from pathlib import Path

from .control import EmulatorControl
from .latency import ENVIRONMENT_VARIABLE as LATENCY_VARIABLE
from .processes import ChildProcess
from .repo_factory import RATE_LIMIT_FILE, RepoFactory
from .scenario import Scenario, load_scenario
from .seeder import Seeder, SeedLinks, SeedResult


class LocalWorld:
    def __init__(
        self,
        workdir: Path,
        scenario: Scenario | str = "demo",
        in_process: bool = True,
        transition_seconds: float = 1.0,
        aws_latency: str | dict | None = None,
    ):
        """``aws_latency``: AWS's per-call latency once seeded (``zero``, ``aws`` or ``{pattern: ms}``, see
        :mod:`.latency`); default ``$STUDIO_WORLD_AWS_LATENCY``, else zero."""
        self.workdir = Path(workdir)
        self.scenario = load_scenario(scenario) if isinstance(scenario, str) else scenario
        self.in_process = in_process
        self.transition_seconds = transition_seconds
        self.aws_latency = aws_latency if aws_latency is not None else os.environ.get(LATENCY_VARIABLE) or None
        self.git_token = secrets.token_urlsafe(24)
        self.repos = RepoFactory(self.workdir / "git" / "repos", self.workdir / "git" / "work")
        self._emulator = None  # EmulatorServer (thread) or ChildProcess
        self._git = None  # GitServer (thread) or ChildProcess
        self._mlflow = None
        self._mlflow_lock = threading.Lock()
        self._seeders: dict[str, Seeder] = {}
        self.emulator_url = ""
        self.git_base_url = ""  # the git server itself: https://127.0.0.1:<port>
        self.catalog_base_url = ""  # the same server under a port-less name, as a Studio domain lists it
        self.alias_proxy_url = ""
        self.ca_bundle: Path | None = None
        self.control: EmulatorControl | None = None
        self.seed: SeedResult | None = None
        self._private: set[str] = set()

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self, seed: bool = True, with_mlflow: bool = False) -> LocalWorld:
        """Start the servers (``with_mlflow``: MLflow too, side by side with the others) and seed the scenario."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._private = {r["name"] for r in self.scenario.repos if r.get("private")}
        mlflow = None
        if with_mlflow:
            from .mlflow_server import MlflowServer

            mlflow = MlflowServer(self.workdir / "mlflow").spawn()  # the slowest to start: first
            # Importing MLflow's client (to seed runs) takes seconds too: overlap it with the servers' start.
            threading.Thread(target=importlib.import_module, args=("mlflow.tracking",), daemon=True).start()
        try:
            if self.in_process:
                self.ensure_repos(self.scenario)
                self._start_in_process()
            else:
                self._start_children()
            if mlflow is not None:
                self._adopt_mlflow(mlflow.wait_ready())
                mlflow = None
        finally:
            if mlflow is not None:
                mlflow.stop()
        if seed:
            self.reseed()
        return self

    def _start_in_process(self) -> None:
        from .emulator import EmulatorServer
        from .gitserver import GitServer

        self._emulator = EmulatorServer(transition_seconds=self.transition_seconds).start()
        self.emulator_url = self._emulator.url
        self.control = EmulatorControl(self.emulator_url)
        self._git = GitServer(self.repos.root, self.workdir / "git" / "tls", self.git_token, self._private).start()
        self.git_base_url, self.ca_bundle = self._git.base_url, self._git.ca_bundle
        self.catalog_base_url, self.alias_proxy_url = self._git.alias_base_url, self._git.proxy.url
        self._write_git_client_config()

    def _start_children(self) -> None:
        emulator = ChildProcess(
            "AWS emulator",
            [sys.executable, "-m", "studio_world.emulator", "--transition-seconds", str(self.transition_seconds)],
            self.workdir / "logs" / "emulator.log",
        ).spawn()
        self._emulator = emulator
        self.ensure_repos(self.scenario)  # while the emulator imports moto
        git = ChildProcess(
            "git server",
            [
                sys.executable,
                "-m",
                "studio_world.gitserver",
                "--root",
                str(self.repos.root),
                "--state",
                str(self.workdir / "git" / "tls"),
                "--private",
                ",".join(sorted(self._private)),
            ],
            self.workdir / "logs" / "git.log",
            env={**os.environ, "STUDIO_WORLD_GIT_TOKEN": self.git_token},
        ).spawn()
        self._git = git
        announced = git.announcement()
        self.git_base_url, self.ca_bundle = announced["base_url"], Path(announced["ca_bundle"])
        self.catalog_base_url, self.alias_proxy_url = announced["alias_base_url"], announced["alias_proxy_url"]
        self._write_git_client_config()
        self.emulator_url = emulator.announcement()["url"]
        self.control = EmulatorControl(self.emulator_url)

    def stop(self) -> None:
        for server in (self._mlflow, self._git, self._emulator):
            if server is not None:
                server.stop()
        self._mlflow = self._git = self._emulator = None

    # --- scenario ---------------------------------------------------------------------------------
    def ensure_repos(self, scenario: Scenario) -> None:
        for repo in scenario.repos:
            if not self.repos.bare_path(repo["name"]).exists():
                self.repos.create(
                    repo["name"], repo.get("template", "notebooks"), repo.get("commits", 3), repo.get("branches")
                )
            if repo.get("private"):
                self._private.add(repo["name"])  # the in-process server shares this set
            if repo.get("rate_limit_kbps"):
                (self.repos.bare_path(repo["name"]) / RATE_LIMIT_FILE).write_text(str(repo["rate_limit_kbps"] * 1000))

    def repo_url(self, name: str) -> str:
        return f"{self.git_base_url}/{name}.git"

    def catalog_url(self, name: str) -> str:
        """The repo's URL as the domain's CodeRepositories list it: port-less, as Studio requires; git reaches it
        with :meth:`git_env` in its environment."""
        return f"{self.catalog_base_url}/{name}.git"

    @property
    def git_client_config_home(self) -> Path:
        return self.workdir / "git" / "client-config"

    def _write_git_client_config(self) -> None:
        # git's own per-URL proxy setting, in a config file of the world's (an XDG_CONFIG_HOME the environment
        # points at): only the alias goes through the proxy; every other URL, and a user's own config, as before.
        config = self.git_client_config_home / "git" / "config"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[http "{self.catalog_base_url}/"]\n\tproxy = {self.alias_proxy_url}\n')

    def links(self, scenario: Scenario, lab_url: str | None = None) -> SeedLinks:
        return SeedLinks(
            repo_urls={r["name"]: self.catalog_url(r["name"]) for r in scenario.repos},
            repo_tokens={r["name"]: self.git_token for r in scenario.repos if r.get("private")},
            mlflow_url=self._mlflow.url if self._mlflow is not None else None,
            lab_url=lab_url,
        )

    def reseed(
        self, scenario: Scenario | None = None, lab_url: str | None = None, lab_extras: bool = False
    ) -> SeedResult:
        """Reset the emulator to ``scenario`` (default: the world's): no faults, no recorded calls.
        ``lab_extras``: with the scenario's ``lab_extras`` too (what the demo adds for people to look at)."""
        scenario = scenario or self.scenario
        self.ensure_repos(scenario)
        self.control.reset()
        self.control.settings(transition_seconds=self.transition_seconds)
        seeder = self._seeders.get(scenario.source)
        links = self.links(scenario, lab_url)
        if seeder is None:  # boto3 clients take ~0.5 s to make: keep one seeder per scenario
            seeder = self._seeders[scenario.source] = Seeder(self.emulator_url, scenario, links)
        seeder.links = links
        seeder.lab_extras = lab_extras
        self.seed = seeder.seed()
        if self.aws_latency:  # after seeding, which would otherwise wait on every one of its calls
            self.control.latency(self.aws_latency)
        self.control.clear_calls()
        return self.seed

    # --- MLflow -----------------------------------------------------------------------------------
    @property
    def mlflow_started(self) -> bool:
        return self._mlflow is not None

    def start_mlflow(self) -> str:
        """Start the MLflow server (once), seed it with the training script, point tracking servers at it."""
        with self._mlflow_lock:
            if self._mlflow is None:
                from .mlflow_server import MlflowServer

                self._adopt_mlflow(MlflowServer(self.workdir / "mlflow").start())
            return self._mlflow.url

    def _adopt_mlflow(self, server) -> None:
        from .training import seed_mlflow

        spec = self.scenario.data.get("mlflow") or {}
        try:
            seed_mlflow(
                server.url,
                spec.get("experiments") or ["churn-prediction"],
                spec.get("runs_per_experiment", 4),
                spec.get("steps", 25),
            )
        except Exception:
            server.stop()
            raise
        self._mlflow = server
        self.point_tracking_servers()

    @property
    def mlflow_server(self):
        self.start_mlflow()
        return self._mlflow

    def point_tracking_servers(self, scenario: Scenario | None = None) -> None:
        """Make the scenario's ``local`` SageMaker tracking servers resolve to the local MLflow server."""
        scenario = scenario or self.scenario
        if self._mlflow is None or self.seed is None:
            return
        for server in scenario.section("mlflow_tracking_servers"):
            if server.get("local"):
                self.control.override(
                    "tracking_server",
                    {"TrackingServerName": server["name"]},
                    {"TrackingServerUrl": self._mlflow.url},
                    scenario.region,
                )

    # --- the identity of a space (what Studio writes into each app) -------------------------------
    def resource_metadata(self, space: str | None = None, scenario: Scenario | None = None) -> dict:
        scenario = scenario or self.scenario
        space = space or scenario.lab_space
        spec = scenario.space(space)
        app_type = spec.get("app_type", "JupyterLab")
        arn = (
            f"arn:aws:sagemaker:{scenario.region}:123456789012:app/{scenario.domain_id}/{space}/"
            f"{app_type.lower()}/default"
        )
        return {
            "AppType": app_type,
            "DomainId": scenario.domain_id,
            "SpaceName": space,
            "ResourceName": "default",
            "ResourceArn": arn,
            "UserProfileName": spec["owner"],
            "ExecutionRoleArn": self.seed.execution_role_arn if self.seed else None,
        }

    def write_resource_metadata(self, path: Path, space: str | None = None, scenario: Scenario | None = None) -> Path:
        meta = {k: v for k, v in self.resource_metadata(space, scenario).items() if v is not None}
        path.write_text(json.dumps(meta, indent=1))
        return path

    def git_env(self) -> dict[str, str]:
        """What a git process needs to reach the world's repos by either URL: the world's CA, and the config
        that sends the catalog's port-less alias through the git server's proxy. studio-collab drops GIT_*
        variables before it runs git, so the proxy setting travels as a config file, not GIT_CONFIG_*."""
        return {"GIT_SSL_CAINFO": str(self.ca_bundle), "XDG_CONFIG_HOME": str(self.git_client_config_home)}

    def git_faults(
        self, cut_after_bytes: int | None = None, rate_limit_bps: int | None = None, count: int | None = None
    ) -> None:
        """Cut (after N bytes) or slow down the next ``count`` pack transfers of the git server."""
        import ssl
        import urllib.request

        context = ssl.create_default_context(cafile=str(self.ca_bundle))
        if cut_after_bytes is None and rate_limit_bps is None:
            request = urllib.request.Request(f"{self.git_base_url}/_git/faults", method="DELETE")
        else:
            body = json.dumps(
                {"cut_after_bytes": cut_after_bytes, "rate_limit_bps": rate_limit_bps, "count": count}
            ).encode()
            request = urllib.request.Request(f"{self.git_base_url}/_git/faults", data=body, method="POST")
        with urllib.request.urlopen(request, context=context, timeout=10):
            pass

"""The AWS emulator: ONE HTTP endpoint on 127.0.0.1 for every service boto3 calls (``AWS_ENDPOINT_URL``).

A WSGI middleware in front of moto's server app. It counts calls per operation, injects faults, answers the
SageMaker and Price List operations moto lacks itself, and turns whatever moto cannot do into an AWS-shaped
``UnknownOperationException`` (never an HTML 500 that botocore would retry for seconds).

Control endpoints (plain JSON, for tests and the seeder):
``POST /_emulator/reset`` · ``POST|GET|DELETE /_emulator/faults`` · ``GET|DELETE /_emulator/calls`` · ``GET /_emulator/calls/journal`` ·
``POST /_emulator/settings`` ``{transition_seconds}`` · ``GET|POST /_emulator/rate_limits`` ``{enabled, rates}`` ·
``POST /_emulator/overrides`` ``{kind, region, id, set}`` ·
``POST /_emulator/cost/line-items`` ``{items}`` (Cost Explorer's ledger) · ``GET|POST /_emulator/latency``
``{profile}`` (AWS's per-call latency: ``latency.py``, ``docs/aws-latency.md``) · ``GET /_emulator/health``.

Run alone: ``python -m studio_world.emulator [--port N]`` prints ``{"url": ...}`` once it listens.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import signal
import sys
import threading
from datetime import datetime

from . import codeartifact, moto_bridge
from .awsproto import AwsError, AwsRequest, error_response, identify, json_response, page
from .cost_explorer import CostExplorer
from .faults import FaultBoard
from .inference_ops import InferenceComponentOperations
from .latency import LatencyProfile
from .mlflow_ops import MlflowOperations
from .pricing import PriceCatalog
from .rate_limits import RateLimits
from .records import Clock
from .search import search
from .serving import ServerRunner
from .studio_ops import StudioOperations
from .training_jobs import describe_training_job, list_training_jobs
from .validation import validate_input

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_emulator/"


class EmulatorApp:
    """The WSGI application: control endpoints, our operations, then moto."""

    def __init__(self, transition_seconds: float = 1.0, aws_latency: str | None = None):
        from moto.server import DomainDispatcherApplication, create_backend_app

        def create_app(service):
            app = create_backend_app(service)
            # Let moto's exceptions reach us (NotImplementedError → UnknownOperationException) instead of
            # becoming Flask's HTML 500 page.
            app.config["PROPAGATE_EXCEPTIONS"] = True
            return app

        self.moto = DomainDispatcherApplication(create_app)
        self.clock = Clock(transition_seconds)
        self.faults = FaultBoard()
        self.rate_limits = RateLimits()
        self.latency = LatencyProfile(aws_latency)
        self._initial_latency = aws_latency
        self.studio = StudioOperations(self.clock)
        self.mlflow = MlflowOperations(self.clock)
        self.inference = InferenceComponentOperations(self.clock)
        self.pricing = PriceCatalog()
        self.cost_explorer = CostExplorer()
        self.sagemaker_ops = {
            **self.studio.operations,
            **self.mlflow.operations,
            **self.inference.operations,
            "ListTrainingJobs": list_training_jobs,
            "DescribeTrainingJob": describe_training_job,
            "ListTags": self._list_tags,
            "Search": search,
        }
        self._reset_lock = threading.Lock()

    # --- WSGI -----------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path.startswith(CONTROL_PREFIX):
            return self._answer(start_response, *self._control(environ, path[len(CONTROL_PREFIX) :]))
        body = _read_body(environ)
        if path.startswith("/moto-api"):
            return self._moto(environ, body, start_response, None)
        request = identify(environ, body)
        if codeartifact.handles(request, environ):  # moto has no CodeArtifact
            request = codeartifact.name(request, environ)
            try:
                params = codeartifact.params_of(environ)
                self.faults.on_call(request.name, params)
                self.latency.wait(request.name)
                return self._answer(start_response, *codeartifact.answer(request, params))
            except AwsError as err:
                return self._answer(start_response, *error_response(request, err))
        try:
            params = _json_params(request)  # parsed once: for the journal, and for our own operations
            self.faults.on_call(request.name, params)
            self.latency.wait(request.name)  # AWS's own answer time, before its answer or its throttling error
            self.rate_limits.check(request.name, environ)
            handler = self._own_handler(request)
            if handler is not None:
                params = request.json() if params is None else params  # a body that is not JSON: its AWS error
                validate_input(request.service, request.operation, params)
                return self._answer(start_response, *json_response(handler(request.region, params)))
        except AwsError as err:
            return self._answer(start_response, *error_response(request, err))
        return self._moto(environ, body, start_response, request)

    def _own_handler(self, request: AwsRequest):
        if request.service == "sagemaker" and request.protocol == "json":
            handler = self.sagemaker_ops.get(request.operation)
            if handler is None and not _moto_implements(request.operation):
                raise _unknown(request)
            return handler
        if request.service == "ce":
            return self.cost_explorer.operations.get(request.operation)  # the rest of ce: moto's
        if request.service == "pricing":
            handler = self.pricing.operations.get(request.operation)
            if handler is None:
                raise _unknown(request)
            return handler
        return None

    def _moto(self, environ, body: bytes, start_response, request: AwsRequest | None):
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        try:
            app = self.moto.get_application(environ)
        except Exception:  # noqa: BLE001 - moto has no backend for this service at all
            return self._answer(start_response, *error_response(request, _unknown(request)))
        try:
            return list(app(environ, start_response))
        except NotImplementedError:
            return self._answer(start_response, *error_response(request, _unknown(request)))
        except Exception as err:  # noqa: BLE001 - a moto crash must still look like an AWS error
            log.exception("moto failed on %s", request.name if request else environ.get("PATH_INFO"))
            error = AwsError("InternalFailure", f"The emulator failed: {type(err).__name__}: {err}", 500)
            return self._answer(start_response, *error_response(request, error))

    @staticmethod
    def _answer(start_response, status: int, headers: list, body: bytes):
        headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
        return [body]

    # --- control --------------------------------------------------------------------------------------
    def reset(self) -> None:
        with self._reset_lock:
            moto_bridge.reset_moto()
            self.studio.reset()
            self.mlflow.reset()
            self.cost_explorer.reset()
            self.inference.reset()
            self.faults.clear()
            self.faults.clear_calls()
            self.rate_limits.reset()
            self.latency.set(self._initial_latency)

    def _control(self, environ, route: str) -> tuple[int, list, bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            payload = json.loads(_read_body(environ) or b"{}") if method in ("POST", "PUT") else {}
            result = self._control_route(method, route.rstrip("/"), payload)
        except (ValueError, KeyError, TypeError) as err:
            return _plain(400, {"error": str(err)})
        except AwsError as err:
            return _plain(404 if err.code == "ResourceNotFound" else 400, {"error": err.message, "code": err.code})
        if result is None:
            return _plain(404, {"error": f"no control route {method} {CONTROL_PREFIX}{route}"})
        return _plain(200, result)

    def _control_route(self, method: str, route: str, payload: dict):
        if route == "health" and method == "GET":
            return {"ok": True}
        if route == "reset" and method == "POST":
            self.reset()
            return {"reset": True}
        if route == "faults":
            if method == "POST":
                rule = self.faults.add(
                    payload["operation"],
                    payload.get("fault") or "latency",
                    payload.get("latency_ms", 0),
                    payload.get("count"),
                )
                return {"fault": rule.to_json()}
            if method == "DELETE":
                self.faults.clear()
                return {"faults": []}
            if method == "GET":
                return {"faults": self.faults.rules()}
        if route == "calls/journal" and method == "GET":
            return {"journal": self.faults.journal()}
        if route == "calls":
            if method == "GET":
                return {"calls": self.faults.counts()}
            if method == "DELETE":
                self.faults.clear_calls()
                self.rate_limits.clear_counts()
                return {"calls": {}}
        if route == "rate_limits":
            if method == "POST":
                return self.rate_limits.configure(payload.get("enabled"), payload.get("rates"))
            if method == "GET":
                return self.rate_limits.describe()
        if route == "settings" and method == "POST":
            if "transition_seconds" in payload:
                self.clock.transition_seconds = float(payload["transition_seconds"])
            return {"transition_seconds": self.clock.transition_seconds}
        if route == "latency":
            if method == "POST":
                return self.latency.set(payload.get("profile"))
            if method == "GET":
                return self.latency.describe()
        if route == "cost/line-items" and method == "POST":
            return {"line_items": self.cost_explorer.add_line_items(payload["items"])}
        if route == "overrides" and method == "POST":
            self._override(payload)
            return {"overridden": payload["kind"]}
        return None

    def _override(self, payload: dict) -> None:
        kind, region = payload["kind"], payload.get("region", "us-east-1")
        fields = {k: _parse_time(k, v) for k, v in payload["set"].items()}
        ident = payload.get("id") or {}
        if kind in StudioOperations.OVERRIDABLE:
            self.studio.override(region, kind, ident, fields)
        elif kind == "tracking_server":
            self.mlflow.override(region, ident["TrackingServerName"], fields)
        elif kind == "mlflow_app":
            self.mlflow.override_app(region, ident["Name"], fields)
        elif kind == "inference_component":
            self.inference.override(region, ident["Name"], fields)
        else:
            moto_bridge.override(region, kind, ident["Name"], fields)

    def _list_tags(self, region: str, p: dict) -> dict:
        """ListTags of our own resources (MLflow, inference components); moto's for everything else."""
        arn = p["ResourceArn"]
        for own in (self.mlflow, self.inference):
            tags = own.tags_of(region, arn)
            if tags is not None:
                return page(tags, p, "Tags", default_max=50)
        try:
            tags = moto_bridge.sagemaker_backend(region)._get_resource_from_arn(arn).tags
        except Exception as err:  # noqa: BLE001 - moto's own "not found", whatever its class
            raise AwsError("ValidationException", f"Resource {arn} does not exist.") from err
        return page(list(tags or []), p, "Tags", default_max=50)


def _moto_implements(operation: str) -> bool:
    from botocore import xform_name
    from moto.sagemaker.responses import SageMakerResponse

    return callable(getattr(SageMakerResponse, xform_name(operation), None))


def _json_params(request: AwsRequest) -> dict | None:
    if request.protocol != "json":
        return None
    try:
        return request.json()
    except AwsError:
        return None


def _unknown(request: AwsRequest | None) -> AwsError:
    name = request.name if request else "this operation"
    return AwsError("UnknownOperationException", f"The local Studio world does not implement {name}.")


def _parse_time(key: str, value):
    if isinstance(value, str) and (key.endswith("Time") or key.endswith("Timestamp")):
        return datetime.fromisoformat(value)
    return value


def _read_body(environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _plain(status: int, data: dict) -> tuple[int, list, bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(data, default=str).encode()


_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class EmulatorServer(ServerRunner):
    """The emulator on a threaded werkzeug server in a background thread (pytest) or a process's main thread."""

    thread_name = "studio-world-emulator"

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, transition_seconds: float = 1.0, aws_latency: str | None = None
    ):
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args, **kwargs):  # one line per AWS call would drown test output
                pass

        self.app = EmulatorApp(transition_seconds, aws_latency)
        self._server = make_server(host, port, self.app, threaded=True, request_handler=QuietHandler)
        self.host, self.port = self._server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The local Studio world's AWS emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--transition-seconds", type=float, default=1.0)
    parser.add_argument(
        "--aws-latency",
        default=None,
        help="per-call latency profile: zero (default), aws, or a JSON object (docs/aws-latency.md)",
    )
    args = parser.parse_args(argv)
    server = EmulatorServer(args.host, args.port, args.transition_seconds, args.aws_latency)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server._server.shutdown).start())
    print(json.dumps({"url": server.url}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

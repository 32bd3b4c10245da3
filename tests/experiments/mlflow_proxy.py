"""A recording HTTP proxy in front of the world's real MLflow server.

It plays the part of SageMaker's MLflow endpoint for the tests: records every request (to check the SigV4
signature and the tracking-server header the product sends) and can be switched to answer like a
failing server (HTTP 500) or a hanging one (never answers).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingProxy:
    upstream: str
    mode: str = "forward"  # forward | error500 | denied | hang
    requests: list[Recorded] = field(default_factory=list)

    def start(self) -> RecordingProxy:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True, name="mlflow-proxy")
        self._thread.start()
        assert ready.wait(30), "the proxy did not start"
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.run(self._main(ready))

    async def _main(self, ready: threading.Event) -> None:
        from tornado import web
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest

        proxy = self
        client = AsyncHTTPClient(force_instance=True)

        class Forward(web.RequestHandler):
            async def prepare(self):
                request = self.request
                proxy.requests.append(
                    Recorded(
                        request.method,
                        request.path,
                        request.query,
                        {k.lower(): v for k, v in request.headers.get_all()},
                        request.body,
                    )
                )
                if proxy.mode == "hang":
                    await proxy._stopping.wait()
                    return
                if proxy.mode in ("error500", "denied"):
                    self.set_status(500 if proxy.mode == "error500" else 401)
                    self.finish(f"<html>{self._reason}</html>")
                    return
                headers = {k: v for k, v in request.headers.get_all() if k.lower() not in ("host", "content-length")}
                upstream = await client.fetch(
                    HTTPRequest(
                        proxy.upstream + request.uri,
                        method=request.method,
                        headers=headers,
                        body=request.body if request.method in ("POST", "PUT", "PATCH") else None,
                        allow_nonstandard_methods=True,
                    ),
                    raise_error=False,
                )
                self.set_status(upstream.code)
                self.set_header("Content-Type", upstream.headers.get("Content-Type", "application/json"))
                self.finish(upstream.body or b"")

        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        from tornado.httpserver import HTTPServer
        from tornado.netutil import bind_sockets

        sockets = bind_sockets(0, "127.0.0.1")  # the port is the one bound, read back: no race with others
        self.port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        server = HTTPServer(web.Application([(r"/.*", Forward)]))
        server.add_sockets(sockets)
        ready.set()
        await self._stopping.wait()
        server.stop()
        client.close()

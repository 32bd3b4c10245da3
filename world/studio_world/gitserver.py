"""The world's git server: bare repos over smart HTTP (``git http-backend``) behind HTTPS with a throwaway CA.

The server binds ``127.0.0.1`` on a port the kernel picks (no root, no port 443, no race). Studio's
``CodeRepositories`` accept only ``https://host/path`` URLs with no port (botocore's pattern
``https://([.\\-_a-zA-Z0-9]+/?){3,1016}``), so the domain lists the server under a port-less alias
(``alias_base_url``) that git reaches through the server's own CONNECT proxy (:mod:`.alias_proxy`); its
certificate names both ``127.0.0.1`` and the alias.

Private repos need HTTP basic auth whose password is the world's token. Faults for tests, over HTTPS too:
``POST /_git/faults {"cut_after_bytes": N, "rate_limit_bps": N, "count": K}`` (drop the connection after N bytes of
a fetch, or slow it down) and ``DELETE /_git/faults``. Run alone: ``python -m studio_world.gitserver
--root DIR --state DIR [--token T --private a,b]`` prints ``{"base_url", "ca_bundle", "alias_base_url",
"alias_proxy_url"}``.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .alias_proxy import ALIAS, AliasProxy
from .repo_factory import RATE_LIMIT_FILE
from .serving import ServerRunner
from .tls import make_tls_files

CHUNK = 64 * 1024


class GitFaults:
    def __init__(self):
        self.lock = threading.Lock()
        self.cut_after_bytes: int | None = None
        self.rate_limit_bps: int | None = None
        self.remaining: int | None = None

    def current(self) -> tuple[int | None, int | None]:
        with self.lock:
            return self.cut_after_bytes, self.rate_limit_bps

    def consume(self) -> None:
        """One pack transfer was affected: count it against ``remaining`` (small ref listings never count)."""
        with self.lock:
            if self.remaining is not None:
                self.remaining -= 1
                if self.remaining <= 0:
                    self.cut_after_bytes = self.rate_limit_bps = self.remaining = None


class _Handler(BaseHTTPRequestHandler):
    server: _HttpsServer
    protocol_version = "HTTP/1.0"  # body runs to connection close: no length to know in advance

    def log_message(self, format, *args):  # noqa: A002 - quiet: git makes many requests per clone
        pass

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        url = urlsplit(self.path)
        if url.path.startswith("/_git/"):
            return self._control(url.path)
        repo = url.path.lstrip("/").split("/", 1)[0]
        if not repo.endswith(".git") or not (self.server.root / repo).is_dir():
            return self._plain(404, "Repository not found")
        user = self._authenticated_user(repo[:-4])
        if user is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="studio-collab world git"')
            self.end_headers()
            return
        self._run_backend(url.path, url.query, user)

    def _authenticated_user(self, repo: str) -> str | None:
        header = self.headers.get("Authorization", "")
        user, password = "anonymous", None
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
        if repo not in self.server.private_repos:
            return user
        token = self.server.token
        if token and password is not None and hmac.compare_digest(password, token):
            return user
        return None

    def _request_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _run_backend(self, path: str, query: str, user: str) -> None:
        body = self._request_body() if self.command == "POST" else b""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user,
            "REMOTE_ADDR": self.client_address[0],
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.server.root),
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        process = subprocess.Popen(
            ["git", "http-backend"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        with self.server.track(process):
            feeder = threading.Thread(target=_feed, args=(process, body), daemon=True)
            feeder.start()
            status, headers = _cgi_headers(process.stdout)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            fetching = path.endswith("/git-upload-pack")
            cut, rate = self.server.faults.current() if fetching else (None, None)
            if fetching and rate is None:
                rate = _repo_rate_limit(self.server.root, path)
            self._stream(process, cut, rate)
            feeder.join(timeout=5)

    def _stream(self, process: subprocess.Popen, cut: int | None, rate: int | None) -> None:
        """Copy the backend's answer to the client, applying the faults (each cut or slowed pack counts once)."""
        sent = 0
        started = time.monotonic()
        while True:
            chunk = process.stdout.read1(CHUNK) if hasattr(process.stdout, "read1") else process.stdout.read(CHUNK)
            if not chunk:
                break
            if cut is not None and sent + len(chunk) > cut:
                self.server.faults.consume()
                self.wfile.write(chunk[: max(0, cut - sent)])
                self.wfile.flush()
                process.kill()
                # An abrupt end mid-pack, as when a server dies: reset, not a clean close.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.server.aborted.add(self.connection)
                self.close_connection = True
                return
            self.wfile.write(chunk)
            sent += len(chunk)
            if rate:
                ahead = sent / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        process.wait(timeout=30)
        if rate and sent > 4096:
            self.server.faults.consume()

    def _control(self, path: str) -> None:
        faults = self.server.faults
        if path == "/_git/faults" and self.command == "POST":
            spec = json.loads(self._request_body() or b"{}")
            with faults.lock:
                faults.cut_after_bytes = spec.get("cut_after_bytes")
                faults.rate_limit_bps = spec.get("rate_limit_bps")
                faults.remaining = spec.get("count")
            return self._plain(200, "ok")
        if path == "/_git/faults" and self.command == "DELETE":
            with faults.lock:
                faults.cut_after_bytes = faults.rate_limit_bps = faults.remaining = None
            return self._plain(200, "ok")
        if path == "/_git/health":
            return self._plain(200, "ok")
        return self._plain(404, "no such control route")

    def _plain(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _repo_rate_limit(root: Path, path: str) -> int | None:
    """The bytes per second a repo is served at, when its bare repo says so (the demo's slow repo)."""
    name = path.strip("/").split("/", 1)[0]
    try:
        return int((root / name / RATE_LIMIT_FILE).read_text().strip()) or None
    except (OSError, ValueError):
        return None


def _feed(process: subprocess.Popen, body: bytes) -> None:
    try:
        process.stdin.write(body)
        process.stdin.close()
    except (BrokenPipeError, OSError):
        pass


def _cgi_headers(stream) -> tuple[int, list[tuple[str, str]]]:
    status, headers = 200, []
    while True:
        line = stream.readline().decode("latin-1").rstrip("\r\n")
        if not line:
            return status, headers
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        else:
            headers.append((name.strip(), value.strip()))


class _HttpsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, root: Path, token: str | None, private_repos: set[str]):
        super().__init__(address, _Handler)
        self.root = root
        self.token = token
        self.private_repos = private_repos
        self.faults = GitFaults()
        self._processes: set[subprocess.Popen] = set()
        self.aborted: set = set()
        self._lock = threading.Lock()

    def shutdown_request(self, request):
        # The body of an HTTP/1.0 answer ends with the connection: end TLS properly (close_notify), or git reports
        # "TLS connection was non-properly terminated" — unless a fault cut it on purpose.
        if request in self.aborted:
            self.aborted.discard(request)
        else:
            try:
                request.unwrap()
            except (OSError, ValueError):
                pass
        super().shutdown_request(request)

    def track(self, process: subprocess.Popen):
        server = self

        class _Tracked:
            def __enter__(self):
                with server._lock:
                    server._processes.add(process)

            def __exit__(self, *exc):
                with server._lock:
                    server._processes.discard(process)
                if process.poll() is None:
                    process.kill()
                    process.wait()

        return _Tracked()

    def kill_backends(self) -> None:
        with self._lock:
            for process in list(self._processes):
                process.kill()


class GitServer(ServerRunner):
    """Serves every ``<name>.git`` under ``root`` at ``https://<host>/<name>.git``."""

    thread_name = "studio-world-git"

    def __init__(self, root: Path, state_dir: Path, token: str | None = None, private_repos=()):
        host, port = "127.0.0.1", 0
        self.root = Path(root)
        self.tls = make_tls_files(Path(state_dir), host, also=(ALIAS,))
        # A set given is shared, not copied: the world marks repos private as it creates them.
        private = private_repos if isinstance(private_repos, set) else set(private_repos)
        self._server = _HttpsServer((host, port), self.root, token, private)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.tls.cert, self.tls.key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.host, self.port = self._server.server_address[:2]
        self.base_url = f"https://{self.host}:{self.port}"
        self.ca_bundle = self.tls.ca_bundle
        self.proxy = AliasProxy((self.host, self.port))
        self.alias_base_url = f"https://{self.proxy.alias}"

    def start(self):
        self.proxy.start()
        return super().start()

    def serve_forever(self) -> None:
        self.proxy.start()
        super().serve_forever()

    @property
    def token(self) -> str | None:
        return self._server.token

    @property
    def private_repos(self) -> set[str]:
        return self._server.private_repos

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}.git"

    def _before_close(self) -> None:
        self.proxy.stop()
        self._server.kill_backends()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The local Studio world's HTTPS git server")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--state", required=True, type=Path)
    parser.add_argument("--private", default="", help="comma-separated repo names that need the token")
    args = parser.parse_args(argv)
    # The token travels in the environment, never argv (argv is visible to every user of the machine).
    token = os.environ.get("STUDIO_WORLD_GIT_TOKEN") or None
    server = GitServer(args.root, args.state, token, [n for n in args.private.split(",") if n])
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server._server.shutdown).start())
    announcement = {
        "base_url": server.base_url,
        "ca_bundle": str(server.ca_bundle),
        "alias_base_url": server.alias_base_url,
        "alias_proxy_url": server.proxy.url,
    }
    print(json.dumps(announcement), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.proxy.stop()
    server._server.kill_backends()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A port-less name for the world's git server, without root: an HTTP ``CONNECT`` proxy for one host.

Studio's ``CodeRepositories`` accept only ``https://host/path`` URLs with no port, and binding port 443 needs
root. So the domain lists ``https://<alias>/<name>.git`` (``alias`` = ``git.studio-world.test``, a reserved
name that resolves nowhere) and git reaches it through this proxy: git's own per-URL setting
``http.https://<alias>/.proxy`` (in a git config file the world writes for its clients, see
:meth:`.local_world.LocalWorld.git_env`) sends only that host's traffic here, and the proxy tunnels
``CONNECT <alias>:443`` to the git server's real ``127.0.0.1:<port>``. TLS is end to end: git still checks the
server's certificate (which names the alias) against the world's CA, and the URL git sees, the credential
helper's host and every message keep the alias. Any other destination is refused with 403.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import struct

from .serving import ServerRunner

ALIAS = "git.studio-world.test"
CHUNK = 64 * 1024


class _Tunnel(socketserver.StreamRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        request = self.rfile.readline(8192).decode("latin-1").split()
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass  # the request's headers: nothing in them changes where the tunnel goes
        if len(request) != 3 or request[0] != "CONNECT" or request[1].lower() != f"{self.server.alias}:443":
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        try:
            upstream = socket.create_connection(self.server.target, timeout=30)
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        with upstream:
            upstream.settimeout(None)
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            _splice(self.connection, upstream)


def _splice(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes (a half-close is passed on, as TLS close_notify needs)."""
    peer = {a: b, b: a}
    open_reads = {a, b}
    with selectors.DefaultSelector() as selector:
        for sock in open_reads:
            selector.register(sock, selectors.EVENT_READ)
        while open_reads:
            for key, _ in selector.select():
                sock = key.fileobj
                try:
                    data = sock.recv(CHUNK)
                except OSError:
                    _reset(peer[sock])  # a connection reset (a server dying mid-pack) reaches the client as one
                    return
                if not data:
                    selector.unregister(sock)
                    open_reads.discard(sock)
                    try:
                        peer[sock].shutdown(socket.SHUT_WR)
                    except OSError:
                        return
                    continue
                try:
                    peer[sock].sendall(data)
                except OSError:
                    return


def _reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, alias: str, target: tuple[str, int]):
        super().__init__(("127.0.0.1", 0), _Tunnel)  # a port the kernel picks and this server holds: no race
        self.alias = alias.lower()
        self.target = target


class AliasProxy(ServerRunner):
    """Tunnels ``CONNECT <alias>:443`` (only that) to ``target``; ``url`` is what git's ``http.proxy`` takes."""

    thread_name = "studio-world-git-alias"

    def __init__(self, target: tuple[str, int], alias: str = ALIAS):
        self.alias = alias
        self._server = _ProxyServer(alias, target)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

"""Running one of the world's socket servers: in a daemon thread (pytest) or a process's main thread."""

from __future__ import annotations

import socketserver
import threading


class ServerRunner:
    """Subclasses set ``self._server`` and ``thread_name``; ``_before_close`` frees what the server holds."""

    thread_name = "studio-world-server"
    _server: socketserver.BaseServer
    _thread: threading.Thread | None = None

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._before_close()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _before_close(self) -> None:
        pass

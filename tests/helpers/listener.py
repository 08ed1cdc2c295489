"""A TCP listener on 127.0.0.1 that counts the connections made to it: the proof that a server connected out,
or did not (SERVICE, FROM, graph IRIs, JSON-LD contexts: nothing the server is asked about may be fetched).

Shared by the end-to-end tests (``tests/e2e/test_safety.py``, ``tests/e2e/test_hostile.py``).
"""

from __future__ import annotations

import socket
import threading
import time

from helpers.server import HOST

__all__ = ["HOST", "Listener"]


class Listener:
    """A TCP listener on a free port of 127.0.0.1 that counts connections and closes each at once."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((HOST, 0))
        self.sock.listen(64)
        self.sock.settimeout(0.02)
        self.port = int(self.sock.getsockname()[1])
        self.base = f"http://{HOST}:{self.port}"
        self.url = f"{self.base}/sparql"
        self._connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name=f"listener-{self.port}", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections += 1
            conn.close()

    def count(self, settle: float = 0.1) -> int:
        """Connections so far, after letting any pending one be accepted (a connection made during a
        query is in the backlog before the query's answer arrives)."""
        time.sleep(settle)
        with self._lock:
            return self._connections

    def wait_for(self, n: int, deadline: float = 5.0) -> int:
        end = time.monotonic() + deadline
        while (got := self.count(0.02)) < n and time.monotonic() < end:
            pass
        return got

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

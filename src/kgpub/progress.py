"""What a long piece of work is doing, told on a terminal: phase, counts, elapsed time.

A build of a large graph takes minutes, and a silent terminal for minutes looks like a hang. Work that has run
longer than :data:`AFTER` seconds shows one status line, rewritten in place about once a second::

    [  12.4 s] validating: 140 of 257 checks

It says nothing when the stream is not a terminal (piped, redirected to a log) or under ``CI`` (a CI log is
not a terminal either, but some CI runners pretend to be one), and nothing for work that ends before
:data:`AFTER`: the article build stays as quiet as it always was. No web or CLI framework here: the CLI makes one
and the build reports to it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from types import TracebackType
from typing import TextIO

AFTER = 5.0  # seconds of work before anything is shown
TICK = 1.0  # seconds between refreshes of the line (the elapsed time moves even inside one long step)


class Progress:
    """Steps of one piece of work; shown on ``stream`` once it is a terminal and the work is longer than ``after``."""

    def __init__(self, stream: TextIO | None = None, *, after: float = AFTER, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = self.stream.isatty() and os.environ.get("CI", "").strip().lower() not in ("1", "true", "yes")
        self.enabled, self.after = enabled, after
        self.started = time.monotonic()
        self._text = ""
        self._shown = False  # a line is on the terminal, to be cleared at the end
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._ticker: threading.Thread | None = None

    def step(self, text: str) -> None:
        """The work now: ``validating: 140 of 257 checks``."""
        self._text = text
        if self.enabled:
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, name="kgpub-progress", daemon=True)
                self._ticker.start()
            self._show()

    def _tick(self) -> None:
        while not self._done.wait(TICK):
            self._show()

    def _show(self) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed < self.after or self._done.is_set():
            return
        with self._lock:
            self.stream.write(f"\r\x1b[K[{elapsed:6.1f} s] {self._text}")
            self.stream.flush()
            self._shown = True

    def close(self) -> None:
        """Stop; the status line is cleared, so what the command prints next starts on a clean line."""
        self._done.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        with self._lock:
            if self._shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


QUIET = Progress(enabled=False)
"""Progress that shows nothing: the default of library calls."""

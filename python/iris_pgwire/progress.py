"""A progress display for long command-line work (users import, ...): nothing for work
that ends within a few seconds; then, on a terminal, one line rewritten in place
(`label: 1,234/10,000 (12%), 3.1 s, about 22 s left`), elsewhere (logs, CI) a plain line
every few seconds. Written to stderr, so stdout stays the command's output."""

from __future__ import annotations

import os
import sys
import time
from typing import IO, Optional

# Seconds before anything is shown, and between lines when stderr is not a terminal.
SHOW_AFTER = float(os.environ.get("IRIS_PGWIRE_PROGRESS_AFTER", "2"))
LINE_EVERY = float(os.environ.get("IRIS_PGWIRE_PROGRESS_EVERY", "5"))


class Progress:
    def __init__(self, label: str, total: Optional[int], stream: Optional[IO[str]] = None) -> None:
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.start = time.monotonic()
        self.done = 0
        self.shown_at: Optional[float] = None

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.start < SHOW_AFTER:
            return
        every = 0.2 if self.tty else LINE_EVERY
        if self.shown_at is None or now - self.shown_at >= every:
            self.shown_at = now
            self._show(now)

    def _show(self, now: float, final: bool = False) -> None:
        elapsed = now - self.start
        if self.total:
            left = elapsed / self.done * (self.total - self.done) if self.done and not final else 0.0
            text = (f"{self.label}: {self.done:,}/{self.total:,} ({100 * self.done // self.total}%), "
                    f"{elapsed:.1f} s" + ("" if final else f", about {left:.0f} s left"))
        else:
            text = f"{self.label}: {self.done:,}, {elapsed:.1f} s"
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """The last figures, if anything was shown."""
        if self.shown_at is not None:
            self._show(time.monotonic(), final=True)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

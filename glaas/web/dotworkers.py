"""Long-lived ``dot -Tsvg`` processes, so a page does not pay for starting Graphviz (loading
its plugins and fonts) on every picture.

``dot`` reads graph after graph from its standard input and writes each one's SVG as soon as
the graph's closing brace arrives, so one process serves any number of pictures, one at a
time. A pool keeps up to ``WORKERS`` of them per server process; a worker that fails, stalls
past the timeout or exits is killed and replaced by a fresh one on the next picture. The calls
block: callers run them in a worker thread.
"""
from __future__ import annotations

import os
import queue
import select
import subprocess
import tempfile
import threading
import time

WORKERS = 4
SVG_END = b"</svg>\n"


class DotFailed(RuntimeError):
    """dot did not answer with a picture (its own message, or the reason)."""


class _Worker:
    def __init__(self, program: str) -> None:
        self.program = program
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr = tempfile.TemporaryFile()

    def _running(self) -> subprocess.Popen[bytes]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen([self.program, "-Tsvg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.stderr, start_new_session=True)
        return self.proc

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def _complaint(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()[-600:].decode(errors="replace").strip()

    def render(self, source: bytes, timeout_s: float) -> bytes:
        self.stderr.seek(0)
        self.stderr.truncate()  # what dot says from here on is about this graph
        proc = self._running()
        assert proc.stdin is not None and proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        out = bytearray()
        try:
            proc.stdin.write(source)
            proc.stdin.flush()
            fd = proc.stdout.fileno()
            while not out.endswith(SVG_END):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise DotFailed(f"dot took longer than {timeout_s:.0f} s on this graph")
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    proc.wait()
                    raise DotFailed(f"dot failed: {self._complaint() or f'it exited {proc.returncode}'}")
                out += chunk
        except BrokenPipeError:
            proc.wait()
            raise DotFailed(f"dot failed: {self._complaint() or f'it exited {proc.returncode}'}") from None
        except DotFailed:
            self.stop()
            raise
        return bytes(out)


class DotPool:
    """Up to WORKERS dot processes for one program path; each serves one picture at a time."""

    def __init__(self, program: str, size: int = WORKERS) -> None:
        self.idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        for _ in range(size):
            self.idle.put(_Worker(program))

    def render(self, source: str, timeout_s: float) -> str:
        worker = self.idle.get()
        try:
            return worker.render(source.encode(), timeout_s).decode()
        finally:
            self.idle.put(worker)


_pools: dict[str, DotPool] = {}
_pools_lock = threading.Lock()


def pool_for(program: str) -> DotPool:
    with _pools_lock:
        if program not in _pools:
            _pools[program] = DotPool(program)
        return _pools[program]

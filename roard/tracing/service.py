"""The tracing service: which tracer backends are usable here (and why not), and the eBPF
tracer server the daemon keeps loaded between runs. One per daemon, built in
``roard/daemon.py``; the run manager registers and flushes its ebpf runs through it."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from roard.tracing.backends import BACKENDS, EBPF_BIN, BackendStatus, auto_choice, backend_status
from roard.tracing.ebpf_server import EbpfServer


@dataclass
class TracerReport:
    default: str                  # the workspace's tracer.default ("" outside a workspace)
    auto_choice: str              # what "auto" picks here
    tracers: list[BackendStatus]


class TracingService:
    def __init__(self, ebpf_binary: Path = EBPF_BIN) -> None:
        self.ebpf = EbpfServer(ebpf_binary)   # the eBPF tracer, kept loaded between runs

    def statuses(self) -> list[BackendStatus]:
        """Each backend, usable or why not; ebpf is not while its server failed to start (the
        next ebpf run tries again)."""
        statuses = [backend_status(name) for name in BACKENDS]
        error = self.ebpf.start_error
        return [replace(s, usable=False, reason=error) if s.name == "ebpf" and s.usable and error else s
                for s in statuses]

    def report(self, default: str) -> TracerReport:
        return TracerReport(default, auto_choice(), self.statuses())

    async def open_run(self, run_id: str, spool: Path) -> None:
        """Register an ebpf run with the tracer server (started if needed)."""
        await self.ebpf.open_run(run_id, spool)

    async def flush_run(self, run_id: str) -> list[str]:
        """Everything the server still holds of the run goes to its spool; returns warnings."""
        return await self.ebpf.flush_run(run_id)

    async def close(self) -> None:
        await self.ebpf.stop()

"""The run manager's state machine without a daemon or a tracer: BeginRun allocates a run (on
disk), EndRun turns it into a job once (concurrent and repeated EndRuns included), and a run left
on disk by a dead daemon is recovered. Nothing is traced: the spool stays empty."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from roard.errors import InvalidArgument, NotFound
from roard.events import EventBus
from roard.hashing import HashCache
from roard.runs.manager import RunEnd, RunManager
from roard.tracing.service import TracingService
from roard.workspace.registry import WorkspaceRegistry


@pytest.fixture
async def manager(tmp_path: Path):
    ws = tmp_path / "ws"
    ws.mkdir()
    registry = WorkspaceRegistry(tmp_path / "state")
    registry.init(ws, add_gitignore=False)
    bus = EventBus()
    runs = RunManager(registry, bus, HashCache(tmp_path / "state" / "hashcache.db"), TracingService())
    yield runs, str(ws)
    await runs.close()
    await registry.close()


async def begin(runs: RunManager, ws: str, argv=("true",), **kw):
    return await runs.begin(ws, list(argv), ws, kw.pop("kind", "run"), "preload", [], {"PATH": "/usr/bin:/bin"},
                            **kw)


async def test_begin_then_end_records_a_job(manager) -> None:
    runs, ws = manager
    events = runs.bus.subscribe()
    record, plan = await begin(runs, ws)
    assert runs.active_count() == 1 and plan.tracer == "preload" and "LD_PRELOAD" in plan.environment
    assert json.loads((Path(record.run_dir) / "run.json").read_text())["argv"] == ["true"]
    job = await runs.end(record.run_id, RunEnd(exit_code=0))
    assert (job.ref, job.status, job.exit_code) == ("@1", "ok", 0)
    assert runs.active_count() == 0 and not Path(record.run_dir).exists()
    assert [events.get_nowait().topic for _ in range(3)] == ["run.started", "run.finished", "job.recorded"]
    ws_store = runs.registry.get(ws).store
    assert [j.uid for j in await ws_store.list_jobs()] == [job.uid]


@pytest.mark.parametrize("end, status", [
    (RunEnd(exit_code=2), "failed"),
    (RunEnd(exit_code=130, interrupted=True), "interrupted"),
    (RunEnd(exit_code=-1, recovered=True), "recovered"),
])
async def test_end_status(manager, end: RunEnd, status: str) -> None:
    runs, ws = manager
    record, _ = await begin(runs, ws)
    assert (await runs.end(record.run_id, end)).status == status


async def test_a_run_ends_once(manager) -> None:
    runs, ws = manager
    record, _ = await begin(runs, ws)
    first, second = await asyncio.gather(runs.end(record.run_id, RunEnd(0)), runs.end(record.run_id, RunEnd(0)))
    assert first.uid == second.uid
    with pytest.raises(NotFound, match="no active run"):
        await runs.end(record.run_id, RunEnd(0))
    assert len(await runs.registry.get(ws).store.list_jobs()) == 1


async def test_same_command_same_step_builds_apart(manager) -> None:
    runs, ws = manager
    refs = []
    for argv, kind in ((["true"], "run"), (["true"], "run"), (["make"], "build"), (["false"], "run")):
        record, _ = await begin(runs, ws, argv, kind=kind)
        refs.append((await runs.end(record.run_id, RunEnd(0))).ref)
    assert refs == ["@1", "@1", "@B1", "@2"]


@pytest.mark.parametrize("argv, cwd, kind, message", [
    ([], "/", "run", "no command given"),
    (["true"], "relative", "run", "cwd must be an absolute path"),
    (["true"], "/", "deploy", "unknown run kind"),
])
async def test_bad_begin(manager, argv, cwd, kind, message) -> None:
    runs, _ = manager
    with pytest.raises(InvalidArgument, match=message):
        await runs.begin("", argv, cwd, kind, "preload", [], {})
    assert runs.active_count() == 0


async def test_a_run_whose_client_died_is_recovered_by_the_next_manager(manager, tmp_path: Path) -> None:
    runs, ws = manager
    record, _ = await begin(runs, ws, client_pid=0)   # no client to wait for
    successor = RunManager(runs.registry, runs.bus, runs.hashes, runs.tracing)
    await successor.recover_unfinished()
    job = (await runs.registry.get(ws).store.list_jobs())[0]
    assert job.status == "recovered" and job.argv == ["true"]
    assert successor.active_count() == 0 and not Path(record.run_dir).exists()
    await successor.close()

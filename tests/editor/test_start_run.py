"""StartRun, AttachRun, CancelRun, ListRuns against a real daemon spawning real processes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from tests.daemon.daemon_helpers import wait_for


def test_stdout_and_stderr_come_back_separately_in_order_and_the_job_is_recorded(roar, ws: Path, roard) -> None:
    (ws / "in.txt").write_text("input\n")
    script = ("import sys\n"
              "data = open('in.txt').read()\n"
              "open('out.txt', 'w').write(data.upper())\n"
              "for i in range(200):\n"
              "    print(f'out {i}', flush=True)\n"
              "    print(f'err {i}', file=sys.stderr, flush=True)\n"
              "sys.exit(3)\n")
    run = roar.start_run([sys.executable, "-c", script], cwd=ws)
    assert run.started.pid > 0 and run.started.run_id
    chunks = list(run)
    by_stream: dict[str, bytes] = {"stdout": b"", "stderr": b""}
    position = 0
    for chunk in chunks:
        assert chunk.offset == position, "chunks are contiguous, in the order they were read"
        position += len(chunk.data)
        by_stream[chunk.stream] += chunk.data
    assert by_stream["stdout"].decode().splitlines() == [f"out {i}" for i in range(200)]
    assert by_stream["stderr"].decode().splitlines() == [f"err {i}" for i in range(200)]
    finished = run.finished
    assert finished.exit_code == 3 and finished.job.exit_code == 3 and finished.job.status == "failed"
    assert [f.path for f in finished.job.outputs] == ["out.txt"]
    assert "in.txt" in [f.path for f in finished.job.inputs]
    # The same job roarctl shows.
    shown = roard.roarctl("show", finished.job.ref, "--json", cwd=ws, check=True).stdout
    assert finished.job.uid in shown


def test_same_tracer_choice_and_job_as_roarctl_run(roar, ws: Path, roard) -> None:
    (ws / "a.txt").write_text("a\n")
    roard.roarctl("run", "cp", "a.txt", "b.txt", cwd=ws, check=True)
    run = roar.start_run(["cp", "a.txt", "c.txt"], cwd=ws)
    job = run.wait().job
    cli = roard.roarctl("show", "@1", "--json", cwd=ws, check=True).stdout
    import json
    cli_job = json.loads(cli)
    assert job.tracer == cli_job["tracer"]
    assert [f.path for f in job.inputs] == ["a.txt"] and [f.path for f in job.outputs] == ["c.txt"]
    assert job.ref == "@2"


def test_a_program_on_a_pseudo_terminal_sees_a_terminal_of_the_asked_size(roar, ws: Path) -> None:
    script = ("import sys, time\n"
              "print('tty' if sys.stdout.isatty() else 'pipe', flush=True)\n"
              "for i in range(0, 101, 25):\n"
              "    sys.stdout.write(f'\\rprogress {i:3d}%'); sys.stdout.flush()\n"
              "print()\n")
    run = roar.start_run(["sh", "-c", f"tput cols; tput lines; {sys.executable} -c \"$0\"", script],
                         cwd=ws, pty=True, rows=33, cols=120)
    assert run.started.pty
    chunks = list(run)
    assert {c.stream for c in chunks} == {"pty"}
    text = b"".join(c.data for c in chunks).decode()
    assert text.startswith("120\r\n33\r\ntty\r\n")
    assert "\rprogress 100%" in text and "\rprogress   0%" in text
    assert run.finished.exit_code == 0


def test_a_bad_terminal_size_is_one_sentence(roar, ws: Path) -> None:
    with pytest.raises(grpc.RpcError) as err:
        roar.start_run(["true"], cwd=ws, pty=True, rows=0, cols=80)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "terminal size" in err.value.details()


def test_a_command_that_does_not_exist_is_recorded_with_127(roar, ws: Path) -> None:
    run = roar.start_run(["no-such-program-roar"], cwd=ws)
    finished = run.wait()
    assert finished.exit_code == 127 and finished.job.exit_code == 127


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def test_cancel_stops_the_whole_process_tree_and_records_the_run(roar, ws: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # A parent, a child that ignores SIGTERM, and a grandchild: all must end.
    script = (f"trap '' TERM; (sleep 300 & echo $! >> {pids}; wait) & echo $! >> {pids}; "
              f"echo ready; sleep 300")
    run = roar.start_run(["sh", "-c", script], cwd=ws)
    it = iter(run)
    assert next(it).data == b"ready\n"
    wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 2, 30, "the children")
    children = [int(p) for p in pids.read_text().split()]
    assert all(_alive(p) for p in children)
    assert roar.cancel_run(run.run_id, grace_seconds=0.5)
    finished = run.wait()
    assert finished.cancelled and finished.job.status == "interrupted"
    wait_for(lambda: not any(_alive(p) for p in children), 30, "the process tree to end")
    assert not roar.cancel_run(run.run_id), "a second cancel has nothing to signal"


def test_a_client_that_disconnects_does_not_stop_the_run_and_another_attaches(roar, ws: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    script = (f"echo first; while [ ! -e {go} ]; do sleep 0.05; done; echo second; echo done > result.txt")
    run = roar.start_run(["sh", "-c", script], cwd=ws)
    it = iter(run)
    assert next(it).data == b"first\n"
    run_id = run.run_id
    run.detach()
    assert [r.run_id for r in roar.list_runs() if r.spawned] == [run_id]
    attached = roar.attach_run(run_id)
    assert attached.started.run_id == run_id
    follow = iter(attached)
    assert next(follow).data == b"first\n", "what was kept is replayed first"
    go.write_text("")
    rest = b"".join(c.data for c in follow)
    assert rest == b"second\n"
    assert attached.finished.exit_code == 0 and [f.path for f in attached.finished.job.outputs] == ["result.txt"]
    assert roar.list_runs() == []
    # A late client replays a finished run.
    late = roar.attach_run(run_id)
    assert b"".join(c.data for c in late) == b"first\nsecond\n" and late.finished.job.uid == attached.finished.job.uid


def test_a_client_that_asked_is_its_runs_end_when_it_goes(roar, ws: Path, tmp_path: Path) -> None:
    run = roar.start_run(["sh", "-c", "echo up; sleep 300"], cwd=ws, cancel_on_disconnect=True)
    assert next(iter(run)).data == b"up\n"
    run_id = run.run_id
    run.detach()
    attached = roar.attach_run(run_id)
    assert attached.wait().cancelled


def test_output_on_disk_is_bounded_and_a_late_follower_is_told_what_it_missed(roar, ws: Path, roard) -> None:
    # 40 MiB through a run: more than the 16 MiB kept per run.
    run = roar.start_run(["sh", "-c", "head -c 41943040 /dev/zero"], cwd=ws)
    total = sum(len(c.data) for c in run)
    assert total == 41943040 and run.skipped_bytes == 0, "the owner reads everything"
    kept = sum(p.stat().st_size for p in (roard.state_dir / "outputs").glob(f"{run.run_id}.*"))
    assert 0 < kept <= 16 * 1024 * 1024 + 65536
    late = roar.attach_run(run.run_id)
    late_total = sum(len(c.data) for c in late)
    assert late.skipped_bytes > 0 and late.skipped_bytes + late_total == 41943040


def test_attach_to_an_unknown_run_is_not_found(roar) -> None:
    with pytest.raises(grpc.RpcError) as err:
        roar.attach_run("no-such-run").wait()
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_list_runs_shows_roarctl_runs_too_and_run_output_is_announced(roar, roard, ws: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    events = roar.watch_events(workspace=str(ws), kinds=["run.output"])
    cli = subprocess.Popen([sys.executable, "-m", "roarctl", "run", "sh", "-c", f"while [ ! -e {go} ]; do sleep 0.05; done"],
                           cwd=ws, env=roard.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(roar.list_runs(str(ws))) == 1, 60, "roarctl's run to begin")
        spawned = roar.start_run(["sh", "-c", f"while [ ! -e {go} ]; do sleep 0.05; done"], cwd=ws)
        announced = next(iter(events))
        assert announced.topic == "run.output" and announced.run_id == spawned.run_id
        runs = roar.list_runs(str(ws))
        assert [(r.spawned, r.pid > 0) for r in runs] == [(False, False), (True, True)]
        assert runs[1].run_id == spawned.run_id and list(runs[0].argv)[:1] == ["sh"]
    finally:
        go.write_text("")
        events.cancel()
        cli.wait(timeout=60)
    assert spawned.wait().exit_code == 0

"""The workspace watcher and file status against a real daemon: atomic saves, deletion and
re-creation, a `git checkout` of 1,000 files, .roar/ writes, polling, idle expiry."""
from __future__ import annotations

import os
import queue
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import git
from tests.editor.conftest import commit_all

WAIT = 60.0   # a bound on waiting for an event (never a speed assertion)


class Events:
    """A WatchEvents stream read by a thread into a queue."""

    def __init__(self, roar, ws: Path | None, kinds: list[str]) -> None:
        self.stream = roar.watch_events(workspace=str(ws) if ws else "", kinds=kinds, announce=True)
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.next("events.subscribed")   # live from here on

    def _read(self) -> None:
        try:
            for event in self.stream:
                self.queue.put(event)
        except Exception:
            pass

    def next(self, topic: str, step: str = ""):
        while True:
            try:
                event = self.queue.get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"no {topic} {step} event within {WAIT:g} s") from None
            if event.topic == topic and (not step or event.step == step):
                return event

    def seen(self) -> list:
        out = []
        while not self.queue.empty():
            out.append(self.queue.get_nowait())
        return out

    def close(self) -> None:
        self.stream.cancel()


@pytest.fixture
def events(roar):
    made = []

    def make(ws: Path, kinds=("step.stale", "step.fresh", "file.changed")):
        made.append(Events(roar, ws, list(kinds)))
        return made[-1]

    yield make
    for e in made:
        e.close()


def _pipeline(roard, ws: Path) -> None:
    """@1 reads data.txt and prep.py, writes mid.txt; @2 reads mid.txt, writes out.txt."""
    (ws / "data.txt").write_text("one\n")
    (ws / "prep.py").write_text("import sys\nopen('mid.txt','w').write(open('data.txt').read().upper())\n")
    commit_all(ws)
    roard.roarctl("run", sys.executable, "prep.py", cwd=ws, check=True)
    roard.roarctl("run", "cp", "mid.txt", "out.txt", cwd=ws, check=True)


def _atomic_save(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_file_status_says_who_produced_a_file_and_who_read_it(roar, roard, ws: Path) -> None:
    _pipeline(roard, ws)
    (ws / "notes.txt").write_text("mine\n")
    mid, data, notes, outside = roar.file_status(["mid.txt", "data.txt", "notes.txt", "/etc/hostname"], cwd=ws)
    assert mid.produced_by == "@1" and mid.consumed_by == ["@2"] and len(mid.hash) == 64 and not mid.stale
    assert mid.tracked and mid.workspace == str(ws)
    assert data.produced_by == "" and data.note == "unknown content: not produced by any recorded job"
    assert data.consumed_by == ["@1"]
    assert notes.note.startswith("unknown content") and not notes.tracked
    assert outside.note == "not in a roar workspace"


def test_an_atomic_save_of_an_input_makes_its_steps_stale_and_saving_it_back_fresh(roar, roard, ws, events) -> None:
    _pipeline(roard, ws)
    roar.file_status(["data.txt"], cwd=ws)   # watching from now on
    ev = events(ws)
    _atomic_save(ws / "data.txt", "two\n")
    stale = ev.next("step.stale", "@1")
    assert any(r.startswith("data.txt changed on disk") for r in stale.reasons)
    assert str(ws / "data.txt") in stale.paths
    assert list(ev.next("step.stale", "@2").reasons) == ["upstream @1 is stale"]
    out, = roar.file_status(["out.txt"], cwd=ws)
    assert out.stale and any("upstream @1 is stale" in r for r in out.stale_reasons)
    data, = roar.file_status(["data.txt"], cwd=ws)
    assert data.stale_consumers == ["@1"]
    _atomic_save(ws / "data.txt", "one\n")
    assert ev.next("step.fresh", "@1").step == "@1"
    ev.next("step.fresh", "@2")
    out, = roar.file_status(["out.txt"], cwd=ws)
    assert not out.stale


def test_deletion_and_recreation_of_a_code_file(roar, roard, ws, events) -> None:
    _pipeline(roard, ws)
    roar.file_status(["prep.py"], cwd=ws)
    ev = events(ws)
    code = (ws / "prep.py").read_text()
    (ws / "prep.py").unlink()
    assert "prep.py is gone from disk" in ev.next("step.stale", "@1").reasons
    (ws / "prep.py").write_text(code)
    ev.next("step.fresh", "@1")


def test_writes_under_dot_roar_and_untracked_files_are_not_changes(roar, roard, ws, events) -> None:
    _pipeline(roard, ws)
    roar.file_status(["data.txt"], cwd=ws)
    ev = events(ws)
    for i in range(20):
        (ws / ".roar" / f"scratch{i}").write_text("x")
        (ws / f"untracked{i}.txt").write_text("x")
    (ws / "data.txt").write_text("edited\n")
    changed = ev.next("file.changed")
    assert list(changed.paths) == [str(ws / "data.txt")]


def test_git_checkout_of_a_thousand_files(roar, roard, ws, events) -> None:
    files = ws / "shards"
    files.mkdir()
    for i in range(1000):
        (files / f"{i:04d}.txt").write_text(f"shard {i}\n")
    commit_all(ws, "shards v1")
    roard.roarctl("run", "sh", "-c", "cat shards/*.txt > all.txt", cwd=ws, check=True)
    git(ws, "checkout", "-q", "-b", "v2")
    for i in range(1000):
        (files / f"{i:04d}.txt").write_text(f"shard {i} v2\n")
    commit_all(ws, "shards v2")
    git(ws, "checkout", "-q", "main")
    roar.file_status(["all.txt"], cwd=ws)
    ev = events(ws)
    git(ws, "checkout", "-q", "v2")
    stale = ev.next("step.stale", "@1")
    # Every changed shard is eventually among the reasons (batches may come in several events).
    while len([r for r in stale.reasons if "changed on disk" in r]) < 1000:
        stale = ev.next("step.stale", "@1")
    status, = roar.file_status(["shards/0999.txt"], cwd=ws)
    assert status.stale_consumers == ["@1"]
    git(ws, "checkout", "-q", "main")
    ev.next("step.fresh", "@1")


def test_polling_when_asked(roar, roard, ws, events) -> None:
    roard.roarctl("config", "set", "watch.mode", "poll", cwd=ws, check=True)
    _pipeline(roard, ws)
    ev = events(ws, ["step.stale", "watch.started"])
    roar.file_status(["data.txt"], cwd=ws)
    (ws / "data.txt").write_text("polled\n")
    assert ev.next("step.stale", "@1").reasons
    status = roard.roarctl("daemon", "status", cwd=ws, check=True).stdout
    assert f"{ws}: polling (watch.mode is poll)" in status


def test_an_unused_workspace_stops_being_watched(roar, roard, ws, events) -> None:
    roard.roarctl("config", "set", "watch.idle_minutes", "0.02", cwd=ws, check=True)
    _pipeline(roard, ws)
    ev = Events(roar, None, ["watch.stopped"])   # not asking about ws itself
    roar.file_status(["data.txt"], cwd=ws)
    try:
        while True:
            event = ev.next("watch.stopped")
            if event.workspace == str(ws):
                break
        assert "unused" in event.message
    finally:
        ev.close()


def test_the_stream_form_of_file_status_sends_a_new_status_when_it_changes(roar, roard, ws) -> None:
    _pipeline(roard, ws)
    stream = roar.watch_file_status(["out.txt"], cwd=ws)
    first = next(stream)
    assert first.produced_by == "@2" and not first.stale
    (ws / "data.txt").write_text("changed\n")
    second = next(stream)
    while not second.stale:
        second = next(stream)
    assert second.abs_path == str(ws / "out.txt") and "@2: upstream @1 is stale" in second.stale_reasons
    stream.cancel()


def test_an_input_outside_the_workspace_is_polled(roar, roard, ws, events, tmp_path: Path) -> None:
    outside = tmp_path / "shared" / "lookup.txt"
    outside.parent.mkdir()
    outside.write_text("v1\n")
    roard.roarctl("run", "cp", str(outside), "copy.txt", cwd=ws, check=True)
    status, = roar.file_status([str(outside)], cwd=ws)
    assert status.workspace == "" and status.note == "not in a roar workspace"
    ev = events(ws, ["step.stale"])
    roar.file_status(["copy.txt"], cwd=ws)
    outside.write_text("v2\n")
    stale = ev.next("step.stale", "@1")
    assert any("changed on disk" in r for r in stale.reasons) and str(outside) in stale.paths


def test_a_workspace_whose_events_a_client_follows_stays_watched(roar, roard, ws) -> None:
    roard.roarctl("config", "set", "watch.idle_minutes", "0.02", cwd=ws, check=True)
    _pipeline(roard, ws)
    follower = Events(roar, ws, ["step.stale"])          # an editor listening to this workspace
    stopped = Events(roar, None, ["watch.stopped"])
    roar.file_status(["data.txt"], cwd=ws)
    # Several idle periods (1.2 s each) pass while the follower listens: the edit is still seen.
    time.sleep(4)   # lets several idle periods pass; nothing is asserted about time
    (ws / "data.txt").write_text("edited after the idle time\n")
    assert follower.next("step.stale", "@1").reasons
    assert [e for e in stopped.seen() if e.workspace == str(ws)] == []
    follower.close()
    stopped.close()

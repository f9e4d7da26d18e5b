"""A step reading many small files (issue 19): one file changed among 10,000 between runs is found,
and only that one, even with its size and mtime kept; an unchanged re-run stores no new files."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import blake3

from tests.run.helpers import PY, run_json, write_script

N = 10_000
OPENLOOP = """import os, sys
d = sys.argv[1]
for n in sorted(os.listdir(d)):
    with open(os.path.join(d, n), 'rb') as f:
        f.read()
"""


def hashes(job: dict) -> dict[str, str]:
    return {f["path"]: f["hash"] for f in job["inputs"] if f["path"].startswith("data/")}


def test_one_changed_file_among_10000_is_found(roard, workspace: Path) -> None:
    data = workspace / "data"
    data.mkdir()
    for i in range(N):
        (data / f"s{i:05d}.json").write_bytes(b"%05d" % i)
    write_script(workspace, "openloop.py", OPENLOOP)
    first = hashes(run_json(roard, workspace, PY, "openloop.py", "data"))
    assert len(first) == N and first["data/s00042.json"] == blake3.blake3(b"00042").hexdigest()

    target = data / "s04321.json"
    before = target.stat()
    target.write_bytes(b"XXXXX")   # same size; the mtime put back: only ctime tells
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    second = hashes(run_json(roard, workspace, PY, "openloop.py", "data"))
    changed = {p for p in first if first[p] != second[p]}
    assert changed == {"data/s04321.json"}
    assert second["data/s04321.json"] == blake3.blake3(b"XXXXX").hexdigest()

    db = workspace / ".roar" / "roar.db"
    conn = sqlite3.connect(db)
    sets_rows = conn.execute("SELECT count(*) FROM set_files").fetchone()[0]
    third = hashes(run_json(roard, workspace, PY, "openloop.py", "data"))
    assert third == second
    assert conn.execute("SELECT count(*) FROM set_files").fetchone()[0] == sets_rows
    assert conn.execute("SELECT count(DISTINCT in_set) FROM jobs").fetchone()[0] == 2

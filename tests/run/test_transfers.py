"""roarctl get / put end to end: a real S3-compatible server (moto's server mode) and an HTTP
server on loopback, through the real daemon."""
from __future__ import annotations

import http.server
import json
import os
import pty
import socket
import sqlite3
import subprocess
import signal
import threading
import time
from pathlib import Path
from typing import Iterator

import blake3
import pytest

from tests.conftest import PYTHON, RoarEnv
from tests.run.helpers import run_json

BUCKET = "roar-test"
PAYLOAD = b"alpha,beta\n1,2\n" * 100
S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
          "AWS_DEFAULT_REGION": "us-east-1"}


def b3(data: bytes) -> str:
    return blake3.blake3(data).hexdigest()


def tree_hash(files: dict[str, bytes]) -> str:
    """The composite hash as ARCHITECTURE.md documents it, written out independently."""
    tree: dict = {}
    for rel, data in files.items():
        *dirs, name = rel.split("/")
        node = tree
        for d in dirs:
            node = node.setdefault(d, {})
        node[name] = b3(data)

    def node_hash(node: dict) -> str:
        h = blake3.blake3(b"roar-tree-v1\n")
        for name in sorted(node, key=str.encode):
            kind, digest = ("d", node_hash(node[name])) if isinstance(node[name], dict) else ("f", node[name])
            h.update(f"{kind} {name}\0{digest}\n".encode())
        return h.hexdigest()
    return node_hash(tree)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- servers -----------------------------------------------------------------------------------

SIGNATURE = "7f3c9a0d1e2b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"


class _Handler(http.server.BaseHTTPRequestHandler):
    files = {"/data.csv": PAYLOAD, "/other.csv": b"something else\n", "/signed.csv": PAYLOAD}

    def log_message(self, *args) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        if self.path == "/truncated.bin":  # promises 100000 bytes, sends 1000, hangs up
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            if body:
                self.wfile.write(b"x" * 1000)
                self.wfile.flush()
            self.close_connection = True
            return
        if self.path == "/slow.bin":  # trickles for at most ~10 s, or until the client hangs up
            self._trickle(body)
            return
        path, _, query = self.path.partition("?")
        if path == "/signed.csv" and f"X-Amz-Signature={SIGNATURE}" not in query:
            self.send_error(403)   # a presigned URL: the signature is the credential
            return
        data = self.files.get(path)
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)


    def _trickle(self, body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "200000")
        self.end_headers()
        for _ in range(200 if body else 0):
            try:
                self.wfile.write(b"s" * 1000)
                self.wfile.flush()
            except OSError:
                break
            time.sleep(0.05)
        self.close_connection = True


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def s3() -> Iterator[dict]:
    """moto's S3 server on loopback; yields the env a client needs and a boto3 client."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, **{
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"})
    client.create_bucket(Bucket=BUCKET)
    yield {"env": {**S3_ENV, "AWS_ENDPOINT_URL": endpoint}, "client": client}
    server.stop()


# --- helpers -----------------------------------------------------------------------------------

def ok_json(renv: RoarEnv, ws: Path, *args: str, env: dict | None = None) -> dict:
    proc = renv.roarctl(*args, "--json", cwd=ws, env=env)
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr, renv.read_log())
    return json.loads(proc.stdout)


def fails(renv: RoarEnv, ws: Path, rc: int, *args: str, env: dict | None = None) -> str:
    """Run a command that must fail with ``rc`` and one sentence on stderr; returns it."""
    proc = renv.roarctl(*args, cwd=ws, env=env)
    assert proc.returncode == rc, (args, proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("roarctl: "), proc.stderr
    return lines[0]


def job_count(ws: Path) -> int:
    with sqlite3.connect(ws / ".roar" / "roar.db") as db:
        return db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]


def stored_transfer(ws: Path, uid: str) -> dict:
    """The job's TransferInfo as stored (its own column since schema 5)."""
    with sqlite3.connect(ws / ".roar" / "roar.db") as db:
        return json.loads(db.execute("SELECT transfer FROM jobs WHERE uid = ?", (uid,)).fetchone()[0])


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".roar-part-" in p.name or ".roar-old-" in p.name)


# --- get over HTTP -----------------------------------------------------------------------------

def test_http_get_records_a_get_job(roard: RoarEnv, workspace: Path, http_url: str) -> None:
    url = f"{http_url}/data.csv"
    secret_url = url.replace("http://", "http://alice:s3cr3t@")
    t = ok_json(roard, workspace, "get", secret_url, "data/raw/data.csv", "-m", "raw data")
    assert (workspace / "data/raw/data.csv").read_bytes() == PAYLOAD
    job = t["job"]
    assert job["kind"] == "get" and job["ref"] == "@1" and job["inputs"] == []
    assert [(o["path"], o["hash"], o["size"]) for o in job["outputs"]] == [("data/raw/data.csv", b3(PAYLOAD), len(PAYLOAD))]
    assert job["argv"] == ["roarctl", "get", url, "data/raw/data.csv", "-m", "raw data"]
    transfer = stored_transfer(workspace, job["uid"])
    assert transfer["direction"] == "get" and transfer["url"] == url
    assert transfer["files"] == [{"url": url, "path": "data/raw/data.csv", "hash": b3(PAYLOAD), "size": len(PAYLOAD)}]
    db_bytes = (workspace / ".roar" / "roar.db").read_bytes() + (workspace / ".roar" / "roar.db-wal").read_bytes()
    assert b"s3cr3t" not in db_bytes and "s3cr3t" not in roard.read_log()
    # a run that reads the download links to the get job; the input is sourced
    run = run_json(roard, workspace, "sh", "-c", "wc -l data/raw/data.csv > count.txt")
    assert "unsourced" not in run["inputs"][0]["flags"]
    dag = ok_json(roard, workspace, "dag")
    assert any("@1" in n["depends_on"] for n in dag["nodes"] if n["ref"] == "@2")


def test_presigned_url_signature_is_never_recorded(roard: RoarEnv, workspace: Path, http_url: str) -> None:
    query = f"X-Amz-Credential=AKIAEXAMPLE%2F20261201&X-Amz-Expires=600&X-Amz-Signature={SIGNATURE}"
    t = ok_json(roard, workspace, "get", f"{http_url}/signed.csv?{query}", "signed.csv")
    assert (workspace / "signed.csv").read_bytes() == PAYLOAD     # the full URL was used to fetch
    recorded = f"{http_url}/signed.csv?X-Amz-Credential=REDACTED&X-Amz-Expires=600&X-Amz-Signature=REDACTED"
    assert t["job"]["argv"][2] == recorded
    assert stored_transfer(workspace, t["job"]["uid"])["url"] == recorded
    db_bytes = (workspace / ".roar" / "roar.db").read_bytes() + (workspace / ".roar" / "roar.db-wal").read_bytes()
    assert SIGNATURE.encode() not in db_bytes and SIGNATURE not in roard.read_log()
    exported = roard.roarctl("export", "signed.csv", "--format", "prov-json", cwd=workspace, check=True).stdout
    assert SIGNATURE not in exported and "AKIAEXAMPLE" not in exported


def test_existing_dest_force_and_dry_run(roard: RoarEnv, workspace: Path, http_url: str) -> None:
    url = f"{http_url}/data.csv"
    (workspace / "data.csv").write_text("mine\n")
    msg = fails(roard, workspace, 1, "get", url)
    assert "already exists" in msg and "--force" in msg
    assert (workspace / "data.csv").read_text() == "mine\n" and job_count(workspace) == 0
    plan = ok_json(roard, workspace, "get", url, "new.csv", "--dry-run")
    assert plan["dry_run"] and plan["files"][0]["path"] == "new.csv" and plan["files"][0]["size"] == len(PAYLOAD)
    assert not (workspace / "new.csv").exists() and job_count(workspace) == 0
    text = roard.roarctl("get", url, "new.csv", "--dry-run", cwd=workspace, check=True).stdout
    assert "would download 1 file(s)" in text
    t = ok_json(roard, workspace, "get", url, "--force", "--hash", b3(PAYLOAD)[:10])
    assert (workspace / "data.csv").read_bytes() == PAYLOAD
    assert t["job"]["argv"][-3:] == ["--hash", b3(PAYLOAD)[:10], "--force"]
    (workspace / "models").mkdir()
    ok_json(roard, workspace, "get", url, "models")   # an existing directory: the file goes inside
    assert (workspace / "models" / "data.csv").read_bytes() == PAYLOAD
    assert leftovers(workspace) == []


def test_corrupt_broken_and_missing_downloads(roard: RoarEnv, workspace: Path, http_url: str) -> None:
    other = f"{http_url}/other.csv"
    msg = fails(roard, workspace, 1, "get", other, "model.bin", "--hash", b3(PAYLOAD))
    assert "does not match --hash" in msg and "nothing was written" in msg
    msg = fails(roard, workspace, 1, "get", f"{http_url}/truncated.bin", "deep/dir/t.bin")
    assert "broke off" in msg and "nothing was written" in msg
    assert not (workspace / "deep").exists()      # the directories it made are gone too
    assert "404" in fails(roard, workspace, 4, "get", f"{http_url}/nope.csv", "nope.csv")
    assert "cannot reach" in fails(roard, workspace, 1, "get", f"http://127.0.0.1:{free_port()}/x.csv")
    assert "unknown URL scheme nosuch://" in fails(roard, workspace, 2, "get", "nosuch://host/x")
    assert "not a URL" in fails(roard, workspace, 2, "get", "data.csv")
    assert "not a BLAKE3 hash" in fails(roard, workspace, 2, "get", other, "--hash", "xyz")
    assert not (workspace / "model.bin").exists() and leftovers(workspace) == []
    assert job_count(workspace) == 0


def test_progress_line_only_on_a_terminal(roard: RoarEnv, workspace: Path, http_url: str) -> None:
    piped = roard.roarctl("get", f"{http_url}/data.csv", "piped.csv", cwd=workspace, check=True)
    assert "receiving" not in piped.stderr
    master, slave = pty.openpty()
    proc = subprocess.run([PYTHON, "-m", "roarctl", "get", f"{http_url}/data.csv", "tty.csv"], cwd=workspace,
                          env=roard.env, stdout=subprocess.PIPE, stderr=slave, timeout=60)
    os.close(slave)
    seen = b""
    try:
        while chunk := os.read(master, 4096):
            seen += chunk
    except OSError:
        pass
    os.close(master)
    assert proc.returncode == 0 and b"receiving data.csv" in seen
    quiet = roard.roarctl("get", f"{http_url}/data.csv", "quiet.csv", "-q", cwd=workspace, check=True)
    assert quiet.stderr == ""


def test_interrupted_get_leaves_nothing(roard: RoarEnv, workspace: Path, http_url: str) -> None:
    # A shell without job control starts background commands with SIGINT ignored, and Python
    # keeps it ignored: give roarctl the default disposition a terminal would.
    proc = subprocess.Popen([PYTHON, "-m", "roarctl", "get", f"{http_url}/slow.bin", "slow.bin"], cwd=workspace,
                            env=roard.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 10
    while not leftovers(workspace) and time.monotonic() < deadline:  # the transfer is under way
        time.sleep(0.05)
    assert leftovers(workspace), "the download never started"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in err, err
    deadline = time.monotonic() + 10
    while leftovers(workspace) and time.monotonic() < deadline:   # the daemon cleans up
        time.sleep(0.05)
    assert leftovers(workspace) == [] and not (workspace / "slow.bin").exists() and job_count(workspace) == 0


# --- S3 ----------------------------------------------------------------------------------------

def test_s3_get_of_a_prefix_is_a_composite(roard: RoarEnv, workspace: Path, s3: dict) -> None:
    files = {"a.csv": b"a\n", "sub/b.csv": b"b\n" * 50, "sub/deeper/c.bin": PAYLOAD}
    for rel, data in files.items():
        s3["client"].put_object(Bucket=BUCKET, Key=f"ds/{rel}", Body=data)
    composite = tree_hash(files)
    msg = fails(roard, workspace, 1, "get", f"s3://{BUCKET}/ds/", "ds", "--hash", "0" * 12, env=s3["env"])
    assert "does not match" in msg and not (workspace / "ds").exists()
    t = ok_json(roard, workspace, "get", f"s3://{BUCKET}/ds/", "ds", "--hash", composite[:16], env=s3["env"])
    assert t["directories"][0]["hash"] == composite and t["directories"][0]["file_count"] == 3
    assert {o["path"]: o["hash"] for o in t["job"]["outputs"]} == {f"ds/{k}": b3(v) for k, v in files.items()}
    for rel, data in files.items():
        assert (workspace / "ds" / rel).read_bytes() == data
    for ref in ("ds", composite[:12]):
        art = ok_json(roard, workspace, "show", ref)
        assert art["hash"] == composite and art["produced_by"] == "@1"
        assert {c["path"]: c["hash"] for c in art["components"]} == {k: b3(v) for k, v in files.items()}
        assert art["size"] == sum(len(v) for v in files.values())
    shown = roard.roarctl("show", "ds", cwd=workspace, check=True).stdout
    assert "components" in shown and "sub/deeper/c.bin" in shown
    # a single object, and a sub-prefix whose composite hash is its subtree's
    one = ok_json(roard, workspace, "get", f"s3://{BUCKET}/ds/a.csv", env=s3["env"])
    assert one["files"][0]["path"] == "a.csv" and one["directories"] == []
    sub = ok_json(roard, workspace, "get", f"s3://{BUCKET}/ds/sub", "sub", env=s3["env"])
    assert sub["directories"][0]["hash"] == tree_hash({k[4:]: v for k, v in files.items() if k.startswith("sub/")})
    assert "not found" in fails(roard, workspace, 4, "get", f"s3://{BUCKET}/absent.csv", env=s3["env"])


def test_s3_put_of_a_step_a_directory_and_the_session(roard: RoarEnv, workspace: Path, s3: dict) -> None:
    env = s3["env"]
    run_json(roard, workspace, "sh", "-c", "mkdir -p out && cat README.md > out/model.txt")
    t = ok_json(roard, workspace, "put", "@1", f"s3://{BUCKET}/pub/", "-m", "model v1", env=env)
    body = s3["client"].get_object(Bucket=BUCKET, Key="pub/out/model.txt")["Body"].read()
    assert body == b"demo\n"
    job = t["job"]
    assert job["kind"] == "put" and [i["path"] for i in job["inputs"]] == ["out/model.txt"]
    assert job["argv"] == ["roarctl", "put", "@1", f"s3://{BUCKET}/pub/", "-m", "model v1"]
    assert t["files"] == [{"url": f"s3://{BUCKET}/pub/out/model.txt", "path": "out/model.txt",
                           "hash": b3(b"demo\n"), "size": 5}]
    assert t["git_tag"].startswith("roar/")
    assert {i["name"] for i in t["checklist"]} >= {"all inputs sourced", "code committed to git"}
    assert {i["name"]: i["ok"] for i in t["checklist"]}["all inputs sourced"]
    assert stored_transfer(workspace, job["uid"])["direction"] == "put"
    # the human receipt: what went where, and the checklist
    (workspace / "results").mkdir()
    (workspace / "results" / "x.txt").write_text("x\n")
    (workspace / "results" / "nested").mkdir()
    (workspace / "results" / "nested" / "y.txt").write_text("y\n")
    receipt = roard.roarctl("put", "results", f"s3://{BUCKET}/res", "-m", "results", "--no-tag",
                            cwd=workspace, env=env, check=True).stdout
    assert f"results/x.txt -> s3://{BUCKET}/res/x.txt" in receipt and b3(b"x\n")[:12] in receipt
    assert "Reproducibility — " in receipt and "[❌] all inputs sourced" in receipt
    assert "git tag" not in receipt
    keys = {o["Key"] for o in s3["client"].list_objects_v2(Bucket=BUCKET, Prefix="res/")["Contents"]}
    assert keys == {"res/x.txt", "res/nested/y.txt"}
    art = ok_json(roard, workspace, "show", "results")
    assert art["hash"] == tree_hash({"x.txt": b"x\n", "nested/y.txt": b"y\n"}) and art["consumed_by"] == ["@3"]
    # no sources: every output of the session's runs
    dry = ok_json(roard, workspace, "put", f"s3://{BUCKET}/all", "-m", "all", "--dry-run", env=env)
    assert [f["url"] for f in dry["files"]] == [f"s3://{BUCKET}/all/out/model.txt"] and dry["job"]["uid"] == ""
    assert "Contents" not in s3["client"].list_objects_v2(Bucket=BUCKET, Prefix="all/")
    count = job_count(workspace)
    assert "no step @9" in fails(roard, workspace, 4, "put", "@9", f"s3://{BUCKET}/x", "-m", "m", env=env)
    (workspace / "empty").mkdir()
    assert "nothing to put" in fails(roard, workspace, 2, "put", "empty", f"s3://{BUCKET}/x", "-m", "m", env=env)
    assert "does not exist" in fails(roard, workspace, 4, "put", "missing.txt", f"s3://{BUCKET}/x", "-m", "m", env=env)
    assert job_count(workspace) == count


def test_put_of_nothing_in_an_empty_session(roard: RoarEnv, workspace: Path, tmp_path: Path) -> None:
    msg = fails(roard, workspace, 2, "put", f"file://{tmp_path}/pub/", "-m", "m")
    assert "nothing to put" in msg and not (tmp_path / "pub").exists()


# --- the domain API reproduce uses, and the composite hash ------------------------------------

def test_download_function_and_merkle_hash(tmp_path: Path) -> None:
    from roard.errors import FailedPrecondition
    from roard.lineage.composite import merkle_hash
    from roard.transfers.fetch import download

    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"a")
    (src / "sub" / "b.txt").write_bytes(b"bb")
    seen: list[tuple[int, int]] = []
    out = download(f"file://{src}/", tmp_path / "copy", None, lambda done, total: seen.append((done, total)))
    assert [(p.relative_to(tmp_path).as_posix(), h, s) for p, h, s in out] == [
        ("copy/a.txt", b3(b"a"), 1), ("copy/sub/b.txt", b3(b"bb"), 2)]
    assert seen[-1] == (3, 3)
    pairs = [("sub/b.txt", b3(b"bb")), ("a.txt", b3(b"a"))]
    assert merkle_hash(pairs) == merkle_hash(reversed(pairs)) == tree_hash({"a.txt": b"a", "sub/b.txt": b"bb"})
    assert merkle_hash([("b.txt", b3(b"bb"))]) == tree_hash({"b.txt": b"bb"})
    with pytest.raises(FailedPrecondition, match="does not match"):
        download(f"file://{src}/a.txt", tmp_path / "one.txt", b3(b"zz"))
    assert not (tmp_path / "one.txt").exists() and leftovers(tmp_path) == []


async def test_v3_database_gains_the_composites_table(tmp_path: Path) -> None:
    from roard.lineage.model import FileEntry, JobRecord
    from roard.lineage.store import SCHEMA, JobStore
    from roard.lineage.composite import make_composite

    db = tmp_path / "roar.db"
    conn = sqlite3.connect(db)
    conn.executescript(SCHEMA.replace(",\n    rerun_of TEXT NOT NULL DEFAULT ''", "").split("CREATE TABLE IF NOT EXISTS composites")[0])
    conn.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    conn.commit()
    conn.close()
    store = JobStore(db, tmp_path)
    job = JobRecord(uid="c" * 32, session_id="", kind="get", argv=["roarctl", "get"], cwd=str(tmp_path),
                    started_at=1, ended_at=2, exit_code=0, status="ok")
    comp = make_composite("d", str(tmp_path / "d"), [FileEntry("f", str(tmp_path / "d/f"), b3(b"f"), 1)])
    await store.add_job(job, [("out", comp)])
    assert await store.find_hashes(comp.hash[:8]) == [comp.hash]
    assert await store.latest_composite_for_path(str(tmp_path / "d")) == comp.hash
    await store.pop_job()
    assert await store.composite_rows(comp.hash) == []
    await store.close()

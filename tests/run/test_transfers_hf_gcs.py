"""roarctl get / put with hf:// and gs:// (issue 14, item 11), and http(s) directory listings.

hf:// goes through huggingface_hub's HfFileSystem pointed (HF_ENDPOINT, which roarctl forwards)
at `loopback_stores.HubHandler`, and gs:// through gcsfs pointed (STORAGE_EMULATOR_HOST) at
`loopback_stores.GcsHandler`: both are small HTTP servers on loopback written for these tests,
speaking the part of the Hub's and of the GCS JSON API's protocol the clients use; they are
stand-ins for services this machine cannot reach (fake-gcs-server is not installable here). The
clients, roarctl and roard are real. The directory listing is Python's own http.server."""
from __future__ import annotations

import functools
import http.server
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

import blake3
import pytest

from tests.conftest import REPO, RoarEnv, git
from tests.run.helpers import run_json
from tests.run.loopback_stores import GcsHandler, HubHandler, serve
from tests.run.test_transfers import fails, job_count, ok_json, tree_hash

pytest.importorskip("huggingface_hub", reason="the [hf] extra is not installed")
pytest.importorskip("gcsfs", reason="the [gcs] extra is not installed")

TRAIN = b"text,label\nhello,1\n" * 20


def b3(data: bytes) -> str:
    return blake3.blake3(data).hexdigest()


@pytest.fixture
def hub() -> Iterator[dict[str, str]]:
    HubHandler.repos = {
        ("dataset", "acme/corpus"): {"main": {"train.csv": TRAIN, "splits/test.csv": b"t\n", "splits/dev.csv": b"d\n"},
                                     "v1": {"train.csv": b"old\n"}},
        ("model", "acme/net"): {"main": {"config.json": b'{"layers": 2}\n'}},
        ("space", "acme/demo"): {"main": {"app.py": b"print('demo')\n"}},
    }
    with serve(HubHandler) as url:
        yield {"HF_ENDPOINT": url}


@pytest.fixture
def gcs() -> Iterator[dict[str, str]]:
    GcsHandler.buckets = {"bkt": {"ds/a.csv": b"a\n", "ds/sub/b.csv": b"b\n" * 50}}
    with serve(GcsHandler) as url:
        yield {"STORAGE_EMULATOR_HOST": url}


def test_hf_get_dataset_model_space_and_revision(roard: RoarEnv, workspace: Path, hub: dict) -> None:
    t = ok_json(roard, workspace, "get", "hf://datasets/acme/corpus/train.csv", "data/train.csv", env=hub)
    assert (workspace / "data/train.csv").read_bytes() == TRAIN
    assert [(o["path"], o["hash"]) for o in t["job"]["outputs"]] == [("data/train.csv", b3(TRAIN))]
    assert t["job"]["argv"][2] == "hf://datasets/acme/corpus/train.csv"
    old = ok_json(roard, workspace, "get", "hf://datasets/acme/corpus@v1/train.csv", "data/train_v1.csv", env=hub)
    assert (workspace / "data/train_v1.csv").read_bytes() == b"old\n"
    assert old["files"][0]["url"] == "hf://datasets/acme/corpus@v1/train.csv"  # the revision is recorded
    splits = ok_json(roard, workspace, "get", "hf://datasets/acme/corpus/splits", "data/splits", env=hub)
    assert splits["directories"][0]["hash"] == tree_hash({"test.csv": b"t\n", "dev.csv": b"d\n"})
    ok_json(roard, workspace, "get", "hf://acme/net/config.json", "model/config.json", env=hub)
    assert (workspace / "model/config.json").read_bytes() == b'{"layers": 2}\n'
    ok_json(roard, workspace, "get", "hf://spaces/acme/demo/app.py", "app.py", env=hub)
    assert (workspace / "app.py").read_bytes() == b"print('demo')\n"
    count = job_count(workspace)
    assert "not found" in fails(roard, workspace, 4, "get", "hf://datasets/acme/absent/x.csv", "x.csv", env=hub)
    assert "not found" in fails(roard, workspace, 4, "get", "hf://datasets/acme/corpus@nope/train.csv", "y.csv",
                                env=hub)
    assert job_count(workspace) == count and not (workspace / "x.csv").exists()


def test_hf_put_and_the_token_stays_on_the_machine(roard: RoarEnv, workspace: Path, hub: dict) -> None:
    env = {**hub, "HF_TOKEN": "hf_s3cr3tT0ken"}
    run_json(roard, workspace, "sh", "-c", "mkdir -p out && cat README.md > out/model.txt")
    t = ok_json(roard, workspace, "put", "@1", "hf://acme/net/", "-m", "weights", "--no-tag", env=env)
    assert HubHandler.repos[("model", "acme/net")]["main"]["out/model.txt"] == b"demo\n"
    assert t["files"] == [{"url": "hf://acme/net/out/model.txt", "path": "out/model.txt", "hash": b3(b"demo\n"),
                           "size": 5}]
    back = ok_json(roard, workspace, "get", "hf://acme/net/out/model.txt", "copy.txt", env=env)
    assert back["job"]["outputs"][0]["hash"] == b3(b"demo\n")
    stored = (workspace / ".roar" / "roar.db").read_bytes() + (workspace / ".roar" / "roar.db-wal").read_bytes()
    assert b"s3cr3tT0ken" not in stored and "s3cr3tT0ken" not in roard.read_log()


def test_gs_get_of_a_prefix_and_put(roard: RoarEnv, workspace: Path, gcs: dict) -> None:
    t = ok_json(roard, workspace, "get", "gs://bkt/ds/", "ds", env=gcs)
    assert t["directories"][0]["hash"] == tree_hash({"a.csv": b"a\n", "sub/b.csv": b"b\n" * 50})
    assert (workspace / "ds/sub/b.csv").read_bytes() == b"b\n" * 50
    one = ok_json(roard, workspace, "get", "gs://bkt/ds/a.csv", "a.csv", env=gcs)
    assert one["files"][0]["url"] == "gs://bkt/ds/a.csv" and one["job"]["kind"] == "get"
    run_json(roard, workspace, "sh", "-c", "cat ds/a.csv ds/sub/b.csv > joined.csv")
    put = ok_json(roard, workspace, "put", "joined.csv", "gs://bkt/out/joined.csv", "-m", "joined", "--no-tag",
                  env=gcs)
    assert GcsHandler.buckets["bkt"]["out/joined.csv"] == b"a\n" + b"b\n" * 50
    assert put["job"]["kind"] == "put"
    assert "not found" in fails(roard, workspace, 4, "get", "gs://bkt/absent.csv", "z.csv", env=gcs)


def test_missing_extras_are_named(roar_env: RoarEnv, tmp_path: Path) -> None:
    """A daemon whose Python cannot import huggingface_hub or gcsfs (here: packages of those names,
    first on its PYTHONPATH, that raise ImportError) names the extra to install in one line."""
    shadow = tmp_path / "shadow"
    for name in ("huggingface_hub", "gcsfs"):
        (shadow / name).mkdir(parents=True)
        (shadow / name / "__init__.py").write_text("raise ImportError('not installed (test shadow)')\n")
    roar_env.env["PYTHONPATH"] = f"{shadow}:{REPO}"
    roar_env.roarctl("daemon", "start", check=True)
    ws = tmp_path / "ws"
    ws.mkdir()
    git(ws, "init", "-q")
    roar_env.roarctl("init", "-n", cwd=ws, check=True)
    msg = fails(roar_env, ws, 1, "get", "hf://datasets/acme/corpus/train.csv", "t.csv")
    assert msg == "roarctl: hf:// needs the optional huggingface_hub backend: pip install 'roar-provenance[hf]'"
    msg = fails(roar_env, ws, 1, "get", "gs://bkt/a.csv", "a.csv")
    assert msg == "roarctl: gs:// needs the optional gcsfs backend: pip install 'roar-provenance[gcs]'"


@pytest.fixture
def listing_url(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    (site / "files").mkdir(parents=True)
    (site / "files" / "a.csv").write_text("a\n")
    (site / "page.html").write_text("<html><head><title>Results</title></head><body>ok</body></html>\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_directory_listing_is_refused(roard: RoarEnv, workspace: Path, listing_url: str) -> None:
    count = job_count(workspace)
    msg = fails(roard, workspace, 1, "get", f"{listing_url}/files/", "data")
    assert msg == (f"roarctl: {listing_url}/files/ is an HTML directory listing, not a file; get each file by its "
                   "own URL")
    assert not (workspace / "data").exists() and job_count(workspace) == count
    ok_json(roard, workspace, "get", f"{listing_url}/page.html", "page.html")  # an ordinary page is a file
    assert b"Results" in (workspace / "page.html").read_bytes()
    ok_json(roard, workspace, "get", f"{listing_url}/files/a.csv", "a.csv")
    with sqlite3.connect(workspace / ".roar" / "roar.db") as db:
        assert db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == count + 2

"""The pure parts of registration: backoff, Retry-After, content keys, the queue's store, the
payload builder, the settings and login file, and how HTTP answers are sorted."""
from __future__ import annotations

import http.server
import json
import stat
import threading
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from roard.capture.omission import OmissionFilter
from roard.config import KEYS
from roard.errors import FailedPrecondition, NotFound
from roard.lineage.model import FileEntry, JobRecord
from roard.registration import payload as payloads
from roard.registration import settings
from roard.registration.http import GlaasHttp, Rejected, Retryable, Unreachable, parse_retry_after
from roard.registration.queue import DELIVERED, FAILED, PENDING, QueueStore, backoff

H = {c: c * 64 for c in "abcdef"}


def omit(**overrides) -> OmissionFilter:
    values = {k.name: k.default for k in KEYS.values() if k.name.startswith("registration.omit")}
    return OmissionFilter.from_config({**values, **overrides})


def job(uid: str, seq: int, ins: list[str], outs: list[str], argv: list[str] | None = None,
        session: str = "s1", kind: str = "run") -> JobRecord:
    return JobRecord(uid=uid, session_id=session, kind=kind, argv=argv or ["python", f"step{seq}.py"],
                     cwd="/w", started_at=100.0 + seq, ended_at=101.0 + seq, exit_code=0, status="ok",
                     step=seq, seq=seq,
                     inputs=[FileEntry(f"{h[:4]}.in", f"/w/{h[:4]}", h, 10) for h in ins],
                     outputs=[FileEntry(f"{h[:4]}.out", f"/w/{h[:4]}", h, 20) for h in outs])


# --- backoff and Retry-After -----------------------------------------------------------------

def test_backoff_doubles_with_jitter_and_is_capped(monkeypatch):
    monkeypatch.delenv("ROARD_REGISTRATION_MAX_DELAY", raising=False)
    low = [backoff(n, rng=lambda: 0.0) for n in range(1, 6)]
    high = [backoff(n, rng=lambda: 1.0) for n in range(1, 6)]
    assert low == [0.5, 1.0, 2.0, 4.0, 8.0] and high == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert backoff(30, rng=lambda: 1.0) == 300.0
    monkeypatch.setenv("ROARD_REGISTRATION_MAX_DELAY", "2")
    assert backoff(30, rng=lambda: 1.0) == 2.0


def test_retry_after_is_honoured():
    assert backoff(1, retry_after=17) == 17
    assert backoff(9, retry_after=99999) == 3600
    assert parse_retry_after("120") == 120
    assert parse_retry_after(formatdate(1000.0 + 30, usegmt=True), now=1000.0) == pytest.approx(30, abs=1)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


# --- content keys ----------------------------------------------------------------------------

def test_content_key_depends_on_content_only():
    a = payloads.content_key({"jobs": [1, 2], "scope": "anonymous"})
    assert a == payloads.content_key({"scope": "anonymous", "jobs": [1, 2]})
    assert a != payloads.content_key({"scope": "private", "jobs": [1, 2]})
    assert len(a) == 64


# --- the queue's store -----------------------------------------------------------------------

def test_queue_store_is_ordered_deduplicated_and_private(tmp_path: Path):
    store = QueueStore(tmp_path / "q" / "registration.db")
    assert stat.S_IMODE((tmp_path / "q" / "registration.db").stat().st_mode) == 0o600
    first, new1 = store.add("k1", "http://s", "/w", "@1", {"jobs": [1]}, ["u1"])
    again, new2 = store.add("k1", "http://s", "/w", "@1", {"jobs": [1]}, ["u1"])
    second, _ = store.add("k2", "http://s", "/w", "@2", {"jobs": [2]}, ["u2"])
    assert (first, new1, new2) == (again, True, False) and second > first
    assert store.queued_jobs("/w") == {"u1", "u2"}
    item, body = store.head()
    assert item.id == first and body == {"jobs": [1]}
    store.mark(first, PENDING, "refused", time.time() + 60)
    item, _ = store.head()
    assert item.id == first and item.attempts == 1 and item.last_error == "refused"   # still first: in order
    store.mark(first, FAILED, "bad request")
    assert store.head()[0].id == second
    store.mark(second, DELIVERED, receipt={"new": {"jobs": 1}})
    assert store.counts() == {FAILED: 1, DELIVERED: 1}
    assert [i.state for i in store.list()] == [FAILED, DELIVERED]
    assert store.list()[1].receipt == {"new": {"jobs": 1}}
    assert store.retry_failed() == 1 and store.head()[0].id == first
    assert store.drop(first).key == "k1"
    assert store.queued_jobs("/w") == {"u2"}
    with pytest.raises(NotFound):
        store.drop(first)
    assert store.auto_since("/w", 5.0) == 5.0 and store.auto_since("/w", 9.0) == 5.0
    store.close()


# --- the payload -----------------------------------------------------------------------------

def test_payload_has_the_lineage_with_secrets_redacted():
    jobs = [job("j1", 1, [H["a"]], [H["b"]], ["python", "prep.py", "--token", "s3cr3t-value-1"]),
            job("j2", 2, [H["b"]], [H["c"]])]
    p = payloads.build(jobs, [], [payloads.LabelRow("job", "j1", {"owner": "ann"}),
                                  payloads.LabelRow("job", "elsewhere", {"x": "y"}),
                                  payloads.LabelRow("dag", "s1", {"team": "ml"})], omit(), "anonymous")
    body = p.body
    assert [j["uid"] for j in body["jobs"]] == ["j1", "j2"]
    assert len(body["sessions"]) == 1 and body["jobs"][0]["session_hash"] == body["sessions"][0]["hash"]
    assert {a["hash"] for a in body["artifacts"]} == {H["a"], H["b"], H["c"]}
    assert body["jobs"][1]["inputs"] == [{"hash": H["b"], "path": "bbbb.in", "size": 20}]
    assert "s3cr3t-value-1" not in json.dumps(body)
    assert body["jobs"][0]["argv"][3].startswith("[REDACTED:")
    assert {r.path for r in p.redactions} >= {"jobs[0].argv[3]"}
    assert sorted((lb["entity_kind"], lb["entity_key"]) for lb in body["labels"]) == \
        [("job", "j1"), ("session", body["sessions"][0]["hash"])]
    again = payloads.build(jobs, [], [], omit(), "anonymous")
    assert again.idempotency_key == payloads.build(jobs, [], [], omit(), "anonymous").idempotency_key
    assert again.idempotency_key != payloads.build(jobs, [], [], omit(), "private").idempotency_key


def test_payload_composites_and_loose_artifacts():
    get = job("g1", 1, [], [H["d"], H["e"]], ["roarctl", "get", "s3://b/data/"], kind="get")
    rows = [payloads.CompositeRow("g1", "out", H["f"], "data", "x.csv", H["d"], 3),
            payloads.CompositeRow("g1", "out", H["f"], "data", "sub/y.csv", H["e"], 4)]
    body = payloads.build([get], rows, [], omit(), "public").body
    comp = next(a for a in body["artifacts"] if a["hash"] == H["f"])
    assert comp["size"] == 7 and [c["path"] for c in comp["components"]] == ["sub/y.csv", "x.csv"]
    assert any(o["hash"] == H["f"] for o in body["jobs"][0]["outputs"])


def test_split_keeps_every_part_whole():
    jobs = [job(f"j{i}", i, [H["a"]] if i else [], [f"{i:064x}"]) for i in range(7)]
    whole = payloads.build(jobs, [], [], omit(), "anonymous")
    parts = payloads.split(whole, 3)
    assert [len(p.body["jobs"]) for p in parts] == [3, 3, 1]
    assert [j["uid"] for p in parts for j in p.body["jobs"]] == [j.uid for j in jobs]
    for part in parts:
        have = {a["hash"] for a in part.body["artifacts"]}
        refs = {r["hash"] for j in part.body["jobs"] for r in j["inputs"] + j["outputs"]}
        assert refs <= have
        assert {j["session_hash"] for j in part.body["jobs"]} <= {s["hash"] for s in part.body["sessions"]}
    assert payloads.split(whole, 100) == [whole]


# --- settings and the login file -------------------------------------------------------------

def test_settings_precedence_login_file_and_scope_flip(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    user = settings.user_config_path()
    user.parent.mkdir(parents=True)
    user.write_text('[glaas]\nurl = "http://user.example:1"\n[registration]\nauto = true\n')
    ws = tmp_path / "config.toml"
    ws.write_text('[glaas]\nurl = "http://ws.example:2/"\n')
    config = settings.effective_config(ws)
    assert config["glaas.url"] == "http://ws.example:2/" and config["registration.auto"] is True
    assert settings.effective_config(None)["glaas.url"] == "http://user.example:1"
    target = settings.server_target(config)
    assert (target.url, target.web_url, target.scope, target.login) == ("http://ws.example:2", "http://ws.example:2",
                                                                        "anonymous", None)
    assert target.artifact_page(H["a"]) == f"http://ws.example:2/artifact/{H['a']}"
    settings.save_login(settings.Login("http://ws.example:2/", "tok-1", "alice", ["read", "write"]))
    assert stat.S_IMODE(settings.credentials_path().stat().st_mode) == 0o600
    assert settings.server_target(config).scope == "private"          # logged in: the default flips
    ws.write_text('[glaas]\nurl = "http://ws.example:2"\n[registration]\nscope = "public"\n')
    assert settings.server_target(settings.effective_config(ws)).scope == "public"   # chosen: stays
    settings.save_login(settings.Login("http://other:3", "tok-2", expires_at=time.time() - 1))
    assert settings.login_for("http://other:3") is None               # expired
    assert settings.forget_login("http://ws.example:2") and not settings.forget_login("http://ws.example:2")
    with pytest.raises(FailedPrecondition):
        settings.server_target(settings.effective_config(None).__class__({**config.values, "glaas.url": ""}))


# --- HTTP answers ----------------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        status = int(self.path.rsplit("/", 1)[-1])
        body = json.dumps({"success": status < 300, "data": {"ok": 1}} if status < 300 else
                          {"success": False, "error": {"code": "bad", "message": f"status {status}"}}).encode()
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "7")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_http_answers_are_sorted_for_the_queue():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = GlaasHttp(f"http://127.0.0.1:{server.server_address[1]}", token="t")
    try:
        assert client.request("POST", "/x/200", {}) == {"ok": 1}
        for status in (408, 429, 500, 503):
            with pytest.raises(Retryable) as exc:
                client.request("POST", f"/x/{status}", {})
            assert exc.value.status == status
        with pytest.raises(Retryable) as exc:
            client.request("POST", "/x/429", {})
        assert exc.value.retry_after == 7
        for status in (400, 401, 404, 413, 422):
            with pytest.raises(Rejected) as rej:
                client.request("POST", f"/x/{status}", {})
            assert rej.value.reason == f"status {status}"
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(Unreachable):
        client.request("POST", "/x/200", {})


def test_queue_worker_publishes_each_state_change(tmp_path: Path):
    """Against a small HTTP server answering each item's path-coded status: 200 delivered,
    400 failed with the server's reason, 503 retried (and the items behind it wait)."""
    import asyncio

    from roard.events import EventBus
    from roard.registration import queue as queue_mod

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def send(url, body, key, token=""):
        return GlaasHttp(url).request("POST", f"/x/{body['status']}", body)

    async def scenario() -> tuple[list[str], list]:
        bus = EventBus()
        events = bus.subscribe()
        q = queue_mod.RegistrationQueue(tmp_path / "q.db", bus)
        q.sender = send
        for i, status in enumerate((200, 400, 503, 200)):
            await q.enqueue(f"k{i}", base, "/w", f"@{i}", {"status": status})
        q.start()
        topics: list[str] = []
        while len(topics) < 7:
            event = await asyncio.wait_for(events.get(), 10)
            assert event.topic == f"registration.{event.state}"
            topics.append(event.topic)
        items = await q.items()
        await q.close()
        return topics, items

    try:
        topics, items = asyncio.run(scenario())
    finally:
        server.shutdown()
        server.server_close()
    assert topics == ["registration.queued"] * 4 + ["registration.delivered", "registration.failed",
                                                    "registration.retrying"]
    assert [(i.state, i.attempts) for i in items] == [("delivered", 1), ("failed", 1), ("pending", 1), ("pending", 0)]
    assert items[1].last_error == "status 400" and items[0].receipt == {"ok": 1}

"""Search: full text over commands and paths, every filter, cursor pagination, both orders,
on SQLite FTS5 and PostgreSQL tsvector alike."""
from __future__ import annotations

import pytest

from tests.glaas.conftest import user_token
from tests.glaas.payloads import Pipeline


@pytest.fixture(scope="module")
def indexed(glaas_server):
    """Two pipelines sharing a word, differing in GPU, packages, exit status, git and labels."""
    name, token = user_token(glaas_server)
    a, b = Pipeline(steps=2), Pipeline(steps=2)
    b.word = a.word  # both findable by the same word
    body_b = b.native(labels=[{"entity_kind": "job", "entity_key": b.uids[1], "metadata": {"stage": "final"}}])
    for job in body_b["jobs"]:
        job["runtime"] = {"gpus": [{"name": "NVIDIA H100 80GB HBM3"}]}
        job["packages"] = {"torch": "2.4.1", "jax": "0.4.30"}
        job["git"] = {"repo": "https://example.org/other/repo.git", "commit": "c" * 40}
        job["timestamp"] = 1_800_000_000 + job["step_number"]
    body_b["jobs"][1]["exit_code"] = 3
    body_b["jobs"][1]["outputs"][0]["path"] = f"/work/project/out/{b.word}_final.parquet"
    assert glaas_server.request("POST", "/api/v1/lineage", a.native()).status == 200
    assert glaas_server.request("POST", "/api/v1/lineage", body_b, token=token).status == 200
    return {"a": a, "b": b, "user": name, "word": a.word}


def search(server, query: str) -> list[dict]:
    r = server.request("GET", f"/api/v1/search?{query}")
    assert r.status == 200, r.body
    return r.data["hits"]


def uids(hits) -> set[str]:
    return {h["job"]["uid"] for h in hits if h["kind"] == "job"}


def hashes(hits) -> set[str]:
    return {h["artifact"]["hash"] for h in hits if h["kind"] == "artifact"}


def test_full_text_over_commands_and_paths(glaas_server, indexed):
    a, b, word = indexed["a"], indexed["b"], indexed["word"]
    hits = search(glaas_server, f"q={word}&limit=50")
    assert uids(hits) == set(a.uids + b.uids)
    assert set(a.hashes[1:]) <= hashes(hits)  # artifacts found by their paths
    assert uids(search(glaas_server, f"q={word}+step1")) == {a.uids[1], b.uids[1]}
    assert uids(search(glaas_server, f"q={word[:6]}")) >= set(a.uids)  # words match as prefixes
    assert hashes(search(glaas_server, f"q={word}_final.parquet")) == {b.final}
    assert search(glaas_server, "q=nosuchwordanywhere") == []


def test_filters(glaas_server, indexed):
    a, b, word = indexed["a"], indexed["b"], indexed["word"]
    q = f"q={word}&limit=50"
    assert uids(search(glaas_server, f"{q}&gpu=h100")) == set(b.uids)
    assert hashes(search(glaas_server, f"{q}&gpu=h100&kind=artifact")) == set(b.hashes[1:])  # made on an H100
    assert uids(search(glaas_server, f"{q}&package=jax")) == set(b.uids)
    assert uids(search(glaas_server, f"{q}&package=torch==2.3.0")) == set(a.uids)
    assert uids(search(glaas_server, f"{q}&exit_code=3")) == {b.uids[1]}
    assert uids(search(glaas_server, f"{q}&exit_code=0")) == set(a.uids) | {b.uids[0]}
    assert uids(search(glaas_server, f"{q}&git_repo=other/repo")) == set(b.uids)
    assert uids(search(glaas_server, f"{q}&git_commit=cccc")) == set(b.uids)
    assert uids(search(glaas_server, f"{q}&label=stage=final")) == {b.uids[1]}
    assert uids(search(glaas_server, f"{q}&label=stage")) == {b.uids[1]}
    glaas_server.request("PUT", "/api/v1/labels", {"entity_kind": "job", "entity_key": a.uids[0], "metadata": {"tier": "old"}})
    glaas_server.request("PUT", "/api/v1/labels", {"entity_kind": "job", "entity_key": a.uids[0], "metadata": {"tier": "new"}})
    assert uids(search(glaas_server, f"{q}&label=tier=new")) == {a.uids[0]}
    assert uids(search(glaas_server, f"{q}&label=tier=old")) == set()  # history does not match, only the current document
    assert uids(search(glaas_server, f"{q}&user={indexed['user']}")) == set(b.uids)
    assert hashes(search(glaas_server, f"{q}&file_type=parquet")) == {b.final}
    assert uids(search(glaas_server, f"{q}&file_type=.parquet")) == {b.uids[1]}  # the job that wrote it
    assert uids(search(glaas_server, f"{q}&since=1790000000")) == set(b.uids)
    assert uids(search(glaas_server, f"{q}&until=1790000000&kind=job")) == set(a.uids)
    combined = search(glaas_server, f"{q}&gpu=h100&package=torch==2.4.1&exit_code=0&kind=job")
    assert uids(combined) == {b.uids[0]}


def test_cursor_pagination_in_both_orders(glaas_server, indexed):
    word = indexed["word"]
    for sort in ("recent", "relevance"):
        seen, cursor, pages = [], None, 0
        while True:
            query = f"q={word}&limit=3&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
            data = glaas_server.request("GET", f"/api/v1/search?{query}").data
            seen += [(h["kind"], (h["job"] or h["artifact"]).get("uid") or h["artifact"]["hash"]) for h in data["hits"]]
            pages += 1
            cursor = data["next_cursor"]
            if not cursor:
                break
        assert pages >= 3 and len(seen) == len(set(seen))
        assert len(seen) == len(search(glaas_server, f"q={word}&limit=200"))
    recent = search(glaas_server, f"q={word}&kind=job&limit=50")
    assert [h["created_at"] for h in recent] == sorted((h["created_at"] for h in recent), reverse=True)
    assert all(h["score"] is not None for h in search(glaas_server, f"q={word}&sort=relevance"))


def test_bad_search_input(glaas_server):
    r = glaas_server.request("GET", "/api/v1/search?cursor=%%%")
    assert r.status == 422 and r.body["success"] is False
    assert glaas_server.request("GET", "/api/v1/search?limit=0").status == 422
    assert glaas_server.request("GET", "/api/v1/search?sort=random").status == 422
    assert glaas_server.request("GET", "/api/v1/search?q=%22%2A%28OR").status == 200  # FTS syntax is not ours to parse

"""POST /api/v1/lineage: idempotent by content, new vs known, idempotency keys, one model with
the roar-cli endpoints; and the reads over what it registered."""
from __future__ import annotations

from tests.glaas.conftest import fresh_hash, fresh_uid
from tests.glaas.payloads import Pipeline, compat_artifact


def test_new_then_known(glaas_server):
    p = Pipeline(steps=3)
    first = glaas_server.request("POST", "/api/v1/lineage", p.native())
    assert first.status == 200, first.body
    assert first.data["new"] == {"sessions": 1, "jobs": 3, "artifacts": 4, "edges": 6, "labels": 0}
    assert first.data["known"] == {"sessions": 0, "jobs": 0, "artifacts": 0, "edges": 0, "labels": 0}
    assert first.data["scope"] == "anonymous"
    assert first.data["artifact_urls"][p.final].endswith(f"/artifact/{p.final}")
    assert first.data["session_urls"][p.session].endswith(f"/dag/{p.session}")
    again = glaas_server.request("POST", "/api/v1/lineage", p.native())
    assert again.data["new"] == {"sessions": 0, "jobs": 0, "artifacts": 0, "edges": 0, "labels": 0}
    assert again.data["known"] == {"sessions": 1, "jobs": 3, "artifacts": 4, "edges": 6, "labels": 0}
    assert len(glaas_server.request("GET", f"/api/v1/sessions/{p.session}").data["jobs"]) == 3


def test_idempotency_key_replays_the_first_answer(glaas_server):
    p = Pipeline()
    body = p.native(idempotency_key="key-" + fresh_uid())
    first = glaas_server.request("POST", "/api/v1/lineage", body)
    retry = glaas_server.request("POST", "/api/v1/lineage", body)
    assert retry.data["replayed"] is True and first.data["replayed"] is False
    assert retry.data["new"] == first.data["new"]
    header = glaas_server.request("POST", "/api/v1/lineage", Pipeline().native(), headers={"Idempotency-Key": "h" + fresh_uid()})
    assert header.status == 200 and header.data["new"]["jobs"] == 2


def test_an_artifact_from_either_client_is_one_record(glaas_server):
    p = Pipeline()
    glaas_server.request("POST", "/api/v1/artifacts/batch", {"artifacts": [compat_artifact(p.final, 99, fresh_hash())]})
    receipt = glaas_server.request("POST", "/api/v1/lineage", p.native()).data
    assert receipt["known"]["artifacts"] == 1  # the final one, registered before by the roar-cli endpoint
    art = glaas_server.request("GET", f"/api/v1/artifacts/{p.final}").data
    assert art["producer"]["uid"] == p.uids[-1] and art["size"] == 99


def test_reads_producer_consumers_lineage_and_dag(glaas_server):
    p = Pipeline(steps=4)
    glaas_server.request("POST", "/api/v1/lineage", p.native())
    mid = p.hashes[2]
    art = glaas_server.request("GET", f"/api/v1/artifacts/{mid}").data
    assert art["file_type"] == "pytorch" and art["extension"] == ".pt" and art["consumer_count"] == 1
    assert art["paths"] == [p.path(2)]
    assert [j["uid"] for j in glaas_server.request("GET", f"/api/v1/artifacts/{mid}/producer").data["jobs"]] == [p.uids[1]]
    assert [j["uid"] for j in glaas_server.request("GET", f"/api/v1/artifacts/{mid}/consumers").data["jobs"]] == [p.uids[2]]
    shallow = glaas_server.request("GET", f"/api/v1/artifacts/{p.final}/lineage?depth=2").data
    assert {j["uid"] for j in shallow["jobs"]} == set(p.uids[2:]) and shallow["truncated"] is True
    deep = glaas_server.request("GET", f"/api/v1/artifacts/{p.final}/lineage?depth=10").data
    assert len(deep["jobs"]) == 4 and deep["truncated"] is False
    walked = glaas_server.request("GET", f"/api/v1/artifacts/{p.final}/lineage?depth=60").data  # deeper: the same
    assert walked["jobs"] == deep["jobs"] and walked["edges"] == deep["edges"] and walked["sources"] == deep["sources"]
    dag = glaas_server.request("GET", f"/api/v1/artifacts/{p.final}/dag").data
    assert [j["uid"] for j in dag["jobs"]] == p.uids  # producers first
    assert dag["sources"] == [p.hashes[0]]
    assert {a["hash"] for a in dag["artifacts"]} == set(p.hashes)
    assert len(dag["edges"]) == 8
    job = glaas_server.request("GET", f"/api/v1/jobs/{p.uids[0]}").data
    assert job["gpu_model"] == "NVIDIA A100-SXM4-80GB" and job["packages"]["torch"] == "2.3.0"
    assert job["git"]["commit"] == "a" * 40 and job["argv"][0] == "python"
    assert glaas_server.request("GET", f"/api/v1/jobs/{p.uids[0][:12]}").data["uid"] == p.uids[0]


def test_prefix_unique_ambiguous_and_bad(glaas_server):
    stem = fresh_hash()[:40]
    a, b = stem + "0" * 24, stem + "1" * 24
    for h in (a, b):
        glaas_server.request("POST", "/api/v1/artifacts/batch", {"artifacts": [compat_artifact(h, 1, fresh_hash())]})
    assert glaas_server.request("GET", f"/api/v1/artifacts/{a[:41]}").data["hash"] == a
    amb = glaas_server.request("GET", f"/api/v1/artifacts/{stem}")
    assert amb.status == 409 and amb.error["code"] == "ambiguous_prefix" and sorted(amb.error["candidates"]) == [a, b]
    bad = glaas_server.request("GET", "/api/v1/artifacts/not-a-hash")
    assert bad.status == 422 and "hexadecimal" in bad.error["message"]
    missing = glaas_server.request("GET", f"/api/v1/artifacts/{fresh_hash()}")
    assert missing.status == 404 and missing.error["code"] == "not_found"


def test_composites_and_labels(glaas_server):
    p = Pipeline()
    comp, c1, c2 = fresh_hash(), fresh_hash(), fresh_hash()
    body = p.native(artifacts=[{"hash": comp, "size": 3, "components": [{"path": "a.txt", "hash": c1, "size": 1},
                                                                       {"path": "b/c.txt", "hash": c2, "size": 2}]}],
                    labels=[{"entity_kind": "artifact", "entity_key": comp, "metadata": {"stage": "baseline"}}])
    r = glaas_server.request("POST", "/api/v1/lineage", body)
    assert r.status == 200 and r.data["new"]["labels"] == 1
    art = glaas_server.request("GET", f"/api/v1/artifacts/{comp}").data
    assert art["is_composite"] and [c["path"] for c in art["components"]] == ["a.txt", "b/c.txt"]
    assert art["labels"][0]["metadata"] == {"stage": "baseline"}
    put = glaas_server.request("PUT", "/api/v1/labels", {"entity_kind": "artifact", "entity_key": comp,
                                                         "metadata": {"stage": "final"}})
    assert put.data["changed"] is True and put.data["label"]["version"] == 2
    same = glaas_server.request("PUT", "/api/v1/labels", {"entity_kind": "artifact", "entity_key": comp,
                                                          "metadata": {"stage": "final"}})
    assert same.data["changed"] is False
    hist = glaas_server.request("GET", f"/api/v1/labels/history?entity_kind=artifact&entity_key={comp}").data
    assert [v["metadata"]["stage"] for v in hist["versions"]] == ["baseline", "final"]


def test_bad_batches_are_refused_whole(glaas_server):
    p = Pipeline()
    body = p.native()
    body["jobs"][0]["inputs"][0]["hash"] = "zz"
    r = glaas_server.request("POST", "/api/v1/lineage", body)
    assert r.status == 422 and r.body["success"] is False and "64 hexadecimal" in r.error["message"]
    orphan = Pipeline().native()
    orphan["sessions"] = []
    r = glaas_server.request("POST", "/api/v1/lineage", orphan)
    assert r.status == 422 and "send the session too" in r.error["message"]
    assert glaas_server.request("GET", f"/api/v1/jobs/{p.uids[0]}").status == 404  # nothing of it was stored


def test_sessions_list_pages_by_cursor(glaas_server):
    for _ in range(3):
        glaas_server.request("POST", "/api/v1/lineage", Pipeline(steps=1).native())
    first = glaas_server.request("GET", "/api/v1/sessions?limit=2").data
    assert len(first["sessions"]) == 2 and first["next_cursor"]
    second = glaas_server.request("GET", f"/api/v1/sessions?limit=2&cursor={first['next_cursor']}").data
    assert not {s["hash"] for s in first["sessions"]} & {s["hash"] for s in second["sessions"]}
    assert glaas_server.request("GET", "/api/v1/sessions?cursor=garbage").status == 422


def test_odd_characters_survive(glaas_server):
    p = Pipeline(steps=1)
    body = p.native()
    odd = "/work/dätä/a\x1fb\x1ec\nd 'quoted' \"x\".csv"
    body["jobs"][0]["inputs"][0]["path"] = odd
    body["jobs"][0]["command"] = "python -c 'print(\"\x1f\")' --name=\u00e9t\u00e9"
    body["jobs"][0]["metadata"] = {"note": "\x1e", "nested": {"list": [1, 2.5, None, True]}}
    assert glaas_server.request("POST", "/api/v1/lineage", body).status == 200
    job = glaas_server.request("GET", f"/api/v1/jobs/{p.uids[0]}").data
    assert job["inputs"][0]["path"] == odd and job["command"] == body["jobs"][0]["command"]
    assert job["metadata"] == body["jobs"][0]["metadata"]
    nul = Pipeline(steps=1).native()
    nul["jobs"][0]["command"] = "bad\x00command"
    r = glaas_server.request("POST", "/api/v1/lineage", nul)
    assert r.status == 422 and "NUL" in r.error["message"]

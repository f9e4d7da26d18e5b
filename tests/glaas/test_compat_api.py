"""roar-cli 0.4.7's registration sequence (16.md, compatibility), call by call, on both backends."""
from __future__ import annotations

from tests.glaas.conftest import fresh_hash, fresh_uid
from tests.glaas.payloads import compat_artifact, compat_job

ROAR = {"X-Roar-Version": "0.4.7"}


def register_two_jobs(server, session: str, uids: list[str], a: list[str]) -> list:
    """The observed sequence for a 2-job lineage; returns every response."""
    r = [server.request("GET", "/api/v1/health", headers=ROAR)]
    r.append(server.request("POST", "/api/v1/sessions", {"hash": session, "git_repo": "https://example.org/x.git",
                                                          "git_commit": "b" * 40, "git_branch": "main"}, headers=ROAR))
    r.append(server.request("POST", f"/api/v1/sessions/{session}/jobs/batch",
                            {"jobs": [compat_job(uids[0], 1, "python prep.py"), compat_job(uids[1], 2, "python train.py")]},
                            headers=ROAR))
    r.append(server.request("POST", "/api/v1/artifacts/batch",
                            {"artifacts": [compat_artifact(h, 100 + i, session) for i, h in enumerate(a)]}, headers=ROAR))
    for h in a:
        r.append(server.request("GET", f"/api/v1/artifacts/{h}", headers=ROAR))
    r.append(server.request("POST", f"/api/v1/sessions/{session}/jobs/{uids[0]}/inputs",
                            {"artifacts": [{"hash": a[0], "path": "/w/raw.csv"}]}, headers=ROAR))
    r.append(server.request("POST", f"/api/v1/sessions/{session}/jobs/{uids[0]}/outputs",
                            {"artifacts": [{"hash": a[1], "path": "/w/clean.csv"}]}, headers=ROAR))
    r.append(server.request("POST", f"/api/v1/sessions/{session}/jobs/{uids[1]}/inputs",
                            {"artifacts": [{"hash": a[1], "path": "/w/clean.csv"}]}, headers=ROAR))
    r.append(server.request("POST", f"/api/v1/sessions/{session}/jobs/{uids[1]}/outputs",
                            {"artifacts": [{"hash": a[2], "path": "/w/model.pt"}]}, headers=ROAR))
    r.append(server.request("POST", "/api/v1/labels/sync", {"labels": [
        {"entity_type": "session", "session_hash": session, "job_uid": None, "metadata": {"owner": "alice"},
         "key_origins": {}}]}, headers=ROAR))
    r.append(server.request("POST", "/api/v1/telemetry/roar", {"event": "register", "n": 1}, headers=ROAR))
    return r


def test_roar_cli_sequence_registers_and_reads_back(glaas_server):
    session, uids, a = fresh_hash(), [fresh_uid(), fresh_uid()], [fresh_hash() for _ in range(3)]
    r = register_two_jobs(glaas_server, session, uids, a)
    for resp in r[:-1]:
        assert 200 <= resp.status < 300, resp.body
        assert resp.body["success"] is True and "data" in resp.body
    assert r[1].status == 201 and r[1].data["hash"] == session and r[1].data["created"] is True
    assert r[2].data["created_count"] == 2 and r[2].data["existing_count"] == 0 and len(r[2].data["job_ids"]) == 2
    assert r[3].data == {"created": 3, "updated": 0, "existing": 0, "errors": []}
    assert [resp.data["hash"] for resp in r[4:7]] == a  # the client fails unless data.hash is the full digest
    assert r[-1].status == 204 and r[-1].body is None

    session_view = glaas_server.request("GET", f"/api/v1/sessions/{session}").data
    assert [j["uid"] for j in session_view["jobs"]] == uids
    assert session_view["labels"][0]["metadata"] == {"owner": "alice"}
    job = glaas_server.request("GET", f"/api/v1/jobs/{uids[1]}").data
    assert job["command"] == "python train.py" and job["cwd"] == "/w"
    assert job["packages"] == {"torch": "2.3.0"} and job["git"]["repo"] == "https://example.org/x.git"
    assert [(x["hash"], x["path"]) for x in job["inputs"]] == [(a[1], "/w/clean.csv")]
    dag = glaas_server.request("GET", f"/api/v1/artifacts/{a[2]}/dag").data
    assert [j["uid"] for j in dag["jobs"]] == uids and dag["sources"] == [a[0]]


def test_roar_cli_sequence_twice_is_one_record(glaas_server):
    session, uids, a = fresh_hash(), [fresh_uid(), fresh_uid()], [fresh_hash() for _ in range(3)]
    register_two_jobs(glaas_server, session, uids, a)
    again = register_two_jobs(glaas_server, session, uids, a)
    assert again[1].data["created"] is False
    assert again[2].data["created_count"] == 0 and again[2].data["existing_count"] == 2
    assert again[3].data["created"] == 0 and again[3].data["existing"] == 3
    job = glaas_server.request("GET", f"/api/v1/jobs/{uids[0]}").data
    assert len(job["inputs"]) == 1 and len(job["outputs"]) == 1
    assert len(glaas_server.request("GET", f"/api/v1/sessions/{session}").data["jobs"]) == 2
    history = glaas_server.request("GET", f"/api/v1/labels/history?entity_kind=session&entity_key={session}").data
    assert len(history["versions"]) == 1


def test_jobs_for_unknown_session_is_404_with_a_sentence(glaas_server):
    r = glaas_server.request("POST", f"/api/v1/sessions/{fresh_hash()}/jobs/batch", {"jobs": [compat_job(fresh_uid(), 1, "x")]})
    assert r.status == 404 and r.body["success"] is False
    assert "register the session first" in r.error["message"]


def test_bad_digest_is_reported_per_artifact(glaas_server):
    good = fresh_hash()
    r = glaas_server.request("POST", "/api/v1/artifacts/batch", {"artifacts": [
        compat_artifact("xyz", 1, fresh_hash()), compat_artifact(good, 2, fresh_hash())]})
    assert r.status == 200 and r.data["created"] == 1 and len(r.data["errors"]) == 1
    assert "64 hexadecimal" in r.data["errors"][0]


def test_metadata_must_be_json(glaas_server):
    session = fresh_hash()
    glaas_server.request("POST", "/api/v1/sessions", {"hash": session})
    job = compat_job(fresh_uid(), 1, "x")
    job["metadata"] = "{not json"
    r = glaas_server.request("POST", f"/api/v1/sessions/{session}/jobs/batch", {"jobs": [job]})
    assert r.status == 200 and r.data["created_count"] == 0 and "JSON" in r.data["errors"][0]


def test_composite_artifacts(glaas_server):
    comp, leaves = fresh_hash(), [fresh_hash(), fresh_hash()]
    body = {"hash": comp, "hashes": [{"algorithm": "blake3", "digest": comp}], "size": 30, "source_type": "output",
            "session_hash": fresh_hash(), "component_count_total": 2, "membership_index": {"bloom": "00ff"},
            "components": [{"relative_path": f"shard-{i}.parquet", "leaf_kind": "blob", "component_algorithm": "blake3",
                            "component_digest": h, "component_size": 15, "component_type": None}
                           for i, h in enumerate(leaves)]}
    r = glaas_server.request("POST", "/api/v1/artifacts/composites", body)
    assert r.status == 200 and r.data["created"] is True and r.data["components_stored"] == 2
    again = glaas_server.request("POST", "/api/v1/artifacts/composites", body)
    assert again.data["created"] is False and again.data["artifact_id"] == r.data["artifact_id"]
    got = glaas_server.request("GET", f"/api/v1/artifacts/{comp}/components").data
    assert [(c["path"], c["hash"], c["size"]) for c in got] == [("shard-0.parquet", leaves[0], 15),
                                                                  ("shard-1.parquet", leaves[1], 15)]
    art = glaas_server.request("GET", f"/api/v1/artifacts/{comp}").data
    assert art["is_composite"] and art["metadata"]["component_count_total"] == 2
    assert glaas_server.request("GET", f"/api/v1/artifacts/{leaves[1]}").data["extension"] == ".parquet"
    body["components"][0]["component_digest"] = "nothex"
    bad = glaas_server.request("POST", "/api/v1/artifacts/composites", body)
    assert bad.status == 422 and "64 hexadecimal" in bad.error["message"]


def test_bad_digest_in_job_links_is_422(glaas_server):
    session, uid = fresh_hash(), fresh_uid()
    glaas_server.request("POST", "/api/v1/sessions", {"hash": session})
    glaas_server.request("POST", f"/api/v1/sessions/{session}/jobs/batch", {"jobs": [compat_job(uid, 1, "x")]})
    r = glaas_server.request("POST", f"/api/v1/sessions/{session}/jobs/{uid}/outputs",
                             {"artifacts": [{"hash": "zz", "path": "/x"}]})
    assert r.status == 422 and r.body["success"] is False

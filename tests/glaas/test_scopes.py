"""Scopes: a private registration is a 404 to everyone but its owner and those it is shared
with, on every read route (search included) and every write route that names a record."""
from __future__ import annotations

import pytest

from tests.glaas.conftest import fresh_hash, fresh_uid, user_token
from tests.glaas.payloads import Pipeline, compat_job


@pytest.fixture(scope="module")
def private(glaas_server):
    """User A registers a pipeline privately; B is another user; C is one A shares with."""
    a_name, a = user_token(glaas_server)
    _, b = user_token(glaas_server)
    c_name, c = user_token(glaas_server)
    p = Pipeline(steps=2)
    r = glaas_server.request("POST", "/api/v1/lineage", p.native(
        scope="private", labels=[{"entity_kind": "artifact", "entity_key": p.hashes[2], "metadata": {"secret": "yes"}}]),
        token=a)
    assert r.status == 200 and r.data["scope"] == "private", r.body
    shared = Pipeline(steps=1)
    assert glaas_server.request("POST", "/api/v1/lineage", shared.native(scope="private", share_with=[c_name]),
                                token=a).status == 200
    return {"p": p, "shared": shared, "a": a, "b": b, "c": c, "a_name": a_name}


def read_paths(p: Pipeline) -> list[str]:
    final, uid = p.final, p.uids[-1]
    return [f"/api/v1/artifacts/{final}", f"/api/v1/artifacts/{final[:20]}", f"/api/v1/artifacts/{final}/producer",
            f"/api/v1/artifacts/{final}/consumers", f"/api/v1/artifacts/{final}/lineage", f"/api/v1/artifacts/{final}/dag",
            f"/api/v1/artifacts/{final}/components", f"/api/v1/sessions/{p.session}", f"/api/v1/sessions/{p.session[:20]}",
            f"/api/v1/jobs/{uid}", f"/api/v1/labels/current?entity_kind=artifact&entity_key={final}",
            f"/api/v1/labels/history?entity_kind=job&entity_key={uid}"]


def test_owner_reads_everything(glaas_server, private):
    for path in read_paths(private["p"]):
        r = glaas_server.request("GET", path, token=private["a"])
        assert r.status == 200, (path, r.body)


@pytest.mark.parametrize("who", ["b", "anonymous"])
def test_others_get_404_on_every_read(glaas_server, private, who):
    token = private.get(who)
    for path in read_paths(private["p"]):
        r = glaas_server.request("GET", path, token=token)
        assert r.status == 404, (path, r.status, r.body)
        assert r.error["code"] == "not_found" and "private" not in r.error["message"].lower()


@pytest.mark.parametrize("who", ["b", "anonymous"])
def test_search_hides_private_records(glaas_server, private, who):
    p = private["p"]
    mine = glaas_server.request("GET", f"/api/v1/search?q={p.word}", token=private["a"]).data["hits"]
    assert len(mine) >= 2
    theirs = glaas_server.request("GET", f"/api/v1/search?q={p.word}", token=private.get(who)).data["hits"]
    assert theirs == []
    by_user = glaas_server.request("GET", f"/api/v1/search?user={private['a_name']}", token=private.get(who)).data
    assert by_user["hits"] == []
    by_label = glaas_server.request("GET", "/api/v1/search?label=secret=yes&kind=artifact", token=private.get(who)).data
    assert p.hashes[2] not in [h["artifact"]["hash"] for h in by_label["hits"]]


def test_sessions_list_hides_private(glaas_server, private):
    listed = glaas_server.request("GET", "/api/v1/sessions?limit=500", token=private["b"]).data["sessions"]
    assert private["p"].session not in [s["hash"] for s in listed]
    mine = glaas_server.request("GET", "/api/v1/sessions?mine=true&limit=500", token=private["a"]).data["sessions"]
    assert private["p"].session in [s["hash"] for s in mine]


def test_shared_user_reads_what_was_shared_only(glaas_server, private):
    shared, p = private["shared"], private["p"]
    assert glaas_server.request("GET", f"/api/v1/artifacts/{shared.final}", token=private["c"]).status == 200
    assert glaas_server.request("GET", f"/api/v1/jobs/{shared.uids[0]}", token=private["c"]).status == 200
    assert glaas_server.request("GET", f"/api/v1/artifacts/{p.final}", token=private["c"]).status == 404
    assert glaas_server.request("GET", f"/api/v1/artifacts/{shared.final}", token=private["b"]).status == 404


@pytest.mark.parametrize("who", ["b", "anonymous"])
def test_writes_naming_private_records_are_refused_without_leaking(glaas_server, private, who):
    p, token = private["p"], private.get(who)
    uid = p.uids[0]
    # compat: add jobs to / link edges on the private session and job
    r = glaas_server.request("POST", f"/api/v1/sessions/{p.session}/jobs/batch", {"jobs": [compat_job(fresh_uid(), 1, "x")]},
                             token=token)
    assert r.status == 404
    r = glaas_server.request("POST", f"/api/v1/sessions/{p.session}/jobs/{uid}/inputs",
                             {"artifacts": [{"hash": fresh_hash(), "path": "/x"}]}, token=token)
    assert r.status == 404
    # labels on the private artifact
    r = glaas_server.request("PUT", "/api/v1/labels", {"entity_kind": "artifact", "entity_key": p.final,
                                                       "metadata": {"x": 1}}, token=token)
    assert r.status == 404
    r = glaas_server.request("POST", "/api/v1/labels/sync", {"labels": [
        {"entity_type": "job", "job_uid": uid, "metadata": {"x": 1}}]}, token=token)
    assert r.status == 404
    # a native batch naming the private job's uid gains nothing
    other = Pipeline(steps=1)
    body = other.native()
    body["jobs"][0]["uid"] = uid
    r = glaas_server.request("POST", "/api/v1/lineage", body, token=token)
    assert r.status == 409 and "already registered" in r.error["message"]
    assert glaas_server.request("GET", f"/api/v1/jobs/{uid}", token=token).status == 404
    # and the owner's job is unchanged
    job = glaas_server.request("GET", f"/api/v1/jobs/{uid}", token=private["a"]).data
    assert len(job["inputs"]) == 1 and job["command"].startswith("python step0.py")


def test_prefix_ambiguity_counts_only_visible_artifacts(glaas_server, private):
    _, a = user_token(glaas_server)
    stem = fresh_hash()[:40]
    hidden, public = stem + "a" * 24, stem + "b" * 24
    glaas_server.request("POST", "/api/v1/lineage", {"scope": "private", "artifacts": [{"hash": hidden}]}, token=a)
    glaas_server.request("POST", "/api/v1/lineage", {"artifacts": [{"hash": public}]})
    assert glaas_server.request("GET", f"/api/v1/artifacts/{stem}").data["hash"] == public
    assert glaas_server.request("GET", f"/api/v1/artifacts/{stem}", token=a).status == 409


def test_publishing_later_widens_the_scope(glaas_server):
    _, a = user_token(glaas_server)
    p = Pipeline(steps=1)
    glaas_server.request("POST", "/api/v1/lineage", p.native(scope="private"), token=a)
    assert glaas_server.request("GET", f"/api/v1/artifacts/{p.final}").status == 404
    r = glaas_server.request("POST", "/api/v1/lineage", p.native(scope="public"), token=a)
    assert r.data["known"]["jobs"] == 1
    assert glaas_server.request("GET", f"/api/v1/artifacts/{p.final}").status == 200


def test_anonymous_cannot_register_privately(glaas_server):
    r = glaas_server.request("POST", "/api/v1/lineage", Pipeline().native(scope="private"))
    assert r.status == 422 and "needs a token" in r.error["message"]

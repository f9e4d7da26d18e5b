"""The upstream walk (one recursive query): it goes up only through jobs the reader may see,
and it ends on a cycle, at the depth and for the whole reproduction DAG."""
from __future__ import annotations

import json

from tests.glaas.conftest import fresh_hash, user_token
from tests.glaas.payloads import Pipeline


def register(server, pipeline: Pipeline, token: str | None = None, **extra) -> None:
    r = server.request("POST", "/api/v1/lineage", pipeline.native(**extra), token=token)
    assert r.status == 200, r.body


def test_walk_stops_at_a_job_the_reader_may_not_see(glaas_server):
    """public pipeline -> A's private job -> a public job: others see the last job alone."""
    _, a = user_token(glaas_server)
    _, b = user_token(glaas_server)
    first = Pipeline(steps=2)
    hidden = Pipeline(steps=1)
    hidden.hashes[0] = first.final
    last = Pipeline(steps=1)
    last.hashes[0] = hidden.final
    register(glaas_server, first)
    register(glaas_server, hidden, token=a, scope="private")
    register(glaas_server, last)
    for route in ("lineage?depth=10", "dag"):
        owner = glaas_server.request("GET", f"/api/v1/artifacts/{last.final}/{route}", token=a).data
        assert [j["uid"] for j in owner["jobs"]] == first.uids + hidden.uids + last.uids, route
        assert owner["sources"] == [first.hashes[0]] and owner["truncated"] is False
        for token in (b, None):
            r = glaas_server.request("GET", f"/api/v1/artifacts/{last.final}/{route}", token=token)
            assert [j["uid"] for j in r.data["jobs"]] == last.uids, route
            assert r.data["sources"] == [hidden.final] and r.data["truncated"] is False
            text = json.dumps(r.data)
            assert all(uid not in text for uid in hidden.uids + first.uids)
            assert first.hashes[0] not in text


def test_walk_ends_on_a_cycle(glaas_server):
    """job 0 reads x and writes y; job 1 reads y and writes x again."""
    x, y = fresh_hash(), fresh_hash()
    loop = Pipeline(steps=2)
    loop.hashes = [x, y, x]
    register(glaas_server, loop)
    deep = glaas_server.request("GET", f"/api/v1/artifacts/{x}/lineage?depth=10").data
    assert [j["uid"] for j in deep["jobs"]] == loop.uids and deep["truncated"] is False
    assert deep["sources"] == [] and len(deep["edges"]) == 4
    dag = glaas_server.request("GET", f"/api/v1/artifacts/{x}/dag").data
    assert [j["uid"] for j in dag["jobs"]] == loop.uids and dag["edges"] == deep["edges"]
    shallow = glaas_server.request("GET", f"/api/v1/artifacts/{x}/lineage?depth=1").data
    assert [j["uid"] for j in shallow["jobs"]] == loop.uids[1:] and shallow["truncated"] is True
    assert glaas_server.request("GET", f"/api/v1/artifacts/{x}/lineage?depth=0").data["truncated"] is True

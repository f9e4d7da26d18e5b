"""roarctl export: PROV-JSON, OpenLineage and dot of an artifact's lineage and of a session."""
from __future__ import annotations

import json
from pathlib import Path

import blake3
import pytest
from prov.model import ProvActivity, ProvDerivation, ProvDocument, ProvEntity, ProvGeneration, ProvUsage

from tests.conftest import git
from tests.run.helpers import run_json

SECRET_URL = "https://bob:s3cret@example.invalid/data"


def hashes(files: list[dict]) -> set[str]:
    return {f["hash"] for f in files if f["hash"]}


@pytest.fixture
def pipeline(roard, workspace: Path) -> dict[str, dict]:
    """raw.txt -> @1 clean.txt -> @2 stats.txt -> @4 model.txt (reads clean.txt too);
    @3 side.txt is off the model's lineage. A token in the environment, credentials in a URL."""
    ws = workspace
    (ws / "raw.txt").write_text("hello world\n")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "data")
    git(ws, "remote", "add", "origin", "https://bob:s3cret@example.invalid/repo.git")
    roard.roarctl("env", "set", "API_TOKEN", "hunter2", cwd=ws, check=True)
    return {
        "clean": run_json(roard, ws, "sh", "-c", "tr a-z A-Z < raw.txt > clean.txt"),
        "stats": run_json(roard, ws, "sh", "-c", f"wc -c < clean.txt > stats.txt # {SECRET_URL}"),
        "side": run_json(roard, ws, "sh", "-c", "cat README.md > side.txt"),
        "model": run_json(roard, ws, "sh", "-c", "cat clean.txt stats.txt > model.txt"),
    }


def export(roard, ws: Path, *args: str) -> str:
    return roard.roarctl("export", *args, cwd=ws, check=True).stdout


def assert_no_secrets(text: str) -> None:
    assert "hunter2" not in text and "s3cret" not in text and "bob@" not in text


def records(doc: ProvDocument, cls: type) -> list:
    return [r for r in doc.get_records() if isinstance(r, cls)]


def pairs(doc: ProvDocument, cls: type, *attrs: str) -> set[tuple[str, ...]]:
    out = set()
    for rec in records(doc, cls):
        formal = {str(k): str(v) for k, v in rec.formal_attributes if v is not None}
        out.add(tuple(formal[a] for a in attrs))
    return out


def test_prov_json_of_final_artifact(roard, workspace: Path, pipeline: dict[str, dict]) -> None:
    target = workspace / "out" / "model.prov.json"
    target.parent.mkdir()
    proc = roard.roarctl("export", "model.txt", "--format", "prov-json", "-o", str(target), cwd=workspace,
                         check=True)
    assert proc.stdout == "" and "3 jobs" in proc.stderr
    assert [p.name for p in target.parent.iterdir()] == ["model.prov.json"]  # no temp file left
    text = target.read_text()
    assert_no_secrets(text)
    doc = ProvDocument.deserialize(content=text, format="json")
    lineage = [pipeline["clean"], pipeline["stats"], pipeline["model"]]
    expected_entities = {f"blake3:{h}" for j in lineage for h in hashes(j["inputs"]) | hashes(j["outputs"])}
    assert {str(e.identifier) for e in records(doc, ProvEntity)} == expected_entities
    assert {str(a.identifier) for a in records(doc, ProvActivity)} == {f"roar:job-{j['uid']}" for j in lineage}
    act = {j["uid"]: f"roar:job-{j['uid']}" for j in lineage}
    assert pairs(doc, ProvUsage, "prov:activity", "prov:entity") == {
        (act[j["uid"]], f"blake3:{h}") for j in lineage for h in hashes(j["inputs"])}
    assert pairs(doc, ProvGeneration, "prov:entity", "prov:activity") == {
        (f"blake3:{h}", act[j["uid"]]) for j in lineage for h in hashes(j["outputs"])}
    assert pairs(doc, ProvDerivation, "prov:generatedEntity", "prov:usedEntity", "prov:activity") == {
        (f"blake3:{o}", f"blake3:{i}", act[j["uid"]])
        for j in lineage for o in hashes(j["outputs"]) for i in hashes(j["inputs"]) if i != o}
    model_hash = pipeline["model"]["outputs"][0]["hash"]
    entity = doc.get_record(f"blake3:{model_hash}")[0]
    attrs = {str(k): v for k, v in entity.extra_attributes}
    assert attrs["roar:path"] == "model.txt" and attrs["roar:size"] == (workspace / "model.txt").stat().st_size
    activity = doc.get_record(act[pipeline["model"]["uid"]])[0]
    attrs = {str(k): v for k, v in activity.extra_attributes}
    assert json.loads(attrs["roar:argv"]) == pipeline["model"]["argv"]
    assert attrs["roar:gitCommit"] == pipeline["model"]["git"]["commit"] and attrs["roar:exitCode"] == 0
    assert attrs["roar:envName"] == "API_TOKEN"
    stats_activity = doc.get_record(act[pipeline["stats"]["uid"]])[0]
    argv = json.loads(dict((str(k), v) for k, v in stats_activity.extra_attributes)["roar:argv"])
    assert "https://[REDACTED:url-userinfo]@example.invalid/data" in argv[-1]


def test_openlineage_events(roard, workspace: Path, pipeline: dict[str, dict]) -> None:
    text = export(roard, workspace, "model.txt", "--format", "openlineage")
    assert_no_secrets(text)
    events = [json.loads(line) for line in text.splitlines()]
    lineage = [pipeline["clean"], pipeline["stats"], pipeline["model"]]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"] * 3
    assert len({e["run"]["runId"] for e in events}) == 3
    assert {e["job"]["namespace"] for e in events} == {"https://example.invalid/repo.git"}
    for job, (start, done) in zip(lineage, zip(events[::2], events[1::2])):
        assert start["run"]["runId"] == done["run"]["runId"]
        assert done["run"]["facets"]["roar_run"]["jobUid"] == job["uid"]
        assert done["job"]["facets"]["sourceCodeLocation"]["version"] == job["git"]["commit"]
        assert done["job"]["facets"]["roar_command"]["argv"][:2] == ["sh", "-c"]
        assert {d["name"]: d["facets"]["roar_contentHash"]["hash"] for d in done["outputs"]} == {
            f["path"]: f["hash"] for f in job["outputs"] if f["hash"]}
        assert {d["name"]: d["facets"]["roar_contentHash"]["hash"] for d in done["inputs"]} == {
            f["path"]: f["hash"] for f in job["inputs"] if f["hash"]}
        assert start["outputs"] == []
    model = events[-1]["outputs"][0]
    assert model["name"] == "model.txt"
    assert model["facets"]["roar_contentHash"]["size"] == (workspace / "model.txt").stat().st_size
    assert model["facets"]["roar_contentHash"]["algorithm"] == "blake3"
    assert events[-1]["run"]["facets"]["roar_run"]["envNames"] == ["API_TOKEN"]
    # Deterministic: exporting again gives the same documents.
    assert export(roard, workspace, "model.txt", "--format", "openlineage") == text


def test_dot_of_final_artifact(roard, workspace: Path, pipeline: dict[str, dict]) -> None:
    dot = export(roard, workspace, pipeline["model"]["outputs"][0]["hash"][:10], "--format", "dot")
    assert dot.startswith("digraph roar {")
    model = pipeline["model"]
    clean_hash = pipeline["clean"]["outputs"][0]["hash"]
    model_hash = model["outputs"][0]["hash"]
    for job in (pipeline["clean"], pipeline["stats"], model):
        assert f'"{job["uid"]}" [label="{job["ref"]}\\n' in dot
    assert pipeline["side"]["uid"] not in dot
    assert f'"{clean_hash}" -> "{model["uid"]}";' in dot
    assert f'"{model["uid"]}" -> "{model_hash}";' in dot
    assert f'"{model_hash}" [label="model.txt\\n{model_hash[:12]}", shape="note", style="filled"' in dot
    edges = [line for line in dot.splitlines() if " -> " in line]
    lineage = [pipeline["clean"], pipeline["stats"], model]
    assert len(edges) == sum(len(hashes(j["inputs"])) + len(hashes(j["outputs"])) for j in lineage)


def test_session_export(roard, workspace: Path, pipeline: dict[str, dict]) -> None:
    failed = run_json(roard, workspace, "sh", "-c", "cat clean.txt > broken.txt; exit 3", expect_rc=3)
    events = [json.loads(line) for line in export(roard, workspace, "current", "--format", "openlineage").splitlines()]
    uids = [e["run"]["facets"]["roar_run"]["jobUid"] for e in events[1::2]]
    assert uids == [pipeline[k]["uid"] for k in ("clean", "stats", "side", "model")] + [failed["uid"]]
    assert events[-1]["eventType"] == "FAIL" and events[-1]["run"]["facets"]["roar_run"]["exitCode"] == 3
    by_id = export(roard, workspace, failed["session_id"][:8], "--format", "prov-json")
    doc = ProvDocument.deserialize(content=by_id, format="json")
    assert len(records(doc, ProvActivity)) == 5
    status = json.loads(roard.roarctl("status", "--json", cwd=workspace, check=True).stdout)
    lineage_hash = status["session"]["lineage_hash"]
    dot = export(roard, workspace, lineage_hash[:12], "--format", "dot")
    assert all(pipeline[k]["uid"] in dot for k in ("clean", "stats", "side", "model"))


def colliding_contents(prefix_len: int = 6) -> tuple[str, str, str]:
    """Two file contents whose BLAKE3 hashes share their first ``prefix_len`` hex characters."""
    seen: dict[str, str] = {}
    i = 0
    while True:
        content = f"{i}\n"
        prefix = blake3.blake3(content.encode()).hexdigest()[:prefix_len]
        if prefix in seen:
            return seen[prefix], content, prefix
        seen[prefix] = content
        i += 1


def test_bad_inputs(roard, workspace: Path) -> None:
    one, two, prefix = colliding_contents()
    job = run_json(roard, workspace, "sh", "-c",
                   f"cat README.md > /dev/null; printf '{one}' > one.txt; printf '{two}' > two.txt")
    proc = roard.roarctl("export", prefix, cwd=workspace)
    assert proc.returncode == 2 and "ambiguous" in proc.stderr and proc.stderr.count("\n") == 1
    full = {blake3.blake3(c.encode()).hexdigest()[:16] for c in (one, two)}
    assert all(h in proc.stderr for h in full)
    proc = roard.roarctl("export", "nope.txt", cwd=workspace)
    assert proc.returncode == 4 and "nope.txt" in proc.stderr
    proc = roard.roarctl("export", "abcdef0123", cwd=workspace)
    assert proc.returncode == 4 and "abcdef0123" in proc.stderr
    proc = roard.roarctl("export", "README.md", cwd=workspace)
    assert proc.returncode == 4 and "no recorded job wrote 'README.md'" in proc.stderr
    readme = next(f["hash"] for f in job["inputs"] if f["path"] == "README.md")
    proc = roard.roarctl("export", readme[:12], cwd=workspace)  # only read, never written
    assert proc.returncode == 1 and readme[:12] in proc.stderr and "no lineage" in proc.stderr
    proc = roard.roarctl("export", "one.txt", "--format", "xml", cwd=workspace)
    assert proc.returncode == 2 and all(f in proc.stderr for f in ("prov-json", "openlineage", "dot"))
    proc = roard.roarctl("export", "one.txt", "-o", str(workspace / "missing" / "x.json"), cwd=workspace)
    assert proc.returncode == 1 and "cannot write" in proc.stderr
    assert not (workspace / "missing").exists()

"""What the pages show, computed from the query layer's models: the lineage picture's graph,
the reproducibility checklist, a job's environment facts. No database access here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glaas.schemas import JobDetail, JobSummary, LineageGraph
from glaas.web.dagsvg import ARTIFACT, JOB, Dag, DagNode
from glaas.web.templating import basename, duration, human_size, path_part

JOB_LABEL_CHARS = 32


def _job_label(job: JobSummary) -> str:
    command = job.command.strip() or job.uid[:12]
    if len(command) > JOB_LABEL_CHARS:
        command = command[:JOB_LABEL_CHARS - 1] + "…"
    return f"@{job.step_number} {command}" if job.step_number is not None else command


def _job_detail_line(job: JobSummary) -> str:
    status = "exit ?" if job.exit_code is None else f"exit {job.exit_code}"
    return f"{status} · {duration(job.duration_seconds)}" if job.duration_seconds is not None else status


def job_node(job: JobSummary, focus: bool = False) -> DagNode:
    return DagNode(key=f"j:{job.uid}", kind=JOB, label=_job_label(job), href=f"/job/{path_part(job.uid)}",
                   detail=_job_detail_line(job), tooltip=job.command or job.uid, focus=focus)


def lineage_dag(graph: LineageGraph, focus_artifact: str | None = None,
                consumers: list[JobSummary] = ()) -> Dag:
    """The picture of a lineage graph: every job and artifact a node, job inputs pointing into
    the job and outputs out of it; ``consumers`` hang off the focused artifact."""
    dag = Dag()
    paths: dict[str, str] = {}
    for edge in graph.edges:
        paths.setdefault(edge.artifact_hash, edge.path)
    sizes = {a.hash: a.size for a in graph.artifacts}
    for job in graph.jobs:
        dag.add_node(job_node(job))
    for artifact in graph.artifacts:
        name = basename(paths.get(artifact.hash)) or artifact.hash[:12]
        dag.add_node(DagNode(key=f"a:{artifact.hash}", kind=ARTIFACT, label=name, href=f"/artifact/{artifact.hash}",
                             detail=f"{artifact.hash[:8]} · {human_size(sizes.get(artifact.hash))}",
                             tooltip=f"{paths.get(artifact.hash) or ''} {artifact.hash}".strip(),
                             focus=artifact.hash == focus_artifact))
    for edge in graph.edges:
        job_key, artifact_key = f"j:{edge.job_uid}", f"a:{edge.artifact_hash}"
        dag.add_edge(*((artifact_key, job_key) if edge.direction == "in" else (job_key, artifact_key)))
    if focus_artifact:
        for job in consumers:
            if dag.add_node(job_node(job)):
                dag.add_edge(f"a:{focus_artifact}", f"j:{job.uid}")
    dag.truncated = dag.truncated or graph.truncated
    return dag


@dataclass(frozen=True)
class CheckItem:
    name: str
    ok: bool
    detail: str = ""


def checklist(graph: LineageGraph, artifact_source_types: dict[str, str | None] | None = None) -> list[CheckItem]:
    """The reproducibility checklist over an artifact's transitive lineage, as roar prints it.

    The server cannot ask git, so "reachable on a remote" means a remote repository was
    recorded; "sourced" means every source artifact (one no registered job produced) has a
    recorded origin (a download or a registered put) rather than being a loose local file.
    """
    jobs = graph.jobs
    items: list[CheckItem] = []
    if not jobs:
        return [CheckItem("a registered job produced it", False,
                          "only the file's hash is registered; register the job that made it"),
                CheckItem("lineage saved on this server", True)]
    no_git = [j.uid[:10] for j in jobs if not j.git.commit]
    dirty = [j.uid[:10] for j in jobs if j.git.dirty]
    items.append(CheckItem("code committed to git", not no_git and not dirty,
                           f"{', '.join(no_git)} ran outside a git repository" if no_git else
                           f"{', '.join(dirty)} ran with uncommitted changes" if dirty else ""))
    commits = sorted({j.git.commit for j in jobs if j.git.commit})
    items.append(CheckItem("single git commit across all steps", len(commits) <= 1,
                           f"the steps ran at {len(commits)} commits: {', '.join(c[:10] for c in commits)}"
                           if len(commits) > 1 else ""))
    remotes = {j.git.repo for j in jobs if j.git.repo}
    items.append(CheckItem("commit reachable on a remote", bool(commits) and bool(remotes),
                           "" if commits and remotes else "no remote repository was recorded"))
    origins = artifact_source_types or {}
    loose = [h[:10] for h in graph.sources if not origins.get(h)]
    items.append(CheckItem("all inputs sourced", not loose,
                           f"{len(loose)} input(s) with no producing job or recorded origin: {', '.join(loose[:5])}"
                           if loose else ""))
    no_runtime = [j.uid[:10] for j in jobs if not j.packages or not (j.runtime or {})]
    items.append(CheckItem("runtime captured (interpreter + packages)", not no_runtime,
                           f"{', '.join(no_runtime[:5])} without packages or runtime" if no_runtime else ""))
    failed = [j.uid[:10] for j in jobs if j.exit_code not in (0, None)]
    items.append(CheckItem("every step exited 0", not failed, f"{', '.join(failed[:5])} failed" if failed else ""))
    items.append(CheckItem("lineage saved on this server", True))
    return items


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def gpu_text(job: JobDetail) -> str:
    gpus = (job.runtime or {}).get("gpus") or []
    if gpus:
        names = [g.get("name", "?") if isinstance(g, dict) else str(g) for g in gpus]
        return f"{len(names)} × {names[0]}" if len(set(names)) == 1 and len(names) > 1 else ", ".join(names)
    return job.gpu_model or ""


ENVIRONMENT_KEYS = (("os", "OS"), ("python", "Python"), ("cpu", "CPU"), ("memory", "Memory"), ("cuda", "CUDA"))


def environment(job: JobDetail) -> list[tuple[str, str]]:
    """(heading, text) rows for the runtime facts the job recorded."""
    runtime = job.runtime or {}
    rows = []
    for key, heading in ENVIRONMENT_KEYS:
        value = runtime.get(key)
        if value not in (None, "", {}, []):
            rows.append((heading, _text(value)))
    return rows

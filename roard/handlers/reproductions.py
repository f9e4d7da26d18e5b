"""ReproductionService: PlanReproduction and Reproduce (streamed progress, then the verdict)."""
from __future__ import annotations

from roar_api.v1 import jobs_pb2, reproductions_pb2 as pb, reproductions_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import file_record
from roard.handlers.errors import map_errors
from roard.handlers.relay import Done, relay
from roard.handlers.workspaces import checklist_messages
from roard.reproduce.execute import Options, Output, Progress, Reproduction
from roard.reproduce.plan import Plan, make_plan, rel_cwd, step_ref, workspace_for
from roard.reproduce.verdict import Verdict


def plan_message(plan: Plan) -> pb.ReproductionPlan:
    code = plan.code
    return pb.ReproductionPlan(
        target_hash=plan.target_hash, target_path=plan.target_path, lineage_hash=plan.lineage_hash,
        repo_root=plan.repo_root, remote=plan.remote, commit=plan.commit, branch=plan.branch,
        code_source=code.kind if code else "", code_dir=code.directory if code else "",
        code_reason=code.reason if code else "", python_version=plan.python_version,
        python_found=plan.python.path if plan.python else "",
        packages=[jobs_pb2.Package(name=n, version=v) for n, v in plan.packages],
        steps=[pb.PlannedStep(ref=step_ref(j), kind=j.kind, argv=j.argv, cwd=rel_cwd(j), job_uid=j.uid,
                              commit=(j.git or {}).get("commit", ""), diff_path=(j.git or {}).get("diff_path", ""),
                              outputs=[file_record(o) for o in j.outputs], env_names=sorted(j.env or {}))
               for j in plan.steps],
        inputs=[pb.PlannedInput(path=i.path, hash=i.hash, size=i.size, source=i.source, detail=i.detail,
                                available=i.available) for i in plan.inputs],
        checklist=checklist_messages(plan.checklist), blockers=plan.blockers, notes=plan.notes)


def verdict_message(v: Verdict) -> pb.ReproductionVerdict:
    return pb.ReproductionVerdict(
        identical=v.identical, first_diverged_step=v.first_diverged_step, causes=v.causes,
        artifacts=[pb.ArtifactVerdict(step=a.step, path=a.path, recorded_hash=a.recorded_hash,
                                      new_hashes=a.new_hashes, verdict=a.verdict, target=a.target)
                   for a in v.artifacts],
        directory=v.directory, session_id=v.session_id, notes=v.notes, rounds=v.rounds)


def event_message(event: Progress | Output) -> pb.ReproductionEvent:
    if isinstance(event, Output):
        return pb.ReproductionEvent(output=pb.StepOutput(step=event.step, data=event.data))
    return pb.ReproductionEvent(progress=pb.ReproductionProgress(
        phase=event.phase, step=event.step, message=event.message, elapsed_seconds=event.elapsed,
        round=event.round))


@map_errors
class ReproductionHandler(reproductions_pb2_grpc.ReproductionServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def PlanReproduction(self, request, context):
        ws = await workspace_for(self.daemon.workspaces, request.workspace, request.ref, request.lineage)
        plan = await make_plan(ws, self.daemon.workspaces, self.daemon.runs.cache, request.ref,
                               request.lineage, request.workspace, request.dir, request.python)
        return plan_message(plan)

    async def Reproduce(self, request, context):
        ws = await workspace_for(self.daemon.workspaces, request.workspace, request.ref, request.lineage)
        options = Options(ref=request.ref, cwd=request.workspace, lineage=request.lineage,
                          directory=request.dir, python=request.python,
                          pip_any_version=request.pip_any_version, package_sync=request.package_sync,
                          rounds=request.rounds or 1, environment=dict(request.environment))

        def start(emit):
            return Reproduction(ws, self.daemon.workspaces, self.daemon.runs, self.daemon.runs.cache,
                                options, emit).run()

        async for item in relay(start, lambda task: task.cancel()):
            if isinstance(item, Done):
                yield pb.ReproductionEvent(verdict=verdict_message(item.result))
            else:
                yield event_message(item)

"""roar_api.client in a few lines: what an editor or a tool does with roard.

    python examples/editor_client/follow.py WORKSPACE FILE -- COMMAND [ARGS...]

Starts COMMAND through the daemon (recorded like `roarctl run COMMAND`), prints its output as
it comes and the recorded job, then says what the lineage knows about FILE and prints the
workspace's stale/fresh events until Ctrl-C.
"""
from __future__ import annotations

import sys

from roar_api.client import connect


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") != 2 or len(argv) < 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    workspace, path, command = argv[0], argv[1], argv[3:]
    with connect() as roar:                                   # starts roard when it is not running
        run = roar.start_run(command, cwd=workspace)
        print(f"run {run.run_id} (pid {run.started.pid})")
        for chunk in run:                                     # stdout and stderr, in order
            stream = sys.stdout if chunk.stream != "stderr" else sys.stderr
            stream.write(chunk.data.decode(errors="replace"))
            stream.flush()
        job = run.finished.job
        print(f"recorded {job.ref}: exit {job.exit_code}, {len(job.outputs)} output(s)")

        status, = roar.file_status([path], cwd=workspace)
        print(f"{status.path}: {status.produced_by or status.note}  {status.hash[:12]}  "
              f"{'stale: ' + '; '.join(status.stale_reasons) if status.stale else 'fresh'}")

        print("watching for stale/fresh steps (Ctrl-C to stop)")
        try:
            for event in roar.watch_events(workspace=status.workspace, kinds=["step.stale", "step.fresh"]):
                why = f": {'; '.join(event.reasons)}" if event.reasons else ""
                print(f"{event.step} {event.topic.removeprefix('step.')}{why}")
        except KeyboardInterrupt:
            pass
    return job.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

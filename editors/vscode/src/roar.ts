// roard's API as the extension uses it: typed wrappers over the generated services.
import * as grpc from "@grpc/grpc-js";
import { Connection } from "./connection";

export interface FileStatus {
  path: string; absPath: string; workspace: string; exists: boolean; hash: string;
  producedBy: string; producerJobUid: string; producerArgv: string[]; note: string;
  consumedBy: string[]; stale: boolean; staleReasons: string[]; staleConsumers: string[]; tracked: boolean;
}

export interface RoarEvent {
  sequence: number; topic: string; workspace: string; runId: string; jobUid: string; message: string;
  step: string; paths: string[]; reasons: string[]; hash: string; dropped: number; state: string;
}

export interface DagNode {
  jobUid: string; ref: string; argv: string[]; exitCode: number; dependsOn: string[];
  superseded: boolean; stale: boolean; staleReasons: string[];
  inputs: { path: string; hash: string }[]; outputs: { path: string; hash: string }[];
}

export interface Dag { sessionId: string; lineageHash: string; nodes: DagNode[] }

export interface RerunStep { ref: string; kind: string; argv: string[]; cwd: string }

export interface Job { uid: string; ref: string; exitCode: number; status: string; outputs: { path: string; hash: string }[] }

export interface RunHandlers {
  started?(info: { runId: string; pid: number }): void;
  output?(stream: string, data: Buffer): void;
  finished?(result: { exitCode: number; signal: number; cancelled: boolean; job: Job }): void;
  error?(err: Error): void;
}

export interface StartRunRequest {
  argv: string[]; cwd: string; workspace?: string; environment?: Record<string, string>;
  pty?: boolean; rows?: number; cols?: number; cancelOnDisconnect?: boolean;
}

export interface Cancellable { cancel(): void }

export class RoarClient {
  constructor(readonly conn: Connection) {}

  fileStatus(paths: string[], cwd: string): Promise<FileStatus[]> {
    return this.conn.unary<{ files: FileStatus[] }>("files", "GetFileStatus", { paths, cwd }).then((r) => r.files);
  }

  /** Events from now on, to ``onEvent`` until cancelled; ``onEnd`` when the stream ends. */
  watchEvents(filter: { workspace?: string; kinds?: string[]; announce?: boolean }, onEvent: (e: RoarEvent) => void,
              onEnd?: (err?: Error) => void): Cancellable {
    const call = this.conn.stubs.events.WatchEvents({ workspace: filter.workspace ?? "", kinds: filter.kinds ?? [],
      announce: filter.announce ?? false });
    call.on("data", onEvent);
    call.on("error", (err: grpc.ServiceError) => { if (err.code !== grpc.status.CANCELLED) onEnd?.(err); });
    call.on("end", () => onEnd?.());
    return { cancel: () => call.cancel() };
  }

  /** StartRun: the daemon spawns and records the command; output as it comes. */
  startRun(req: StartRunRequest, handlers: RunHandlers): Cancellable {
    const call = this.conn.stubs.runs.StartRun({
      argv: req.argv, cwd: req.cwd, workspace: req.workspace ?? "", environment: req.environment ?? {},
      pty: req.pty ?? false, size: req.pty ? { rows: req.rows ?? 24, cols: req.cols ?? 80 } : undefined,
      cancelOnDisconnect: req.cancelOnDisconnect ?? false,
    });
    return follow(call, handlers);
  }

  attachRun(runId: string, handlers: RunHandlers): Cancellable {
    return follow(this.conn.stubs.runs.AttachRun({ runId }), handlers);
  }

  cancelRun(runId: string): Promise<boolean> {
    return this.conn.unary<{ signalled: boolean }>("runs", "CancelRun", { runId }).then((r) => r.signalled);
  }

  getDag(workspace: string): Promise<Dag> {
    return this.conn.unary<Dag>("lineage", "GetDag", { workspace });
  }

  planRerun(workspace: string, ref: string, upstream: boolean): Promise<{ steps: RerunStep[]; staleUpstream: string[] }> {
    return this.conn.unary("lineage", "PlanRerun", { workspace, ref, upstream });
  }

  /** Reproduce an artifact: progress lines and step output to ``onText``; resolves with the verdict. */
  reproduce(workspace: string, ref: string, onText: (text: string) => void): Promise<{ identical: boolean; summary: string }> {
    // ReproductionVerdict: identical, first_diverged_step, causes.
    return new Promise((resolve, reject) => {
      const call = this.conn.stubs.reproductions.Reproduce({ workspace, ref });
      let verdict: { identical?: boolean; firstDivergedStep?: string; causes?: string[] } | undefined;
      call.on("data", (ev: { event: string; progress?: { phase: string; step: string; message: string };
        output?: { data: Buffer }; verdict?: { identical?: boolean; firstDivergedStep?: string; causes?: string[] } }) => {
        if (ev.event === "progress" && ev.progress) onText(`[${ev.progress.phase}] ${ev.progress.step} ${ev.progress.message}\r\n`);
        else if (ev.event === "output" && ev.output) onText(ev.output.data.toString().replace(/\r?\n/g, "\r\n"));
        else if (ev.event === "verdict") verdict = ev.verdict;
      });
      call.on("error", reject);
      call.on("end", () => resolve({
        identical: Boolean(verdict?.identical),
        summary: verdict?.identical ? "identical" : `diverged at ${verdict?.firstDivergedStep ?? "?"}: ${(verdict?.causes ?? []).join("; ")}`,
      }));
    });
  }
}

function follow(call: grpc.ClientReadableStream<unknown>, h: RunHandlers): Cancellable {
  call.on("data", (msg: { item: string; started?: { runId: string; pid: number }; chunk?: { stream: string; data: Buffer };
    finished?: { exitCode: number; signal: number; cancelled: boolean; job: Job } }) => {
    if (msg.item === "started" && msg.started) h.started?.(msg.started);
    else if (msg.item === "chunk" && msg.chunk) h.output?.(msg.chunk.stream, msg.chunk.data);
    else if (msg.item === "finished" && msg.finished) h.finished?.(msg.finished);
  });
  call.on("error", (err: grpc.ServiceError) => { if (err.code !== grpc.status.CANCELLED) h.error?.(err); });
  return { cancel: () => call.cancel() };
}

// The view model: what the status bar, the CodeLens and the DAG tree show, kept current from
// WatchEvents only (no timers, no CLI processes). Plain TypeScript; the VS Code glue renders it.
import { Dag, DagNode, FileStatus, RoarClient, RoarEvent, Cancellable } from "./roar";

/** Events after which the active file's status or the DAG may differ. */
export const MODEL_TOPICS = ["step.stale", "step.fresh", "file.changed", "job.recorded", "job.popped",
  "session.reset", "events.dropped", "watch.started"];

export function shortHash(hash: string): string {
  return hash ? hash.slice(0, 12) : "";
}

/** "produced by @N · hash · fresh" / "… · stale (why)" / "unknown content: …". */
export function lensText(status: FileStatus): string {
  if (!status.exists) return status.note || "gone from disk";
  const parts: string[] = [];
  parts.push(status.producedBy ? `produced by ${status.producedBy}` : status.note);
  parts.push(shortHash(status.hash));
  if (status.stale) parts.push(`stale (${status.staleReasons[0] ?? "upstream changed"})`);
  else if (status.producedBy || status.tracked) parts.push("fresh");
  if (status.consumedBy.length) {
    const staleReaders = status.staleConsumers.length ? `, stale: ${status.staleConsumers.join(" ")}` : "";
    parts.push(`read by ${status.consumedBy.join(" ")}${staleReaders}`);
  }
  return parts.join(" · ");
}

/** The status bar's short form. */
export function statusBarText(status: FileStatus | undefined): string {
  if (!status || !status.workspace) return "";
  if (!status.producedBy) return status.tracked ? "roar: input" : "roar: untracked";
  return `roar: ${status.producedBy}${status.stale ? " stale" : ""}`;
}

export interface DagItem {
  ref: string;
  label: string;
  description: string;
  stale: boolean;
  tooltip: string;
  dependsOn: string[];
}

export function dagItems(dag: Dag): DagItem[] {
  return dag.nodes.filter((n) => !n.superseded).map((n) => ({
    ref: n.ref,
    label: `${n.ref} ${n.argv.join(" ")}`,
    description: n.stale ? `stale: ${n.staleReasons[0]}` : n.exitCode === 0 ? "fresh" : `exit ${n.exitCode}`,
    stale: n.stale,
    tooltip: [n.argv.join(" "), ...n.staleReasons.map((r) => `stale: ${r}`),
      ...n.outputs.map((o) => `wrote ${o.path} ${shortHash(o.hash)}`)].join("\n"),
    dependsOn: n.dependsOn,
  }));
}

/** The lineage of step ``ref``: it and every step upstream, each with what it read and wrote. */
export function lineageText(dag: Dag, ref: string): string {
  const byRef = new Map<string, DagNode>(dag.nodes.filter((n) => !n.superseded).map((n) => [n.ref, n]));
  const seen = new Set<string>();
  const stack = [ref];
  while (stack.length) {
    const current = stack.pop() as string;
    const node = byRef.get(current);
    if (!node || seen.has(current)) continue;
    seen.add(current);
    stack.push(...node.dependsOn);
  }
  const lines: string[] = [];
  for (const node of dag.nodes.filter((n) => seen.has(n.ref) && !n.superseded)) {
    lines.push(`${node.ref}  ${node.argv.join(" ")}${node.stale ? "   [stale]" : ""}`);
    for (const r of node.staleReasons) lines.push(`    stale: ${r}`);
    for (const i of node.inputs) lines.push(`    read  ${i.path}  ${shortHash(i.hash)}`);
    for (const o of node.outputs) lines.push(`    wrote ${o.path}  ${shortHash(o.hash)}`);
  }
  return lines.join("\n");
}

/** One workspace as the editor sees it: the active file's status and the current DAG, refreshed
 * when an event says they may have changed. */
export class WorkspaceModel {
  activeFile: string | undefined;
  fileStatus: FileStatus | undefined;
  dag: Dag | undefined;
  private watch: Cancellable | undefined;
  private listeners: (() => void)[] = [];
  private refreshing: Promise<void> = Promise.resolve();

  constructor(readonly client: RoarClient, readonly root: string) {}

  /** Subscribe to the workspace's events, then (once the daemon says the subscription is
   * live, so no change falls in between) load the DAG. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.watch = this.client.watchEvents({ workspace: this.root, kinds: MODEL_TOPICS, announce: true },
        (event) => (event.topic === "events.subscribed" ? resolve() : this.onEvent(event)), (err) => err && reject(err));
    });
    await this.refresh(true);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async setActiveFile(path: string | undefined): Promise<void> {
    this.activeFile = path;
    await this.refresh(false);
  }

  private onEvent(event: RoarEvent): void {
    const dag = event.topic !== "file.changed" || (this.activeFile !== undefined && event.paths.includes(this.activeFile));
    void this.refresh(dag || event.topic !== "file.changed");
  }

  /** Refresh (serialised: one at a time, in event order). */
  refresh(withDag: boolean): Promise<void> {
    this.refreshing = this.refreshing.then(async () => {
      if (this.activeFile) {
        const [status] = await this.client.fileStatus([this.activeFile], this.root).catch(() => [undefined]);
        this.fileStatus = status;
      } else {
        this.fileStatus = undefined;
      }
      if (withDag) this.dag = await this.client.getDag(this.root).catch(() => this.dag);
      for (const listener of this.listeners) listener();
    });
    return this.refreshing;
  }

  staleSteps(): string[] {
    return (this.dag?.nodes ?? []).filter((n) => n.stale && !n.superseded).map((n) => n.ref);
  }

  dispose(): void {
    this.watch?.cancel();
  }
}

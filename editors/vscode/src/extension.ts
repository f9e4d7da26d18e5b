// The VS Code glue: renders the view model (model.ts) and maps commands to API calls (roar.ts).
// Everything updates from WatchEvents through WorkspaceModel: no timers, no CLI processes.
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import { Connection } from "./connection";
import { RoarClient, RerunStep } from "./roar";
import { DagItem, WorkspaceModel, dagItems, lensText, lineageText, statusBarText } from "./model";

let model: WorkspaceModel | undefined;
let conn: Connection | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.find((f) => fs.existsSync(path.join(f.uri.fsPath, ".roar")));
  if (!folder) return;
  const settings = vscode.workspace.getConfiguration("roar");
  try {
    conn = await Connection.open({ socket: settings.get<string>("socket") || undefined,
      roardCommand: settings.get<string[]>("roardCommand") });
  } catch (err) {
    void vscode.window.showErrorMessage(`roar: ${err}`);
    return;
  }
  const client = new RoarClient(conn);
  const m = new WorkspaceModel(client, folder.uri.fsPath);
  model = m;

  const bar = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  bar.command = "roar.showLineage";
  const lensChanged = new vscode.EventEmitter<void>();
  const tree = new DagTree(m);
  m.onChange(() => {
    bar.text = statusBarText(m.fileStatus);
    bar.tooltip = m.fileStatus ? lensText(m.fileStatus) : undefined;
    if (bar.text) bar.show(); else bar.hide();
    lensChanged.fire();
    tree.changed.fire();
  });
  context.subscriptions.push(bar, lensChanged,
    vscode.languages.registerCodeLensProvider({ scheme: "file" }, {
      onDidChangeCodeLenses: lensChanged.event,
      provideCodeLenses(doc) {
        const s = m.fileStatus;
        if (!s || s.absPath !== doc.uri.fsPath || !s.workspace) return [];
        return [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), {
          title: lensText(s), command: "roar.showLineage", tooltip: s.staleReasons.join("\n") })];
      },
    }),
    vscode.window.registerTreeDataProvider("roar.dag", tree),
    vscode.window.onDidChangeActiveTextEditor((e) => void m.setActiveFile(fileOf(e))),
    vscode.commands.registerCommand("roar.rerunStep", (item?: DagItem) => rerun(client, m, item?.ref, false)),
    vscode.commands.registerCommand("roar.rerunStaleUpstream", (item?: DagItem) => rerun(client, m, item?.ref, true)),
    vscode.commands.registerCommand("roar.showLineage", async (item?: DagItem) => {
      const ref = item?.ref ?? m.fileStatus?.producedBy;
      if (!ref || !m.dag) return void vscode.window.showInformationMessage("roar: no recorded step produced this file");
      const doc = await vscode.workspace.openTextDocument({ content: lineageText(m.dag, ref), language: "text" });
      await vscode.window.showTextDocument(doc, { preview: true });
    }),
    vscode.commands.registerCommand("roar.copyHash", async () => {
      if (m.fileStatus?.hash) await vscode.env.clipboard.writeText(m.fileStatus.hash);
    }),
    vscode.commands.registerCommand("roar.reproduce", async () => {
      const hash = await vscode.window.showInputBox({ prompt: "Artifact hash (or prefix) to reproduce",
        value: m.fileStatus?.hash ?? "" });
      if (!hash) return;
      const term = new StreamTerminal(async (write) => {
        const verdict = await client.reproduce(m.root, hash, write);
        write(`\r\nroar: ${verdict.summary}\r\n`);
      });
      vscode.window.createTerminal({ name: `roar reproduce ${hash.slice(0, 12)}`, pty: term }).show();
    }),
    { dispose: () => { m.dispose(); conn?.close(); } });
  await m.start();
  await m.setActiveFile(fileOf(vscode.window.activeTextEditor));
}

export function deactivate(): void {
  model?.dispose();
  conn?.close();
}

function fileOf(editor: vscode.TextEditor | undefined): string | undefined {
  return editor?.document.uri.scheme === "file" ? editor.document.uri.fsPath : undefined;
}

async function rerun(client: RoarClient, m: WorkspaceModel, ref: string | undefined, upstream: boolean): Promise<void> {
  ref = ref ?? m.fileStatus?.producedBy;
  if (!ref) return void vscode.window.showInformationMessage("roar: no recorded step produced this file");
  const plan = await client.planRerun(m.root, ref, upstream);
  const steps: RerunStep[] = plan.steps;
  let current: string | undefined;
  const term = new StreamTerminal(async (write, size) => {
    for (const step of steps) {
      write(`\x1b[1mroar: ${step.ref} ${step.argv.join(" ")}\x1b[0m\r\n`);
      const code = await new Promise<number>((resolve, reject) => {
        client.startRun({ argv: step.argv, cwd: step.cwd, workspace: m.root, pty: true, ...size() }, {
          started: (s) => { current = s.runId; },
          output: (_stream, data) => write(data.toString()),
          finished: (r) => resolve(r.exitCode),
          error: reject,
        });
      });
      current = undefined;
      if (code !== 0) return write(`roar: ${step.ref} exited ${code}; stopping\r\n`);
    }
  }, () => { if (current) void client.cancelRun(current); });
  vscode.window.createTerminal({ name: `roar ${ref}`, pty: term }).show();
}

/** A terminal that shows a run's output (StartRun with a pty) and cancels it on Ctrl-C. */
class StreamTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writer.event;
  private dims: { rows: number; cols: number } = { rows: 24, cols: 80 };

  constructor(private readonly body: (write: (text: string) => void, size: () => { rows: number; cols: number }) => Promise<void>,
              private readonly interrupt: () => void = () => undefined) {}

  open(initial: vscode.TerminalDimensions | undefined): void {
    if (initial) this.dims = { rows: initial.rows, cols: initial.columns };
    this.body((t) => this.writer.fire(t), () => this.dims)
      .catch((err) => this.writer.fire(`\r\nroar: ${err.details ?? err}\r\n`));
  }

  setDimensions(d: vscode.TerminalDimensions): void {
    this.dims = { rows: d.rows, cols: d.columns };
  }

  handleInput(data: string): void {
    if (data === "\x03") this.interrupt();
  }

  close(): void {
    this.interrupt();
  }
}

class DagTree implements vscode.TreeDataProvider<DagItem> {
  readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly m: WorkspaceModel) {}

  getChildren(): DagItem[] {
    return this.m.dag ? dagItems(this.m.dag) : [];
  }

  getTreeItem(item: DagItem): vscode.TreeItem {
    const t = new vscode.TreeItem(item.label);
    t.description = item.description;
    t.tooltip = item.tooltip;
    t.contextValue = "roarStep";
    t.iconPath = new vscode.ThemeIcon(item.stale ? "warning" : "pass");
    return t;
  }
}

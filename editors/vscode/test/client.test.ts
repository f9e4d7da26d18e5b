// The extension's connection and view-model layer against a real roard started by the test
// (autostarted the way the extension starts it), a real git workspace and real runs.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { Connection, defaultSocketPath } from "../src/connection";
import { RoarClient, Job } from "../src/roar";
import { WorkspaceModel, dagItems, lensText, lineageText, statusBarText } from "../src/model";

const REPO = path.resolve(__dirname, "..", "..", "..", "..");
const PYTHON = process.env.ROAR_PYTHON || path.join(REPO, ".venv", "bin", "python");
const base = fs.mkdtempSync(path.join(os.tmpdir(), "roar-vsc-"));
const ws = path.join(base, "ws");
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ROAR") && !k.startsWith("XDG_"))),
  XDG_RUNTIME_DIR: path.join(base, "run"), XDG_STATE_HOME: path.join(base, "state"),
  XDG_CONFIG_HOME: path.join(base, "config"), PYTHONPATH: REPO,
  GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e.invalid",
};
let conn: Connection;
let client: RoarClient;

function sh(cmd: string, args: string[], cwd = ws): string {
  return execFileSync(cmd, args, { cwd, env, encoding: "utf8" });
}

/** Resolves once ``check`` holds after a change of ``model`` (the test's timeout bounds it). */
function until(model: WorkspaceModel, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check()) return resolve();
    model.onChange(() => { if (check()) resolve(); });
  });
}

function run(argv: string[]): Promise<{ out: string; exitCode: number; job: Job }> {
  return new Promise((resolve, reject) => {
    let out = "";
    client.startRun({ argv, cwd: ws }, {
      output: (_stream, data) => { out += data.toString(); },
      finished: (r) => resolve({ out, exitCode: r.exitCode, job: r.job }),
      error: reject,
    });
  });
}

before(() => {
  fs.mkdirSync(env.XDG_RUNTIME_DIR as string, { mode: 0o700 });
  fs.mkdirSync(ws);
  sh("git", ["init", "-q", "-b", "main"]);
  fs.writeFileSync(path.join(ws, "data.txt"), "one\n");
  fs.writeFileSync(path.join(ws, "prep.py"), "print('prep', flush=True)\nopen('mid.txt','w').write(open('data.txt').read().upper())\n");
  fs.writeFileSync(path.join(ws, ".gitignore"), ".roar/\n");
  sh("git", ["add", "-A"]);
  sh("git", ["commit", "-qm", "init"]);
});

after(async () => {
  if (conn) {
    await conn.unary("daemon", "Shutdown", {}).catch(() => undefined);
    conn.close();
  }
  fs.rmSync(base, { recursive: true, force: true });
});

test("the socket is found where roarctl finds it", () => {
  assert.equal(defaultSocketPath(env), path.join(base, "run", "roar", "roard.sock"));
  assert.equal(defaultSocketPath({ ...env, ROARD_SOCKET: "/x/y.sock" }), "/x/y.sock");
});

test("connecting starts roard when it is not running", { timeout: 60000 }, async () => {
  await assert.rejects(Connection.open({ env, autostart: false }), /not running/);
  conn = await Connection.open({ env, roardCommand: [PYTHON, "-m", "roard"] });
  client = new RoarClient(conn);
  const hello = await conn.hello();
  assert.ok(hello.daemonVersion);
  sh(PYTHON, ["-m", "roarctl", "init", "-n"]);
});

test("StartRun streams the output and ends with the recorded job", { timeout: 60000 }, async () => {
  const result = await run([PYTHON, "prep.py"]);
  assert.equal(result.out, "prep\n");
  assert.equal(result.exitCode, 0);
  assert.equal(result.job.ref, "@1");
  assert.deepEqual(result.job.outputs.map((o) => o.path), ["mid.txt"]);
  const second = await run(["cp", "mid.txt", "out.txt"]);
  assert.equal(second.job.ref, "@2");
});

test("the model shows who produced the active file and turns stale from events alone", { timeout: 60000 }, async () => {
  const model = new WorkspaceModel(client, ws);
  await model.start();
  await model.setActiveFile(path.join(ws, "mid.txt"));
  const status = model.fileStatus!;
  assert.match(lensText(status), /^produced by @1 · [0-9a-f]{12} · fresh · read by @2$/);
  assert.equal(statusBarText(status), "roar: @1");
  assert.deepEqual(dagItems(model.dag!).map((i) => [i.ref, i.stale]), [["@1", false], ["@2", false]]);
  assert.match(lineageText(model.dag!, "@2"), /@1 .*prep\.py[\s\S]*@2 +cp mid\.txt out\.txt/);

  fs.writeFileSync(path.join(ws, "data.txt"), "two\n");    // an edit outside roar
  await until(model, () => model.staleSteps().includes("@1") && Boolean(model.fileStatus?.stale));
  assert.match(lensText(model.fileStatus!), /^produced by @1 · [0-9a-f]{12} · stale \(@1: data\.txt changed on disk/);
  assert.equal(statusBarText(model.fileStatus), "roar: @1 stale");
  assert.deepEqual(model.staleSteps(), ["@1", "@2"]);
  const items = dagItems(model.dag!);
  assert.match(items[1].description, /^stale: upstream @1 is stale/);

  // Re-run the stale upstream the way the command does: PlanRerun, then StartRun per step.
  const plan = await client.planRerun(ws, "@2", true);
  assert.deepEqual(plan.staleUpstream, ["@1"]);
  for (const step of plan.steps) assert.equal((await run(step.argv)).exitCode, 0);
  await until(model, () => model.staleSteps().length === 0 && model.fileStatus?.stale === false);
  assert.match(lensText(model.fileStatus!), /· fresh/);
  model.dispose();
});

test("a file no job produced says so", { timeout: 30000 }, async () => {
  fs.writeFileSync(path.join(ws, "notes.txt"), "mine\n");
  const [status] = await client.fileStatus(["notes.txt"], ws);
  assert.match(lensText(status), /^unknown content: not produced by any recorded job · [0-9a-f]{12}$/);
  assert.equal(statusBarText(status), "roar: untracked");
});

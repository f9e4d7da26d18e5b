// The connection to roard: protos loaded from proto/, gRPC over the Unix socket, started the way
// roarctl starts it when it is not running. Plain TypeScript (no VS Code): tested with node's
// test runner against a real roard.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export const PROTOCOL_MAJOR = 1;

/** Where roarctl finds the socket: ROARD_SOCKET, else $XDG_RUNTIME_DIR/roar/roard.sock, else
 * $XDG_STATE_HOME/roar/roard.sock (roar_api/paths.py). */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ROARD_SOCKET) return path.resolve(env.ROARD_SOCKET);
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && path.isAbsolute(runtime) && fs.existsSync(runtime)) return path.join(runtime, "roar", "roard.sock");
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME)
    ? env.XDG_STATE_HOME : path.join(os.homedir(), ".local", "state");
  return path.join(state, "roar", "roard.sock");
}

/** The proto directory: ROAR_PROTO_DIR, the repository's (when running from a checkout: the
 * source of truth), or the copy packaged with the extension. */
export function protoDir(): string {
  const candidates = [process.env.ROAR_PROTO_DIR, path.resolve(__dirname, "..", "..", "..", "..", "proto"),
    path.resolve(__dirname, "..", "..", "proto")];
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, "roar", "v1", "runs.proto"))) return dir;
  }
  throw new Error(`roar: cannot find the API's .proto files (looked in ${candidates.filter(Boolean).join(", ")})`);
}

const SERVICES: Record<string, string> = {
  daemon: "DaemonService", events: "EventService", runs: "RunService", files: "FileService",
  lineage: "LineageService", reproductions: "ReproductionService",
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Stub = any;
export type Stubs = Record<keyof typeof SERVICES, Stub>;

let loaded: grpc.GrpcObject | undefined;

function packageObject(): grpc.GrpcObject {
  if (!loaded) {
    const dir = protoDir();
    const files = Object.keys(SERVICES).map((name) => `roar/v1/${name}.proto`);
    const definition = protoLoader.loadSync(files, {
      includeDirs: [dir], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true,
    });
    loaded = grpc.loadPackageDefinition(definition);
  }
  return loaded;
}

export interface ConnectOptions {
  socket?: string;
  /** How to start roard when it is not running (default ["roard"]); "--socket SOCK" is added. */
  roardCommand?: string[];
  autostart?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds to wait for a started roard. */
  startTimeoutMs?: number;
}

export class Connection {
  readonly stubs: Stubs;
  private readonly channel: grpc.Channel;

  private constructor(readonly socket: string) {
    const v1 = (packageObject().roar as grpc.GrpcObject).v1 as grpc.GrpcObject;
    const first = new (v1.DaemonService as grpc.ServiceClientConstructor)(`unix://${socket}`,
      grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 64 << 20 });
    this.channel = first.getChannel() as grpc.Channel;
    const stubs: Partial<Stubs> = {};
    for (const [key, service] of Object.entries(SERVICES)) {
      const ctor = v1[service] as grpc.ServiceClientConstructor;
      stubs[key] = key === "daemon" ? first : new ctor(`unix://${socket}`, grpc.credentials.createInsecure(),
        { channelOverride: this.channel });
    }
    this.stubs = stubs as Stubs;
  }

  /** Connect (starting roard when it is not running and autostart is on) and say Hello. */
  static async open(options: ConnectOptions = {}): Promise<Connection> {
    const env = options.env ?? process.env;
    const socket = options.socket || defaultSocketPath(env);
    let conn = new Connection(socket);
    try {
      await conn.hello(2000);
      return conn;
    } catch (err) {
      conn.close();
      if (options.autostart === false) throw new Error(`roard is not running on ${socket}`);
    }
    startRoard(socket, options.roardCommand ?? ["roard"], env);
    // Starting up only: wait (bounded) until the new daemon answers, as roarctl does.
    const deadline = Date.now() + (options.startTimeoutMs ?? 20000);
    for (;;) {
      conn = new Connection(socket);
      try {
        await conn.hello(2000);
        return conn;
      } catch (err) {
        conn.close();
        if (Date.now() > deadline) throw new Error(`roard did not answer on ${socket} after starting it: ${err}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Hello, waiting for the daemon to be ready for at most ``timeoutMs``. */
  hello(timeoutMs = 10000): Promise<{ daemonVersion: string; protocolMajor: number }> {
    return new Promise((resolve, reject) => {
      this.stubs.daemon.Hello({ clientName: "roar-vscode", protocolMajor: PROTOCOL_MAJOR },
        { deadline: Date.now() + timeoutMs, waitForReady: true } as grpc.CallOptions,
        (err: grpc.ServiceError | null, res: { daemonVersion: string; protocolMajor: number }) => {
          if (err) return reject(err);
          if (res.protocolMajor !== PROTOCOL_MAJOR) {
            return reject(new Error(`roard speaks protocol ${res.protocolMajor}, this extension ${PROTOCOL_MAJOR}`));
          }
          resolve(res);
        });
    });
  }

  /** A unary call as a promise. */
  unary<T>(service: keyof Stubs, method: string, request: object, timeoutMs = 60000): Promise<T> {
    return new Promise((resolve, reject) => {
      this.stubs[service][method](request, { deadline: Date.now() + timeoutMs },
        (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
    });
  }

  close(): void {
    this.channel.close();
  }
}

/** Start roard detached, in a session of its own, as roarctl does. */
export function startRoard(socket: string, command: string[], env: NodeJS.ProcessEnv): void {
  const [program, ...args] = command;
  const child = spawn(program, [...args, "--socket", socket], { detached: true, stdio: "ignore", env });
  child.on("error", () => undefined);   // reported by the Hello that follows
  child.unref();
}

// Spawns an algogate server as a child process for e2e tests and benches, and guarantees it never outlives us.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const BIN = join(REPO_ROOT, 'bin', 'algogate.js');
const TAIL_LINES = 200;

/**
 * Loaded into the child with `--import`: if our process dies without cleaning up (SIGKILLed runner, crashed
 * worker), the child gets re-parented and terminates itself instead of leaking. It also notes SIGTERM/SIGINT
 * on stderr (the server's own handlers still run), so an unexpected shutdown shows up in the output tail.
 */
export const PARENT_WATCHDOG =
  'data:text/javascript,const p=process.ppid;' +
  "setInterval(()=>{if(process.ppid!==p)process.kill(process.pid,'SIGTERM')},500).unref();" +
  "for(const s of ['SIGTERM','SIGINT'])process.prependListener(s,()=>process.stderr.write('[watchdog] '+s+' received\\n'));";

export type ServerMode = 'source' | 'dist';

export interface ServerOptions {
  /** `source` runs src/ through tsx (default); `dist` runs `node bin/algogate.js` (needs `npm run build`). */
  mode?: ServerMode;
  /** Selects PostgreSQL; SQLite in `dataDir` otherwise. */
  databaseUrl?: string;
  /** Defaults to a fresh temp dir that cleanup() removes (kept when ALGOGATE_TEST_KEEP=1). */
  dataDir?: string;
  /** Defaults to a free port picked at start; restart() keeps it. */
  port?: number;
  /** Extra environment for the server and CLI invocations. */
  env?: Record<string, string>;
  /** How long start()/restart() wait for GET /health → 200. */
  readyTimeoutMs?: number;
  /** Per-request timeout of post()/get(). */
  requestTimeoutMs?: number;
  /** `banner` parses `API key:` from the first-start banner, falling back to the CLI; `cli` always uses the CLI. */
  apiKeyFrom?: 'banner' | 'cli';
  /** Mirror the child's output to our stderr (also enabled by ALGOGATE_TEST_ECHO=1). */
  echo?: boolean;
  /** Use this API key instead of obtaining one (another instance of the same cluster created it). */
  apiKey?: string;
  /** Receives every output line (stderr lines prefixed `[stderr] `), beyond the kept tail. */
  onLine?: (line: string) => void;
  /** A TypeScript entry run instead of the CLI for the server (source mode), e.g. one with a faulty broker. */
  entry?: string;
}

export interface HttpResult<T> {
  status: number;
  body: T;
  text: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();

function killAllLive(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** Puts any child process under the same kill-on-exit guard as the servers started here. */
export function registerChild(child: ChildProcess): void {
  live.add(child);
  child.once('close', () => live.delete(child));
}

process.on('exit', killAllLive);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAllLive();
    // Re-raise only when nobody else handles it, so the default "terminate" behaviour is preserved.
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  });
}

/** Asks the kernel for a free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      srv.close(() => {
        resolve(addr.port);
      });
    });
  });
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class ServerProcess {
  readonly port: number;
  readonly dataDir: string;
  readonly baseUrl: string;
  readonly mode: ServerMode;
  /** First-start banner values, when the server printed them. */
  bannerApiKey: string | undefined;
  bannerPassword: string | undefined;
  private key: string | undefined;
  private child: ChildProcess | undefined;
  private exited: Promise<ExitInfo> | undefined;
  private lastExit: ExitInfo | undefined;
  private readonly tail: string[] = [];
  private readonly pending = { out: '', err: '' };
  private readonly ownsDataDir: boolean;
  private readonly opts: ServerOptions;

  private constructor(opts: ServerOptions, port: number, dataDir: string, ownsDataDir: boolean) {
    this.opts = opts;
    this.port = port;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.mode = opts.mode ?? 'source';
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  /** Starts a server, waits for /health, and obtains an API key. Cleans up after itself if any step fails. */
  static async start(opts: ServerOptions = {}): Promise<ServerProcess> {
    const port = opts.port ?? (await freePort());
    const ownsDataDir = opts.dataDir === undefined;
    const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'algogate-e2e-')));
    const server = new ServerProcess(opts, port, dataDir, ownsDataDir);
    try {
      await server.launch();
      await server.obtainApiKey();
      return server;
    } catch (err) {
      await server.cleanup();
      throw err;
    }
  }

  get apiKey(): string {
    if (this.key === undefined) throw new Error('no API key obtained yet');
    return this.key;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.lastExit === undefined;
  }

  /** Last lines of the child's stdout/stderr (stderr lines prefixed), for error messages. */
  outputTail(lines = 40): string {
    return this.tail.slice(-lines).join('\n');
  }

  /** Environment shared by the server and CLI invocations. */
  env(): NodeJS.ProcessEnv {
    // Inherited ALGOGATE_* / DATABASE_URL would make runs depend on the developer's shell.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('ALGOGATE_') && k !== 'DATABASE_URL'),
    );
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      ALGOGATE_HOST: '127.0.0.1',
      ALGOGATE_PORT: String(this.port),
      ALGOGATE_DATA_DIR: this.dataDir,
      ALGOGATE_LOG_LEVEL: 'warn',
      // No load balancer drains these servers: stop at once on SIGTERM unless a test asks otherwise.
      ALGOGATE_READINESS_DELAY_MS: '0',
      // Tests and benches fire requests faster than the default limits; a test that wants them sets it on.
      ALGOGATE_RATE_LIMIT: 'off',
      ...this.opts.env,
    };
    if (this.opts.databaseUrl !== undefined) env.DATABASE_URL = this.opts.databaseUrl;
    return env;
  }

  private commandArgs(args: readonly string[]): string[] {
    return this.mode === 'dist' ? [BIN, ...args] : ['--import', 'tsx', CLI_ENTRY, ...args];
  }

  private record(stream: 'out' | 'err', chunk: string): void {
    const onLine = this.opts.onLine;
    if (onLine) {
      // Whole lines only: a chunk may end in the middle of one.
      const parts = (this.pending[stream] + chunk).split('\n');
      this.pending[stream] = parts.pop() ?? '';
      for (const l of parts) if (l !== '') onLine(stream === 'err' ? `[stderr] ${l}` : l);
    }
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      this.tail.push(stream === 'err' ? `[stderr] ${line}` : line);
      if (stream === 'out') {
        const key = /API key:\s*([0-9a-f]{64})/i.exec(line);
        if (key?.[1] !== undefined) this.bannerApiKey ??= key[1].toLowerCase();
        const pw = /Password:\s*(\S+)/.exec(line);
        if (pw?.[1] !== undefined) this.bannerPassword ??= pw[1];
      }
    }
    if (this.tail.length > TAIL_LINES) this.tail.splice(0, this.tail.length - TAIL_LINES);
  }

  private async launch(): Promise<void> {
    const echo = this.opts.echo ?? process.env.ALGOGATE_TEST_ECHO === '1';
    const args =
      this.opts.entry === undefined
        ? this.commandArgs(['serve'])
        : ['--import', 'tsx', this.opts.entry, 'serve'];
    const child = spawn(process.execPath, ['--import', PARENT_WATCHDOG, ...args], {
      cwd: REPO_ROOT,
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.lastExit = undefined;
    live.add(child);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      this.record('out', s);
      if (echo) process.stderr.write(`[algogate:${this.port}] ${s}`);
    });
    child.stderr.on('data', (s: string) => {
      this.record('err', s);
      if (echo) process.stderr.write(`[algogate:${this.port}!] ${s}`);
    });
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.record('err', `spawn error: ${err.message}`);
      });
      child.once('close', (code, signal) => {
        live.delete(child);
        this.lastExit = { code, signal };
        resolve(this.lastExit);
      });
    });
    await this.waitReady(this.opts.readyTimeoutMs ?? 30_000);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastProblem = 'no response yet';
    while (Date.now() < deadline) {
      if (this.lastExit !== undefined) {
        const { code, signal } = this.lastExit;
        throw new Error(
          `algogate (${this.mode}) exited before /health was ready (code ${String(code)}, signal ${String(signal)}). ` +
            `Output tail:\n${this.outputTail()}`,
        );
      }
      try {
        const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
        lastProblem = `HTTP ${res.status}`;
      } catch (err) {
        lastProblem = err instanceof Error ? err.message : String(err);
      }
      await sleep(50);
    }
    const tailText = this.outputTail();
    await this.kill('SIGKILL');
    throw new Error(
      `algogate (${this.mode}) not ready on ${this.baseUrl}/health after ${timeoutMs} ms (${lastProblem}). ` +
        `Output tail:\n${tailText}`,
    );
  }

  private async obtainApiKey(): Promise<void> {
    this.key ??= this.opts.apiKey;
    if (this.key !== undefined) return;
    if ((this.opts.apiKeyFrom ?? 'banner') === 'banner') {
      // The banner may be flushed just after the listener is up.
      for (let i = 0; i < 20 && this.bannerApiKey === undefined; i++) await sleep(50);
      if (this.bannerApiKey !== undefined) {
        this.key = this.bannerApiKey;
        return;
      }
    }
    const user = `e2e-${Math.random().toString(36).slice(2, 10)}`;
    await this.cliJson(['user', 'create', user, '--role', 'trader', '--json']);
    const created = await this.cliJson(['apikey', 'create', '--user', user, '--name', 'e2e', '--json']);
    const key =
      typeof created === 'object' && created !== null ? (created as { key?: unknown }).key : undefined;
    if (typeof key !== 'string' || !/^[0-9a-f]{64}$/i.test(key)) {
      throw new Error(`apikey create --json returned no 64-hex key: ${JSON.stringify(created)}`);
    }
    this.key = key;
  }

  /** Runs `algogate <args>` (same mode, data dir and database as the server) and collects its output. */
  async cli(args: readonly string[], timeoutMs = 30_000): Promise<CliResult> {
    const child = spawn(process.execPath, this.commandArgs(args), {
      cwd: REPO_ROOT,
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s: string) => (stdout += s));
    child.stderr.on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => {
      child.once('error', (err) => {
        stderr += `spawn error: ${err.message}\n`;
      });
      child.once('close', (c) => {
        resolve(c);
      });
    });
    clearTimeout(timer);
    live.delete(child);
    return { code, stdout, stderr };
  }

  /** Runs a CLI command that must succeed and print JSON (last JSON line of stdout). */
  async cliJson(args: readonly string[]): Promise<unknown> {
    const res = await this.cli(args);
    if (res.code !== 0) {
      throw new Error(
        `algogate ${args.join(' ')} failed (exit ${String(res.code)}):\n${res.stderr}${res.stdout}`,
      );
    }
    const lines = res.stdout.trim().split('\n').reverse();
    for (const line of lines) {
      const t = line.trim();
      if (t.startsWith('{') || t.startsWith('[')) return parseJson(t);
    }
    return parseJson(res.stdout.trim());
  }

  /** POSTs JSON to the server; `apikey` is added to the body unless the body already has that property. */
  async post<T = unknown>(
    path: string,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<HttpResult<T>> {
    const payload = 'apikey' in body ? body : { apikey: this.apiKey, ...body };
    return this.request<T>('POST', path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(payload),
    });
  }

  async get<T = unknown>(path: string): Promise<HttpResult<T>> {
    return this.request<T>('GET', path, {});
  }

  private async request<T>(method: string, path: string, init: RequestInit): Promise<HttpResult<T>> {
    try {
      const res = await fetch(this.baseUrl + path, {
        ...init,
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000),
      });
      const text = await res.text();
      return { status: res.status, body: parseJson(text) as T, text };
    } catch (err) {
      // undici reports every network failure as "fetch failed"; surface the real cause.
      const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
      const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      const state = this.running ? 'server running' : `server exited ${JSON.stringify(this.lastExit)}`;
      throw new Error(`${method} ${path} failed (${why}; ${state})`, { cause: err });
    }
  }

  /** Sends `signal` and waits for the process to be gone (escalating to SIGKILL after `graceMs`). */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 10_000): Promise<ExitInfo | undefined> {
    const child = this.child;
    const exited = this.exited;
    if (child === undefined || exited === undefined) return undefined;
    if (this.lastExit !== undefined) return this.lastExit;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const info = await exited;
    clearTimeout(timer);
    return info;
  }

  /** Sends a signal without waiting (see `exit()`). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Resolves when the process has exited. */
  async exit(): Promise<ExitInfo | undefined> {
    return this.exited;
  }

  /** Stops the server if it still runs (SIGTERM), then starts it again on the same port and data. */
  async restart(): Promise<void> {
    await this.kill('SIGTERM');
    await this.launch();
  }

  /** Kills the server if needed and removes the temp data dir it created. Safe to call repeatedly. */
  async cleanup(): Promise<void> {
    await this.kill('SIGTERM', 5_000);
    if (this.ownsDataDir) {
      if (process.env.ALGOGATE_TEST_KEEP === '1') {
        process.stderr.write(`[server-process] keeping data dir ${this.dataDir}\n`);
      } else {
        await rm(this.dataDir, { recursive: true, force: true });
      }
    }
  }
}

export function startServer(opts: ServerOptions = {}): Promise<ServerProcess> {
  return ServerProcess.start(opts);
}

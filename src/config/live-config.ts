// The running configuration: reloads algogate.yaml (file change, SIGHUP), applies hot settings in place,
// holds back the rest as "restart required", and persists API updates into the file keeping its comments.
import { existsSync, readFileSync, renameSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import { ConfigError, didYouMean, loadSettings, type Loaded, type Source } from './load.js';
import type { Setting } from './setting-kinds.js';
import { SETTINGS, getPath, type Config } from './settings.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the settings come from: the file (or none) and the environment captured at start. */
export interface ConfigSource {
  readonly file: string | null;
  readonly env: Env;
}

/** What a reload or an update changed. */
export interface ConfigChange {
  /** Hot keys now in effect. */
  readonly applied: readonly string[];
  /** Keys whose new value waits for a restart. */
  readonly restartRequired: readonly string[];
}

export interface LiveConfigLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type ChangeListener = (config: Config, changed: readonly string[]) => void;

/** One setting as GET /config/summary shows it. */
export interface SettingView {
  readonly value: unknown;
  readonly source: Source | 'runtime';
  readonly env: string;
  readonly hot: boolean;
  readonly secret: boolean;
  /** Value saved in the file or environment that waits for a restart. */
  readonly pendingRestart: boolean;
}

/** Thrown by `update` when the request itself is wrong (unknown keys, bad values, secrets). */
export class ConfigUpdateError extends Error {
  override readonly name = 'ConfigUpdateError';
  constructor(
    readonly kind: 'invalid' | 'conflict',
    readonly problems: readonly string[],
  ) {
    super(problems.join('; '));
  }
}

const ALL = SETTINGS as readonly Setting[];
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** `postgres://u:pw@h/db` -> `postgres://u:***@h/db`. */
function redactUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.password === '') return value;
    u.password = '***';
    return u.toString();
  } catch {
    return '***';
  }
}

/** A value safe to show: secrets as "***" (null when unset), URL passwords masked. */
export function redactedValue(s: Setting, value: unknown): unknown {
  if (s.secret) return value === null || value === undefined ? null : '***';
  if (s.kind === 'url' && typeof value === 'string') return redactUrl(value);
  return value;
}

/** Sets `key` in the running object, copying the objects on the way so readers never see a half update. */
function assignInPlace(root: Record<string, unknown>, key: string, value: unknown): void {
  const [head = '', ...rest] = key.split('.');
  if (rest.length === 0) {
    root[head] = value;
    return;
  }
  const child = { ...(root[head] as Record<string, unknown>) };
  assignInPlace(child, rest.join('.'), value);
  root[head] = child;
}

/** Flattens `{trading:{brokerTimeoutMs:1}}` and `{"trading.brokerTimeoutMs":1}` into setting keys. */
function flattenPatch(body: unknown, problems: string[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const keys = ALL.map((s) => s.key);
  const walk = (obj: unknown, prefix: string): void => {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      problems.push(
        `${prefix === '' ? 'body' : prefix} must be an object of settings, like {"logLevel":"warn"}`,
      );
      return;
    }
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      const path = prefix === '' ? k : `${prefix}.${k}`;
      if (keys.includes(path)) out.set(path, v);
      else if (keys.some((x) => x.startsWith(`${path}.`))) walk(v, path);
      else {
        const m = didYouMean(path, keys);
        problems.push(`unknown setting ${path}${m === null ? '' : ` (did you mean ${m}?)`}`);
      }
    }
  };
  walk(body, '');
  return out;
}

/** Sets `path` in a YAML document, turning an empty section (`trading:` with only comments) into a mapping. */
function setInDocument(doc: Document, path: readonly string[], value: unknown): void {
  for (let i = 1; i < path.length; i++) {
    const prefix = path.slice(0, i);
    const node = doc.getIn(prefix, true);
    if (node === undefined || isMap(node)) continue;
    const map = doc.createNode({});
    if (isScalar(node)) {
      if (node.comment !== undefined && node.comment !== null) map.comment = node.comment;
      if (node.commentBefore !== undefined && node.commentBefore !== null)
        map.commentBefore = node.commentBefore;
    }
    doc.setIn(prefix, map);
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    doc.contents = doc.createNode({});
  }
  doc.setIn(path, doc.createNode(value));
}

/**
 * Owns the one Config object the server was built with. Hot settings are replaced in that object (services
 * read them at use time); listeners hear about them; other changes are logged as "restart required".
 */
export class LiveConfig {
  private readonly root: Record<string, unknown>;
  private readonly listeners = new Set<{ keys: readonly string[] | null; fn: ChangeListener }>();
  /** What the sources said at start, and at the last reload. */
  private readonly initial: Loaded | null;
  private last: Loaded | null;
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;

  constructor(
    config: Config,
    readonly source: ConfigSource,
    private readonly log: LiveConfigLog,
  ) {
    if (Object.isFrozen(config))
      throw new Error('LiveConfig needs the server’s own (unfrozen) Config object');
    this.root = config;
    let loaded: Loaded | null = null;
    try {
      loaded = loadSettings({ env: source.env, file: source.file });
    } catch (e) {
      // The server was configured some other way (tests); reloads then compare against the running values.
      log.warn({ err: e instanceof Error ? e.message : String(e) }, 'configuration sources do not load');
    }
    this.initial = loaded;
    this.last = loaded;
  }

  /** The running configuration (the same object the services hold). */
  get current(): Config {
    return this.root as unknown as Config;
  }

  /** Calls `fn` after hot changes to any of `keys` (all keys when omitted). Returns an unsubscribe. */
  onChange(fn: ChangeListener, keys?: readonly string[]): () => void {
    const entry = { keys: keys ?? null, fn };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  private baseline(key: string): unknown {
    return this.last ? getPath(this.last.config, key) : getPath(this.root, key);
  }

  /** Applies what changed between the last sources and `next`; returns the hot and the held-back keys. */
  private apply(next: Loaded): ConfigChange {
    const applied: string[] = [];
    const held: string[] = [];
    for (const s of ALL) {
      const value = getPath(next.config, s.key);
      if (same(value, this.baseline(s.key))) continue;
      if (s.hotReload) {
        assignInPlace(this.root, s.key, value);
        applied.push(s.key);
      } else {
        held.push(s.key);
      }
    }
    this.last = next;
    for (const l of this.listeners) {
      const hit = l.keys === null ? applied : applied.filter((k) => l.keys?.includes(k));
      if (hit.length === 0) continue;
      try {
        l.fn(this.current, hit);
      } catch (e) {
        this.log.error({ err: e, keys: hit }, 'configuration listener failed');
      }
    }
    if (applied.length > 0) this.log.info({ keys: applied }, `configuration applied: ${applied.join(', ')}`);
    if (held.length > 0) this.log.warn({ keys: held }, `restart required: ${held.join(', ')}`);
    return { applied, restartRequired: held };
  }

  /**
   * Reads the sources again. An invalid file changes nothing: its problems are logged and returned.
   */
  reload():
    | { readonly ok: true; readonly change: ConfigChange }
    | { readonly ok: false; readonly problems: readonly string[] } {
    let next: Loaded;
    try {
      next = loadSettings({ env: this.source.env, file: this.source.file });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.log.error({ problems: e.problems }, 'configuration reload refused: the file is invalid');
      return { ok: false, problems: e.problems };
    }
    return { ok: true, change: this.apply(next) };
  }

  /** Keys whose saved value differs from the running one (they wait for a restart). */
  pendingRestart(): string[] {
    const last = this.last;
    if (last === null) return [];
    const before = (key: string): unknown =>
      this.initial ? getPath(this.initial.config, key) : getPath(this.root, key);
    return ALL.filter((s) => !s.hotReload && !same(getPath(last.config, s.key), before(s.key))).map(
      (s) => s.key,
    );
  }

  /** Every setting's running value (secrets redacted), where it came from, and whether it is hot. */
  summary(): { environment: string; file: string | null; settings: Record<string, SettingView> } {
    const pending = new Set(this.pendingRestart());
    const settings: Record<string, SettingView> = {};
    for (const s of ALL) {
      settings[s.key] = {
        value: redactedValue(s, getPath(this.root, s.key)),
        source: this.last?.sources.get(s.key) ?? 'runtime',
        env: s.env,
        hot: s.hotReload,
        secret: s.secret,
        pendingRestart: pending.has(s.key),
      };
    }
    return { environment: this.current.env, file: this.source.file, settings };
  }

  /**
   * Validates a partial settings object, writes it into the file (comments kept, atomic replace), applies
   * the hot keys and reports the ones that need a restart. Throws ConfigUpdateError listing every problem.
   */
  update(body: unknown): ConfigChange & { readonly keys: readonly string[] } {
    const problems: string[] = [];
    const patch = flattenPatch(body, problems);
    for (const [key, raw] of patch) {
      const s = ALL.find((x) => x.key === key);
      if (!s) continue;
      if (s.secret) {
        problems.push(`${key} is a secret: set it in the environment (${s.env}), not over the API`);
        continue;
      }
      const parsed = s.parse(raw);
      if (!parsed.ok) {
        for (const p of parsed.problems) {
          const shown = s.showValue && (typeof raw !== 'object' || raw === null) ? `=${String(raw)}` : '';
          problems.push(`${key}${p.at ?? shown} ${p.message}`);
        }
      }
    }
    if (problems.length === 0 && patch.size === 0) problems.push('no settings given');
    if (problems.length > 0) throw new ConfigUpdateError('invalid', problems);
    const file = this.source.file;
    if (file === null) {
      throw new ConfigUpdateError('conflict', [
        'the server runs without a configuration file: start it with --config <file> to change settings over the API',
      ]);
    }
    const envWins = [...patch.keys()]
      .map((k) => ALL.find((s) => s.key === k))
      .filter((s): s is Setting => s !== undefined && (this.source.env[s.env] ?? '') !== '')
      .map(
        (s) => `${s.key} is set by ${s.env} in the environment, which wins over the file; change it there`,
      );
    if (envWins.length > 0) throw new ConfigUpdateError('conflict', envWins);

    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const doc = parseDocument(text);
    for (const [key, raw] of patch) setInDocument(doc, key.split('.'), raw);
    const nextText = doc.toString();
    let next: Loaded;
    try {
      next = loadSettings({ env: this.source.env, file, fileText: nextText });
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigUpdateError('invalid', e.problems);
      throw e;
    }
    const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, nextText, { mode: 0o600 });
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      const why = e instanceof Error && 'code' in e ? String(e.code) : String(e);
      throw new ConfigUpdateError('conflict', [
        `cannot write the configuration file ${file} (${why}); nothing was changed`,
      ]);
    }
    const change = this.apply(next);
    return { ...change, keys: [...patch.keys()] };
  }

  /**
   * Calls `onChange` (default: reload) when the file changes (the directory is watched, so editors that replace the file are seen;
   * bursts of events within `debounceMs` make one reload).
   */
  watch(onChange: () => void = () => void this.reload(), debounceMs = 200): void {
    const file = this.source.file;
    if (file === null || this.watcher !== null) return;
    const name = basename(file);
    this.watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => {
        this.debounce = null;
        onChange();
      }, debounceMs);
    });
    this.watcher.on('error', (e) => this.log.warn({ err: e }, 'configuration file watch failed'));
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
  }
}

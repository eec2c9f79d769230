// Hostile input on /api/v1: SQL-injection, XSS, path-traversal and command-injection patterns in string fields,
// and a JSON nesting limit on every route.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { SecurityEventSink } from '../../ports/security-events.js';

/** Fields whose value is free text for people (allowed whatever it says, but still recorded). */
const FREE_TEXT = new Set([
  'remarks',
  'remark',
  'comment',
  'comments',
  'description',
  'note',
  'notes',
  'tag',
  'tags',
]);

/** Values made only of these characters cannot carry any pattern below (symbols, numbers, enums, keys). */
const PLAIN = /^[A-Za-z0-9_.:,+@=-]*$/;

const PATTERNS: readonly (readonly [string, RegExp])[] = [
  [
    'SQL injection',
    /('|")\s*(or|and)\s+['"\w]+\s*(=|<|>|like\b)|\bunion\b\s+(all\s+)?select\b|;\s*(drop|delete|insert|update|alter|create|truncate|exec)\b|\b(sleep|benchmark|pg_sleep)\s*\(|\bwaitfor\s+delay\b|'\s*(;|--|#)|\/\*.*\*\/|\bor\s+1\s*=\s*1\b/i,
  ],
  [
    'cross-site scripting',
    /<\s*\/?\s*[a-z!?]|javascript\s*:|vbscript\s*:|\bon[a-z]{3,}\s*=|&#x?[0-9a-f]+;?\s*(script|<)/i,
  ],
  ['path traversal', /\.\.[/\\]|[/\\]\.\.(?:[/\\]|$)|%2e%2e|%252e|\/etc\/(passwd|shadow)|[a-z]:\\windows\\/i],
  [
    'command injection',
    /[;|`]\s*(rm|cat|ls|curl|wget|nc|ncat|bash|sh|zsh|python\d?|perl|php|ruby|powershell|cmd|id|whoami|uname|chmod|chown|kill|sudo)\b|\$\([^)]*\)|`[^`]*`|\$\{[^}]*\}|&&\s*\S|\|\|\s*\S/i,
  ],
];

/** The kind of attack a string looks like, or null. */
export function hostileKind(value: string): string | null {
  if (PLAIN.test(value)) return null;
  for (const [kind, re] of PATTERNS) if (re.test(value)) return kind;
  return null;
}

interface Finding {
  readonly field: string;
  readonly kind: string;
  readonly freeText: boolean;
}

/** Walks every string in a parsed body / query (depth-first, bounded by the depth limit checked first). */
function scan(value: unknown, path: string, key: string, out: Finding[]): void {
  if (typeof value === 'string') {
    const kind = hostileKind(value);
    if (kind !== null) out.push({ field: path || 'body', kind, freeText: FREE_TEXT.has(key.toLowerCase()) });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      scan(v, `${path}[${i}]`, key, out);
    });
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // A hostile key name is as telling as a hostile value.
    const kk = hostileKind(k);
    if (kk !== null) out.push({ field: path ? `${path}.${k}` : k, kind: kk, freeText: false });
    scan(v, path ? `${path}.${k}` : k, k, out);
  }
}

/** Whether `value` nests deeper than `max` levels of objects/arrays (iterative: no stack to overflow). */
export function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (d > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>))
      if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return false;
}

export interface HostileInputDeps {
  readonly enabled: () => boolean;
  readonly maxDepth: () => number;
  readonly securityEvents: SecurityEventSink;
}

/** JSON depth limit for every route (root app). */
export function registerJsonDepthLimit(app: FastifyInstance, maxDepth: () => number): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const max = maxDepth();
    if (request.body !== null && typeof request.body === 'object' && deeperThan(request.body, max)) {
      done(new AppError('VALIDATION', `body: JSON nested deeper than ${max} levels`));
      return;
    }
    done();
  });
}

/** Pattern checks for the /api/v1 scope. */
export function registerHostileInputChecks(api: FastifyInstance, deps: HostileInputDeps): void {
  api.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    if (!deps.enabled()) {
      done();
      return;
    }
    const findings: Finding[] = [];
    scan(request.body, '', '', findings);
    scan(request.query, '', '', findings);
    scan(request.params, '', '', findings);
    if (findings.length === 0) {
      done();
      return;
    }
    for (const f of findings) {
      deps.securityEvents.record({
        type: 'hostile_input',
        severity: f.freeText ? 'low' : 'high',
        ip: request.clientIp,
        requestId: request.id,
        detail: {
          route: request.routeOptions.url ?? request.url.split('?')[0],
          field: f.field,
          kind: f.kind,
          rejected: !f.freeText,
        },
      });
    }
    const rejected = findings.find((f) => !f.freeText);
    if (rejected !== undefined) {
      done(new AppError('VALIDATION', `${rejected.field}: rejected, the value looks like ${rejected.kind}`));
      return;
    }
    done();
  });
}

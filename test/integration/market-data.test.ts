// The OpenAlgo market data, symbol and calendar endpoints over the paper exchange.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';

describe('market data API', () => {
  let t: TestApp;
  const post = (path: string, body: Record<string, unknown>) =>
    t.post(`/api/v1/${path}`, { apikey: t.apiKey, ...body });
  const get = async (url: string) => {
    const res = await t.server.app.inject({ method: 'GET', url: `/api/v1/${url}` });
    return { status: res.statusCode, text: res.body, headers: res.headers };
  };
  const history = (body: Record<string, unknown>) =>
    post('history', {
      symbol: 'SBIN',
      exchange: 'NSE',
      interval: '5m',
      start_date: '2026-11-20',
      end_date: '2026-11-23',
      ...body,
    });

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  describe('quotes and depth', () => {
    it('answers quotes with the documented fields', async () => {
      const r = await post('quotes', { symbol: 'SBIN', exchange: 'NSE' });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('success');
      for (const f of ['open', 'high', 'low', 'ltp', 'ask', 'bid', 'prev_close', 'volume', 'oi'])
        expect(typeof r.body.data[f]).toBe('number');
      expect(r.body.data.bid).toBeLessThanOrEqual(r.body.data.ask);
    });

    it('accepts a lower-case exchange', async () => {
      const r = await post('quotes', { symbol: 'SBIN', exchange: 'nse' });
      expect(r.status).toBe(200);
    });

    it('answers multiquotes per symbol, with an error entry for an unknown one', async () => {
      const r = await post('multiquotes', {
        symbols: [
          { symbol: 'SBIN', exchange: 'NSE' },
          { symbol: 'NIFTY', exchange: 'NSE_INDEX' },
          { symbol: 'NOPE', exchange: 'NSE' },
        ],
      });
      expect(r.status).toBe(200);
      expect(r.body.results).toHaveLength(3);
      expect(r.body.results[0]).toMatchObject({ symbol: 'SBIN', exchange: 'NSE' });
      expect(r.body.results[0].data.ltp).toBeGreaterThan(0);
      expect(r.body.results[2]).toEqual({
        symbol: 'NOPE',
        exchange: 'NSE',
        error: expect.stringMatching(/NOPE not found/),
      });
    });

    it('answers depth with five levels a side and totals', async () => {
      const r = await post('depth', { symbol: 'INFY', exchange: 'NSE' });
      expect(r.status).toBe(200);
      const d = r.body.data;
      expect(d.asks).toHaveLength(5);
      expect(d.bids).toHaveLength(5);
      expect(d.asks[0]).toEqual({ price: expect.any(Number), quantity: expect.any(Number) });
      expect(d.totalbuyqty).toBe(d.bids.reduce((a: number, l: { quantity: number }) => a + l.quantity, 0));
      for (const f of ['ltq', 'prev_close', 'volume', 'oi', 'totalsellqty']) expect(d).toHaveProperty(f);
    });

    it('fills a small MARKET BUY at the ask the quote shows at the same moment', async () => {
      const q = await post('quotes', { symbol: 'RELIANCE', exchange: 'NSE' });
      const o = await post('placeorder', {
        strategy: 'md',
        symbol: 'RELIANCE',
        exchange: 'NSE',
        action: 'BUY',
        quantity: 1,
        pricetype: 'MARKET',
        product: 'MIS',
      });
      expect(o.status).toBe(200);
      const s = await post('orderstatus', { strategy: 'md', orderid: o.body.orderid });
      expect(s.body.data.order_status).toBe('complete');
      expect(s.body.data.average_price).toBe(q.body.data.ask);
    });
  });

  describe('history and ticker', () => {
    it('advertises intervals in the documented groups', async () => {
      const r = await post('intervals', {});
      expect(r.status).toBe(200);
      expect(Object.keys(r.body.data).sort()).toEqual([
        'days',
        'hours',
        'minutes',
        'months',
        'seconds',
        'weeks',
      ]);
      expect(r.body.data.minutes).toContain('1m');
      expect(r.body.data.days).toEqual(['D']);
    });

    it('serves every advertised interval with consistent OHLC and epoch-second timestamps', async () => {
      const groups = (await post('intervals', {})).body.data as Record<string, string[]>;
      for (const interval of Object.values(groups).flat()) {
        const daily = ['D', 'W', 'M'].includes(interval);
        const r = await history({
          interval,
          start_date: daily ? '2026-01-01' : '2026-11-23',
          end_date: '2026-11-23',
        });
        expect(r.status, interval).toBe(200);
        expect(r.body.data.length, interval).toBeGreaterThan(0);
        let prev = 0;
        for (const c of r.body.data) {
          expect(Number.isInteger(c.timestamp) && c.timestamp < 1e11, interval).toBe(true);
          expect(c.timestamp, interval).toBeGreaterThan(prev);
          prev = c.timestamp;
          expect(c.low, interval).toBeLessThanOrEqual(Math.min(c.open, c.close));
          expect(c.high, interval).toBeGreaterThanOrEqual(Math.max(c.open, c.close));
          expect(c.oi, interval).toBe(0);
        }
      }
    });

    it('ends history on the live price', async () => {
      for (const [symbol, exchange] of [
        ['SBIN', 'NSE'],
        ['NIFTY', 'NSE_INDEX'],
      ]) {
        const q = await post('quotes', { symbol, exchange });
        for (const interval of ['1m', 'D']) {
          const r = await history({ symbol, exchange, interval });
          expect(r.body.data.at(-1).close, `${symbol} ${interval}`).toBe(q.body.data.ltp);
        }
      }
    });

    it('stamps daily bars at IST midnight and aligns intraday bars to the 09:15 open', async () => {
      const d = await history({ interval: 'D' });
      const istMidnight = (s: number) => (s + 19_800) % 86_400 === 0;
      expect(d.body.data.every((c: { timestamp: number }) => istMidnight(c.timestamp))).toBe(true);
      const m = await history({ interval: '15m', start_date: '2026-11-23' });
      expect(m.body.data[0].timestamp).toBe(Date.UTC(2026, 10, 23, 3, 45) / 1000);
    });

    it('gives derivatives open interest and indices no volume', async () => {
      const fut = await history({ symbol: 'NIFTY29DEC26FUT', exchange: 'NFO' });
      expect(fut.body.data[0].oi).toBeGreaterThan(0);
      const idx = await history({ symbol: 'NIFTY', exchange: 'NSE_INDEX' });
      expect(idx.body.data.every((c: { volume: number }) => c.volume === 0)).toBe(true);
    });

    it('builds the same candles for the same seed', async () => {
      const a = await history({ interval: '1h' });
      const other = await startTestApp();
      try {
        const b = await other.post('/api/v1/history', {
          apikey: other.apiKey,
          symbol: 'SBIN',
          exchange: 'NSE',
          interval: '1h',
          start_date: '2026-11-20',
          end_date: '2026-11-23',
        });
        expect(b.body.data).toEqual(a.body.data);
      } finally {
        await other.close();
      }
    });

    it('returns no candles for a range entirely in the future', async () => {
      const r = await history({ start_date: '2026-12-01', end_date: '2026-12-02' });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([]);
    });

    it('serves ticker as JSON and as AmiBroker text', async () => {
      const j = await get(`ticker/NSE:SBIN?apikey=${t.apiKey}&interval=5m&from=2026-11-23&to=2026-11-23`);
      expect(j.status).toBe(200);
      const body = JSON.parse(j.text);
      expect(body.status).toBe('success');
      expect(body.data[0]).toMatchObject({ timestamp: Date.UTC(2026, 10, 23, 3, 45) / 1000 });
      const txt = await get(`ticker/NSE:SBIN?apikey=${t.apiKey}&interval=D&format=txt&from=1795000000`);
      expect(txt.status).toBe(200);
      expect(txt.headers['content-type']).toMatch(/^text\/plain/);
      expect(txt.text.trim().split('\n').at(-1)).toMatch(/^SBIN,2026-11-23,00:00:00,[\d.]+,/);
    });

    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['an unknown interval', { interval: '7m' }, /interval: must be one of/],
      ['end before start', { start_date: '2026-11-23', end_date: '2026-11-20' }, /before start_date/],
      ['a bad date format', { start_date: '23-11-2026' }, /start_date: must match pattern/],
      ['an impossible date', { end_date: '2026-02-30' }, /end_date: must be a date in YYYY-MM-DD/],
      ['an intraday range over 30 days', { start_date: '2026-09-01' }, /at most 30 days/],
      ['a daily range over 10 years', { interval: 'D', start_date: '2000-01-01' }, /at most 3660 days/],
      ['an unknown symbol', { symbol: 'NOPE' }, /NOPE not found/],
      ['a missing interval', { interval: undefined }, /interval: is required/],
    ];
    for (const [what, body, message] of bad) {
      it(`rejects history with ${what}`, async () => {
        const r = await history(body);
        expect(r.status).toBe(400);
        expect(r.body).toEqual({ status: 'error', message: expect.stringMatching(message) });
      });
    }

    it('rejects a ticker for an unknown exchange or bad range', async () => {
      const ex = await get(`ticker/NASDAQ:AAPL?apikey=${t.apiKey}`);
      expect(ex.status).toBe(400);
      expect(JSON.parse(ex.text).message).toMatch(/exchange: must be one of/);
      const range = await get(`ticker/NSE:SBIN?apikey=${t.apiKey}&from=2026-11-23&to=2026-11-01`);
      expect(range.status).toBe(400);
      expect(JSON.parse(range.text).message).toMatch(/to 2026-11-01 is before from 2026-11-23/);
    });
  });

  describe('symbols, search, expiries and instruments', () => {
    it('looks up a symbol with the master fields', async () => {
      const r = await post('symbol', { symbol: 'NIFTY29DEC26FUT', exchange: 'NFO' });
      expect(r.status).toBe(200);
      expect(r.body.data).toMatchObject({
        symbol: 'NIFTY29DEC26FUT',
        brsymbol: 'NIFTY29DEC26FUT',
        exchange: 'NFO',
        name: 'NIFTY',
        instrumenttype: 'FUT',
        expiry: '29-DEC-26',
        lotsize: 65,
        tick_size: 0.05,
        token: expect.any(String),
      });
    });

    it('answers an unknown symbol or exchange with a 4xx naming it', async () => {
      const s = await post('symbol', { symbol: 'NOPE', exchange: 'NSE' });
      expect(s.status).toBe(400);
      expect(s.body).toEqual({
        status: 'error',
        message: expect.stringMatching(/NOPE not found on exchange NSE/),
      });
      const e = await post('quotes', { symbol: 'SBIN', exchange: 'NYSE' });
      expect(e.status).toBe(400);
      expect(e.body.message).toMatch(/exchange: must be one of/);
      const m = await post('quotes', { exchange: 'NSE' });
      expect(m.status).toBe(400);
      expect(m.body.message).toMatch(/symbol: is required/);
    });

    it('searches free text by base, strike, month and option type', async () => {
      const r = await post('search', { query: 'NIFTY 26000 DEC CE' });
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeGreaterThan(0);
      expect(r.body.message).toBe(`Found ${r.body.data.length} matching symbols`);
      for (const row of r.body.data) {
        expect(row.symbol).toMatch(/^NIFTY\d{2}DEC2626000CE$/);
        expect(row.strike).toBe(26000);
      }
    });

    it('filters search by exchange and caps the result count', async () => {
      const r = await post('search', { query: 'reliance', exchange: 'NSE' });
      expect(r.body.data.map((x: { symbol: string }) => x.symbol)).toEqual(['RELIANCE']);
      const wide = await post('search', { query: 'NIFTY' });
      expect(wide.body.data).toHaveLength(100);
      expect(wide.body.data[0].symbol).toBe('NIFTY');
    });

    it('lists expiries sorted as DD-MMM-YY', async () => {
      const r = await post('expiry', { symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'options' });
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeGreaterThan(1);
      for (const d of r.body.data) expect(d).toMatch(/^\d{2}-[A-Z]{3}-\d{2}$/);
      const iso = r.body.data.map(
        (d: string) => new Date(`${d.slice(3, 6)} ${d.slice(0, 2)} 20${d.slice(7)}`),
      );
      expect([...iso].sort((a, b) => a.getTime() - b.getTime())).toEqual(iso);
      const fut = await post('expiry', { symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'futures' });
      expect(fut.body.data).toContain('29-DEC-26');
    });

    it('rejects expiry for a cash exchange, a bad type or an unknown underlying', async () => {
      const cash = await post('expiry', { symbol: 'NIFTY', exchange: 'NSE', instrumenttype: 'options' });
      expect(cash.status).toBe(400);
      expect(cash.body.message).toMatch(/exchange: must be one of: NFO/);
      const type = await post('expiry', { symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'swaps' });
      expect(type.status).toBe(400);
      expect(type.body.message).toMatch(/instrumenttype: must be one of: futures, options/);
      const none = await post('expiry', { symbol: 'NOPE', exchange: 'NFO', instrumenttype: 'futures' });
      expect(none.status).toBe(404);
      expect(none.body.message).toMatch(/NOPE/);
    });

    it('downloads instruments as JSON and as a CSV attachment', async () => {
      const j = await get(`instruments?apikey=${t.apiKey}&exchange=NSE`);
      expect(j.status).toBe(200);
      const rows = JSON.parse(j.text).data;
      expect(rows.length).toBe(50);
      expect(rows[0]).toHaveProperty('symbol');
      const c = await get(`instruments?apikey=${t.apiKey}&exchange=NFO&format=csv`);
      expect(c.status).toBe(200);
      expect(c.headers['content-type']).toMatch(/^text\/csv/);
      expect(c.headers['content-disposition']).toBe('attachment; filename="instruments_NFO.csv"');
      const lines = c.text.trim().split('\n');
      expect(lines[0]).toBe(
        'symbol,brsymbol,name,exchange,brexchange,token,expiry,strike,lotsize,instrumenttype,tick_size',
      );
      expect(lines.length).toBeGreaterThan(1000);
    });

    it('refuses instruments without an API key', async () => {
      const r = await get('instruments?exchange=NSE');
      expect([401, 403]).toContain(r.status);
      expect(JSON.parse(r.text).status).toBe('error');
    });
  });

  describe('market calendar', () => {
    it('lists holidays of a year with epoch-ms sessions', async () => {
      const r = await post('market/holidays', { year: 2026 });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'success', year: 2026, timezone: 'Asia/Kolkata' });
      const holi = r.body.data.find((h: { date: string }) => h.date === '2026-03-03');
      expect(holi).toMatchObject({ description: 'Holi', holiday_type: 'TRADING_HOLIDAY' });
      expect(holi.closed_exchanges).toContain('NSE');
      expect(holi.open_exchanges[0]).toMatchObject({ exchange: 'MCX', start_time: expect.any(Number) });
      expect(holi.open_exchanges[0].start_time).toBeGreaterThan(1e12);
    });

    it('rejects a year outside 2020-2050', async () => {
      const r = await post('market/holidays', { year: 2019 });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/year: must be >= 2020/);
    });

    it('gives the day timings, and none on a full holiday', async () => {
      const r = await post('market/timings', { date: '2026-11-23' });
      expect(r.status).toBe(200);
      const nse = r.body.data.find((s: { exchange: string }) => s.exchange === 'NSE');
      expect(nse).toEqual({
        exchange: 'NSE',
        start_time: Date.UTC(2026, 10, 23, 3, 45),
        end_time: Date.UTC(2026, 10, 23, 10, 0),
      });
      const xmas = await post('market/timings', { date: '2026-12-25' });
      expect(xmas.body).toEqual({ status: 'success', data: [] });
    });

    it('rejects a missing or malformed timings date', async () => {
      const missing = await post('market/timings', {});
      expect(missing.status).toBe(400);
      expect(missing.body.message).toMatch(/date: is required/);
      const bad = await post('market/timings', { date: '2026-13-01' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/date: must be a date in YYYY-MM-DD/);
    });
  });
});

// The OpenAlgo options endpoints over the paper exchange: symbols by offset, chains, greeks, options orders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';
import { ManualClock } from '../support/manual-clock.js';

/** Monday 23 Nov 2026 15:25 IST: five minutes before the NIFTY expiry (moved from the 24th, a holiday). */
const FIVE_MINUTES_BEFORE_EXPIRY = Date.UTC(2026, 10, 23, 9, 55, 0);

function isFiniteNumber(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

describe('options API', () => {
  let t: TestApp;
  let expiry: string;
  const post = (path: string, body: Record<string, unknown>) =>
    t.post(`/api/v1/${path}`, { apikey: t.apiKey, ...body });
  const nifty = (body: Record<string, unknown> = {}) =>
    post('optionsymbol', {
      underlying: 'NIFTY',
      exchange: 'NSE_INDEX',
      expiry_date: expiry,
      offset: 'ATM',
      option_type: 'CE',
      ...body,
    });

  const strikeOf = (symbol: string): number => Number(symbol.slice(`NIFTY${expiry}`.length, -2));

  beforeAll(async () => {
    t = await startTestApp();
    const e = await post('expiry', { symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'options' });
    expiry = (e.body.data as string[])[1]?.replace(/-/g, '') ?? '';
  });
  afterAll(async () => t.close());

  describe('optionsymbol', () => {
    it('answers the documented fields for the ATM contract', async () => {
      const r = await nifty();
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        status: 'success',
        symbol: expect.stringMatching(new RegExp(`^NIFTY${expiry}\\d+CE$`)),
        exchange: 'NFO',
        lotsize: 65,
        tick_size: 0.05,
        freeze_qty: 1800,
        underlying_ltp: expect.any(Number),
      });
    });

    it('picks the listed strike nearest the underlying LTP as ATM', async () => {
      const r = await nifty();
      const strike = strikeOf(r.body.symbol as string);
      expect(Math.abs(strike - r.body.underlying_ltp)).toBeLessThanOrEqual(25);
    });

    it('puts ITM1 CE one strike below ATM and ITM1 PE one strike above', async () => {
      const atm = strikeOf((await nifty()).body.symbol as string);
      const ce = await nifty({ offset: 'ITM1' });
      const pe = await nifty({ offset: 'itm1', option_type: 'pe' });
      expect(ce.body.symbol).toBe(`NIFTY${expiry}${atm - 50}CE`);
      expect(pe.body.symbol).toBe(`NIFTY${expiry}${atm + 50}PE`);
      const otm = await nifty({ offset: 'OTM2', option_type: 'PE' });
      expect(otm.body.symbol).toBe(`NIFTY${expiry}${atm - 100}PE`);
    });

    it('resolves with strike_int and from a future that names its expiry', async () => {
      const r = await nifty({ strike_int: 100 });
      expect(r.status).toBe(200);
      expect(strikeOf(r.body.symbol as string) % 100).toBe(0);
      const futs = await post('expiry', { symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'futures' });
      const monthly = (futs.body.data as string[])[0]?.replace(/-/g, '') ?? '';
      const f = await post('optionsymbol', {
        underlying: `NIFTY${monthly}FUT`,
        exchange: 'NFO',
        offset: 'ATM',
        option_type: 'PE',
      });
      expect(f.status).toBe(200);
      expect(f.body.symbol).toMatch(new RegExp(`^NIFTY${monthly}\\d+PE$`));
    });

    it('rejects offsets out of range or malformed, naming the field', async () => {
      for (const offset of ['OTM51', 'XYZ', 'ATM1', 'ITM0', 'ITM01']) {
        const r = await nifty({ offset });
        expect(r.status, offset).toBe(400);
        expect(r.body.message, offset).toMatch(/offset: must be ATM, ITM1\.\.ITM50 or OTM1\.\.OTM50/);
      }
      const beyond = await nifty({ offset: 'OTM50' });
      expect(beyond.status).toBe(400);
      expect(beyond.body.message).toMatch(/offset: OTM50 is beyond/);
    });

    it('rejects an unknown underlying, a bad expiry format and an unlisted expiry', async () => {
      const unknown = await nifty({ underlying: 'NOPE' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toMatch(/NOPE not found/);
      const bad = await nifty({ expiry_date: '2026/11/24' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/expiry_date: must be a date in DDMMMYY format/);
      const unlisted = await nifty({ expiry_date: '01JAN27' });
      expect(unlisted.status).toBe(400);
      expect(unlisted.body.message).toMatch(/expiry_date: no NIFTY options expire on 01JAN27/);
      const missing = await nifty({ expiry_date: undefined });
      expect(missing.status).toBe(400);
      expect(missing.body.message).toMatch(/expiry_date: is required/);
    });
  });

  describe('optionchain and syntheticfuture', () => {
    it('answers strike_count strikes each side with labels and greeks', async () => {
      const r = await post('optionchain', {
        underlying: 'NIFTY',
        exchange: 'NSE_INDEX',
        expiry_date: expiry,
        strike_count: 3,
        with_greeks: true,
        interest_rate: 6.5,
      });
      expect(r.status).toBe(200);
      const b = r.body;
      expect(b).toMatchObject({
        status: 'success',
        underlying: 'NIFTY',
        expiry_date: expiry,
        quotes_included: true,
        greeks_included: true,
      });
      for (const f of ['underlying_ltp', 'underlying_prev_close', 'atm_strike', 'forward_price', 'expiry_ts'])
        expect(isFiniteNumber(b[f]), f).toBe(true);
      expect(b.chain).toHaveLength(7);
      const atmRow = b.chain[3];
      expect(atmRow.strike).toBe(b.atm_strike);
      expect(atmRow.ce.label).toBe('ATM');
      expect(b.chain[0].ce.label).toBe('ITM3');
      expect(b.chain[0].pe.label).toBe('OTM3');
      expect(b.chain[6].ce.label).toBe('OTM3');
      expect(b.chain[6].pe.label).toBe('ITM3');
      for (const row of b.chain)
        for (const side of [row.ce, row.pe]) {
          for (const f of [
            'ltp',
            'bid',
            'ask',
            'lotsize',
            'tick_size',
            'implied_volatility',
            'delta',
            'gamma',
          ])
            expect(isFiniteNumber(side[f]), `${side.symbol} ${f}`).toBe(true);
        }
      expect(atmRow.ce.delta).toBeGreaterThan(0.3);
      expect(atmRow.pe.delta).toBeLessThan(-0.3);
    });

    it('returns the full chain when strike_count is omitted and rejects one out of range', async () => {
      const full = await post('optionchain', {
        underlying: 'NIFTY',
        exchange: 'NSE_INDEX',
        expiry_date: expiry,
      });
      expect(full.status).toBe(200);
      expect(full.body.chain.length).toBe(81);
      expect(full.body.chain[0].ce).not.toHaveProperty('delta');
      for (const strike_count of [0, 101]) {
        const r = await post('optionchain', {
          underlying: 'NIFTY',
          exchange: 'NSE_INDEX',
          expiry_date: expiry,
          strike_count,
        });
        expect(r.status).toBe(400);
        expect(r.body.message).toMatch(/strike_count/);
      }
    });

    it('prices the synthetic future as ATM strike + CE − PE near the index', async () => {
      const r = await post('syntheticfuture', {
        underlying: 'NIFTY',
        exchange: 'NSE_INDEX',
        expiry_date: expiry,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'success', underlying: 'NIFTY', expiry });
      expect(Math.abs(r.body.synthetic_future_price - r.body.underlying_ltp)).toBeLessThan(
        r.body.underlying_ltp * 0.02,
      );
    });
  });

  describe('optiongreeks', () => {
    it('answers the documented fields with finite greeks for ATM, deep ITM and deep OTM', async () => {
      const chain = await post('optionchain', {
        underlying: 'NIFTY',
        exchange: 'NSE_INDEX',
        expiry_date: expiry,
      });
      const rows = chain.body.chain as { ce: { symbol: string }; pe: { symbol: string } }[];
      const picks = [rows[0]?.ce, rows[0]?.pe, rows[40]?.ce, rows[80]?.ce, rows[80]?.pe];
      for (const p of picks) {
        const r = await post('optiongreeks', { symbol: p?.symbol, exchange: 'NFO', interest_rate: 6.5 });
        expect(r.status, p?.symbol).toBe(200);
        expect(r.body).toMatchObject({
          status: 'success',
          symbol: p?.symbol,
          exchange: 'NFO',
          underlying: 'NIFTY',
        });
        for (const f of ['strike', 'days_to_expiry', 'spot_price', 'option_price', 'implied_volatility'])
          expect(isFiniteNumber(r.body[f]), `${p?.symbol} ${f}`).toBe(true);
        for (const g of ['delta', 'gamma', 'theta', 'vega', 'rho'])
          expect(isFiniteNumber(r.body.greeks[g]), `${p?.symbol} ${g}`).toBe(true);
      }
    });

    it('gives a clear 400 when the option price is below its intrinsic value', async () => {
      const atm = await nifty();
      const r = await post('optiongreeks', {
        symbol: atm.body.symbol,
        exchange: 'NFO',
        forward_price: Number(atm.body.underlying_ltp) + 5000,
      });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/below its discounted intrinsic value/);
    });

    it('rejects a non-option, a bad expiry_time and an out-of-range interest rate', async () => {
      const fut = await post('optiongreeks', { symbol: 'SBIN', exchange: 'NFO' });
      expect(fut.status).toBe(400);
      const atm = await nifty();
      const time = await post('optiongreeks', {
        symbol: atm.body.symbol,
        exchange: 'NFO',
        expiry_time: '25:00',
      });
      expect(time.status).toBe(400);
      expect(time.body.message).toMatch(/expiry_time/);
      const rate = await post('optiongreeks', {
        symbol: atm.body.symbol,
        exchange: 'NFO',
        interest_rate: 101,
      });
      expect(rate.status).toBe(400);
      expect(rate.body.message).toMatch(/interest_rate/);
    });

    it('answers multioptiongreeks per symbol with a summary', async () => {
      const atm = await nifty();
      const r = await post('multioptiongreeks', {
        symbols: [
          { symbol: atm.body.symbol, exchange: 'NFO' },
          { symbol: 'NIFTY01JAN2799999CE', exchange: 'NFO' },
        ],
      });
      expect(r.status).toBe(200);
      expect(r.body.summary).toEqual({ total: 2, success: 1, failed: 1 });
      expect(r.body.data[0]).toMatchObject({ status: 'success', symbol: atm.body.symbol });
      expect(r.body.data[1]).toMatchObject({ status: 'error', message: expect.stringMatching(/not found/) });
    });
  });

  describe('optionsorder and optionsmultiorder', () => {
    it('places the resolved contract and orderstatus shows it', async () => {
      const expected = await nifty({ offset: 'OTM1' });
      const r = await post('optionsorder', {
        strategy: 'opt',
        underlying: 'NIFTY',
        exchange: 'NSE_INDEX',
        expiry_date: expiry,
        offset: 'OTM1',
        option_type: 'CE',
        action: 'BUY',
        quantity: 65,
        pricetype: 'MARKET',
        product: 'MIS',
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        status: 'success',
        orderid: expect.any(String),
        symbol: expected.body.symbol,
        exchange: 'NFO',
        underlying: 'NIFTY',
        offset: 'OTM1',
        option_type: 'CE',
      });
      const s = await post('orderstatus', { strategy: 'opt', orderid: r.body.orderid });
      expect(s.status).toBe(200);
      expect(s.body.data).toMatchObject({ symbol: expected.body.symbol, exchange: 'NFO', quantity: 65 });
    });

    it('splits an options order when splitsize is set', async () => {
      const r = await post('optionsorder', {
        strategy: 'opt',
        underlying: 'NIFTY',
        exchange: 'NSE_INDEX',
        expiry_date: expiry,
        offset: 'ATM',
        option_type: 'PE',
        action: 'BUY',
        quantity: 130,
        splitsize: 65,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'success', total_quantity: 130, split_size: 65 });
      expect(r.body.results).toHaveLength(2);
    });

    it('places BUY legs before SELL legs and reports a bad leg without stopping the others', async () => {
      const r = await post('optionsmultiorder', {
        strategy: 'opt',
        underlying: 'NIFTY',
        exchange: 'NSE_INDEX',
        expiry_date: expiry,
        legs: [
          { offset: 'ATM', option_type: 'CE', action: 'SELL', quantity: 65 },
          { offset: 'OTM2', option_type: 'CE', action: 'BUY', quantity: 65 },
          { offset: 'OTM49', option_type: 'PE', action: 'BUY', quantity: 65 },
        ],
      });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('success');
      expect(isFiniteNumber(r.body.underlying_ltp)).toBe(true);
      expect(r.body.results.map((x: { leg: number }) => x.leg)).toEqual([2, 3, 1]);
      expect(r.body.results[0]).toMatchObject({ status: 'success', action: 'BUY', offset: 'OTM2' });
      expect(r.body.results[1]).toMatchObject({
        status: 'error',
        message: expect.stringMatching(/offset: OTM49/),
      });
      expect(r.body.results[2]).toMatchObject({
        status: 'success',
        action: 'SELL',
        orderid: expect.any(String),
      });
    });

    it('rejects an invalid offset on optionsorder with a 400', async () => {
      const r = await post('optionsorder', {
        strategy: 'opt',
        underlying: 'NIFTY',
        exchange: 'NSE_INDEX',
        expiry_date: expiry,
        offset: 'OTM51',
        option_type: 'CE',
        action: 'BUY',
        quantity: 65,
      });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/offset/);
    });
  });
});

describe('options greeks minutes before expiry', () => {
  let t: TestApp;
  const post = (path: string, body: Record<string, unknown>) =>
    t.post(`/api/v1/${path}`, { apikey: t.apiKey, ...body });

  beforeAll(async () => {
    t = await startTestApp({ clock: new ManualClock(FIVE_MINUTES_BEFORE_EXPIRY) });
  });
  afterAll(async () => t.close());

  it('keeps every chain greek finite for deep ITM and OTM strikes', async () => {
    const r = await post('optionchain', {
      underlying: 'NIFTY',
      exchange: 'NSE_INDEX',
      expiry_date: '23NOV26',
      with_greeks: true,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    let solved = 0;
    for (const row of r.body.chain)
      for (const side of [row.ce, row.pe]) {
        for (const f of ['implied_volatility', 'delta', 'gamma', 'theta', 'vega']) {
          const v = side[f];
          expect(v === null || isFiniteNumber(v), `${side.symbol} ${f}`).toBe(true);
        }
        if (side.delta !== null) solved += 1;
      }
    expect(solved).toBe(r.body.chain.length * 2);
    const g = await post('optiongreeks', { symbol: r.body.chain[0].ce.symbol, exchange: 'NFO' });
    expect(g.status).toBe(200);
    expect(g.body.days_to_expiry).toBeCloseTo(5 / 1440, 4);
  });
});

// /api/v1 market data routes: quotes, depth, history, ticker, intervals, symbols, expiries, instruments,
// and the exchange calendar.
import type { FastifyInstance } from 'fastify';
import { INTERVAL_GROUPS, isPeriod, type Interval } from '../../domain/candle-interval.js';
import { AppError } from '../../domain/errors.js';
import { EXCHANGES, type Exchange } from '../../domain/instrument.js';
import { formatExpiryDashed } from '../../domain/symbology.js';
import { istDate } from '../../domain/market-calendar.js';
import type { MarketDataService } from '../../services/market-data.service.js';
import { KeyOnly } from './schemas.js';
import {
  ExpiryBody,
  HistoryBody,
  HolidaysBody,
  InstrumentsQuery,
  MultiQuotesBody,
  SearchBody,
  SymbolBody,
  TickerQuery,
  TimingsBody,
} from './market-data.schemas.js';
import {
  candleRow,
  candlesText,
  depthData,
  instrumentsCsv,
  quoteData,
  symbolRow,
} from './market-data.wire.js';

export interface MarketDataRouteDeps {
  readonly marketData: MarketDataService;
}

/** Default look-back of `/ticker` when `from` is omitted, in days. */
const TICKER_DEFAULT_DAYS = { seconds: 0, intraday: 5, daily: 365 } as const;

/** A `/ticker` bound: a date, or epoch seconds (10 digits) / milliseconds (13 digits), as an IST date. */
function tickerDate(field: string, value: string): string {
  if (!/^\d+$/.test(value)) return value;
  const ms = value.length >= 13 ? Number(value) : Number(value) * 1000;
  if (!Number.isFinite(ms)) throw new AppError('VALIDATION', `${field}: not a valid epoch: ${value}`);
  return istDate(ms);
}

/** `NSE:SBIN` (or a bare `SBIN`, meaning NSE) as exchange and symbol. */
function tickerSymbol(exchsym: string): { exchange: Exchange; symbol: string } {
  const at = exchsym.indexOf(':');
  const exchange = (at < 0 ? 'NSE' : exchsym.slice(0, at)).trim().toUpperCase();
  const symbol = (at < 0 ? exchsym : exchsym.slice(at + 1)).trim().toUpperCase();
  if (!(EXCHANGES as readonly string[]).includes(exchange))
    throw new AppError('VALIDATION', `exchange: must be one of: ${EXCHANGES.join(', ')}`);
  if (symbol === '') throw new AppError('VALIDATION', 'symbol: is required (EXCHANGE:SYMBOL)');
  return { exchange: exchange as Exchange, symbol };
}

function defaultLookback(interval: Interval): number {
  if (isPeriod(interval)) return TICKER_DEFAULT_DAYS.daily;
  return interval.endsWith('s') ? TICKER_DEFAULT_DAYS.seconds : TICKER_DEFAULT_DAYS.intraday;
}

export function registerMarketDataRoutes(app: FastifyInstance, deps: MarketDataRouteDeps): void {
  const read = { config: { scope: 'read' as const } };
  const md = deps.marketData;

  app.post('/quotes', { ...read, schema: { body: SymbolBody } }, (request) => {
    const b = request.body as SymbolBody;
    return { status: 'success', data: quoteData(md.quote(b.exchange, b.symbol)) };
  });

  app.post('/multiquotes', { ...read, schema: { body: MultiQuotesBody } }, (request) => {
    const b = request.body as MultiQuotesBody;
    const results = md
      .quotes(b.symbols)
      .map((r) =>
        'quote' in r
          ? { symbol: r.symbol, exchange: r.exchange, data: quoteData(r.quote) }
          : { symbol: r.symbol, exchange: r.exchange, error: r.error },
      );
    return { status: 'success', results };
  });

  app.post('/depth', { ...read, schema: { body: SymbolBody } }, (request) => {
    const b = request.body as SymbolBody;
    return { status: 'success', data: depthData(md.quote(b.exchange, b.symbol)) };
  });

  app.post('/history', { ...read, schema: { body: HistoryBody } }, (request) => {
    const b = request.body as HistoryBody;
    const candles = md.candles({
      exchange: b.exchange,
      symbol: b.symbol,
      interval: b.interval,
      from: b.start_date,
      to: b.end_date,
    });
    return { status: 'success', data: candles.map(candleRow) };
  });

  app.post('/intervals', { ...read, schema: { body: KeyOnly } }, () => ({
    status: 'success',
    data: INTERVAL_GROUPS,
  }));

  app.get<{ Params: { exchsym: string } }>(
    '/ticker/:exchsym',
    { ...read, schema: { querystring: TickerQuery } },
    (request, reply) => {
      const q = request.query as TickerQuery;
      const { exchange, symbol } = tickerSymbol(request.params.exchsym);
      const interval = q.interval ?? 'D';
      const to = q.to === undefined ? md.today() : tickerDate('to', q.to);
      const from =
        q.from === undefined ? md.daysBefore(to, defaultLookback(interval)) : tickerDate('from', q.from);
      const candles = md.candles({ exchange, symbol, interval, from, to, names: ['from', 'to'] });
      if (q.format === 'txt')
        return reply.type('text/plain; charset=utf-8').send(candlesText(symbol, candles));
      return { status: 'success', data: candles.map(candleRow) };
    },
  );

  app.post('/symbol', { ...read, schema: { body: SymbolBody } }, (request) => {
    const b = request.body as SymbolBody;
    return { status: 'success', data: symbolRow(md.instrument(b.exchange, b.symbol)) };
  });

  app.post('/search', { ...read, schema: { body: SearchBody } }, (request) => {
    const b = request.body as SearchBody;
    const rows = md.search(b.query, b.exchange).map(symbolRow);
    return { status: 'success', message: `Found ${rows.length} matching symbols`, data: rows };
  });

  app.post('/expiry', { ...read, schema: { body: ExpiryBody } }, (request) => {
    const b = request.body as ExpiryBody;
    const dates = md.expiries(b.symbol, b.exchange, b.instrumenttype).map(formatExpiryDashed);
    return {
      status: 'success',
      message: `Found ${dates.length} expiry dates for ${b.symbol.toUpperCase()} ${b.instrumenttype} in ${b.exchange}`,
      data: dates,
    };
  });

  app.get('/instruments', { ...read, schema: { querystring: InstrumentsQuery } }, (request, reply) => {
    const q = request.query as InstrumentsQuery;
    const rows = md.list(q.exchange);
    if (q.format === 'csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="instruments_${q.exchange ?? 'ALL'}.csv"`)
        .send(instrumentsCsv(rows));
    }
    return { status: 'success', message: `Found ${rows.length} instruments`, data: rows.map(symbolRow) };
  });

  app.post('/market/holidays', { ...read, schema: { body: HolidaysBody } }, (request) => {
    const year = (request.body as HolidaysBody).year ?? Number(md.today().slice(0, 4));
    const data = md.holidays(year).map((h) => ({
      date: h.date,
      description: h.description,
      holiday_type: h.holidayType,
      closed_exchanges: h.closedExchanges,
      open_exchanges: h.openExchanges.map((o) => ({
        exchange: o.exchange,
        start_time: o.start,
        end_time: o.end,
      })),
    }));
    return { status: 'success', year, timezone: 'Asia/Kolkata', data };
  });

  app.post('/market/timings', { ...read, schema: { body: TimingsBody } }, (request) => {
    const data = md
      .timings((request.body as TimingsBody).date)
      .map((s) => ({ exchange: s.exchange, start_time: s.start, end_time: s.end }));
    return { status: 'success', data };
  });
}

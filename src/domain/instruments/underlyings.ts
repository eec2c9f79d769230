// Static data of the bundled master: NIFTY 50 stocks and the main NSE/BSE indices with their F&O parameters.
//
// Reference prices are rounded levels of early 2026, used only to seed the paper market and to centre strike
// ladders. Lot sizes follow NSE's lot revisions in force for 2026 contracts (index lots from the NSE circular
// of October 2025; stock lots from the periodic reviews up to October 2025). `id` values are permanent: they
// are the prefix of every token derived from the underlying, so entries are appended, never renumbered.

/** One NIFTY 50 constituent, listed on both NSE and BSE, with stock F&O on NFO. */
export interface StockRow {
  /** Permanent numeric id (201-299), prefix of its tokens. */
  readonly id: number;
  readonly symbol: string;
  readonly name: string;
  /** F&O market lot. */
  readonly lotSize: number;
  /** Reference price in rupees. */
  readonly price: number;
  /** Annualised volatility used by the simulator (0.25 = 25%). */
  readonly vol: number;
}

/** Index derivative parameters. */
export interface IndexDerivatives {
  /** Derivative exchange (NFO for NSE indices, BFO for BSE indices). */
  readonly exchange: 'NFO' | 'BFO';
  readonly lotSize: number;
  /** Strike interval in rupees. */
  readonly strikeStep: number;
  /** Strikes listed on each side of the at-the-money strike. */
  readonly strikesEachSide: number;
  /** Weekly options in addition to the monthly series. */
  readonly weekly: boolean;
  /** Exchange quantity freeze limit in units, when known. */
  readonly freezeQty: number | null;
}

/** One index on NSE_INDEX or BSE_INDEX. */
export interface IndexRow {
  /** Permanent numeric id (101-199), prefix of its tokens. */
  readonly id: number;
  readonly exchange: 'NSE_INDEX' | 'BSE_INDEX';
  readonly symbol: string;
  readonly name: string;
  readonly price: number;
  readonly vol: number;
  /** Quote increment in rupees (index values move in 0.05; India VIX in 0.0025). */
  readonly tick: number;
  readonly derivatives: IndexDerivatives | null;
}

const nfo = (lotSize: number, strikeStep: number, strikesEachSide: number, freezeQty: number | null) =>
  ({ exchange: 'NFO', lotSize, strikeStep, strikesEachSide, weekly: false, freezeQty }) as const;

// Freeze limits: NSE circular effective 2025-09-01 (BANKNIFTY 900, NIFTY/FINNIFTY 1800, MIDCPNIFTY 2800,
// NIFTYNXT50 600). BSE's limits are left null: not verified.
export const INDICES: readonly IndexRow[] = [
  {
    id: 101,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTY',
    name: 'NIFTY 50',
    price: 25800,
    vol: 0.13,
    tick: 0.05,
    derivatives: { ...nfo(65, 50, 40, 1800), weekly: true },
  },
  {
    id: 102,
    exchange: 'NSE_INDEX',
    symbol: 'BANKNIFTY',
    name: 'NIFTY BANK',
    price: 59500,
    vol: 0.15,
    tick: 0.05,
    derivatives: nfo(30, 100, 30, 900),
  },
  {
    id: 103,
    exchange: 'NSE_INDEX',
    symbol: 'FINNIFTY',
    name: 'NIFTY FINANCIAL SERVICES',
    price: 27400,
    vol: 0.14,
    tick: 0.05,
    derivatives: nfo(60, 50, 30, 1800),
  },
  {
    id: 104,
    exchange: 'NSE_INDEX',
    symbol: 'MIDCPNIFTY',
    name: 'NIFTY MIDCAP SELECT',
    price: 13700,
    vol: 0.18,
    tick: 0.05,
    derivatives: nfo(120, 25, 30, 2800),
  },
  {
    id: 105,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTYNXT50',
    name: 'NIFTY NEXT 50',
    price: 69500,
    vol: 0.16,
    tick: 0.05,
    derivatives: nfo(25, 100, 30, 600),
  },
  {
    id: 106,
    exchange: 'NSE_INDEX',
    symbol: 'INDIAVIX',
    name: 'INDIA VIX',
    price: 12.5,
    vol: 0.85,
    tick: 0.0025,
    derivatives: null,
  },
  {
    id: 107,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTYIT',
    name: 'NIFTY IT',
    price: 38000,
    vol: 0.22,
    tick: 0.05,
    derivatives: null,
  },
  {
    id: 108,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTYPHARMA',
    name: 'NIFTY PHARMA',
    price: 22500,
    vol: 0.18,
    tick: 0.05,
    derivatives: null,
  },
  {
    id: 109,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTYAUTO',
    name: 'NIFTY AUTO',
    price: 27000,
    vol: 0.18,
    tick: 0.05,
    derivatives: null,
  },
  {
    id: 110,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTYFMCG',
    name: 'NIFTY FMCG',
    price: 55000,
    vol: 0.14,
    tick: 0.05,
    derivatives: null,
  },
  {
    id: 111,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTYMETAL',
    name: 'NIFTY METAL',
    price: 10800,
    vol: 0.24,
    tick: 0.05,
    derivatives: null,
  },
  {
    id: 112,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTYREALTY',
    name: 'NIFTY REALTY',
    price: 900,
    vol: 0.28,
    tick: 0.05,
    derivatives: null,
  },
  {
    id: 113,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTYPSUBANK',
    name: 'NIFTY PSU BANK',
    price: 8300,
    vol: 0.24,
    tick: 0.05,
    derivatives: null,
  },
  {
    id: 114,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTYENERGY',
    name: 'NIFTY ENERGY',
    price: 35500,
    vol: 0.2,
    tick: 0.05,
    derivatives: null,
  },
  {
    id: 115,
    exchange: 'NSE_INDEX',
    symbol: 'NIFTYMIDCAP100',
    name: 'NIFTY MIDCAP 100',
    price: 60000,
    vol: 0.18,
    tick: 0.05,
    derivatives: null,
  },
  {
    id: 151,
    exchange: 'BSE_INDEX',
    symbol: 'SENSEX',
    name: 'BSE SENSEX',
    price: 84500,
    vol: 0.13,
    tick: 0.05,
    derivatives: {
      exchange: 'BFO',
      lotSize: 20,
      strikeStep: 100,
      strikesEachSide: 40,
      weekly: true,
      freezeQty: null,
    },
  },
  {
    id: 152,
    exchange: 'BSE_INDEX',
    symbol: 'BANKEX',
    name: 'BSE BANKEX',
    price: 66000,
    vol: 0.15,
    tick: 0.05,
    derivatives: {
      exchange: 'BFO',
      lotSize: 30,
      strikeStep: 100,
      strikesEachSide: 30,
      weekly: false,
      freezeQty: null,
    },
  },
  {
    id: 153,
    exchange: 'BSE_INDEX',
    symbol: 'SENSEX50',
    name: 'BSE SENSEX 50',
    price: 27000,
    vol: 0.13,
    tick: 0.05,
    derivatives: null,
  },
];

const s = (
  id: number,
  symbol: string,
  name: string,
  lotSize: number,
  price: number,
  vol: number,
): StockRow => ({
  id,
  symbol,
  name,
  lotSize,
  price,
  vol,
});

/** NIFTY 50 constituents (unchanged by the March 2026 review; TMPV is the post-demerger Tata Motors PV). */
export const NIFTY50_STOCKS: readonly StockRow[] = [
  s(201, 'ADANIENT', 'ADANI ENTERPRISES', 300, 2300, 0.35),
  s(202, 'ADANIPORTS', 'ADANI PORTS AND SEZ', 475, 1450, 0.3),
  s(203, 'APOLLOHOSP', 'APOLLO HOSPITALS ENTERPRISE', 125, 7200, 0.24),
  s(204, 'ASIANPAINT', 'ASIAN PAINTS', 250, 2800, 0.22),
  s(205, 'AXISBANK', 'AXIS BANK', 625, 1250, 0.24),
  s(206, 'BAJAJ-AUTO', 'BAJAJ AUTO', 75, 9200, 0.24),
  s(207, 'BAJFINANCE', 'BAJAJ FINANCE', 750, 1000, 0.28),
  s(208, 'BAJAJFINSV', 'BAJAJ FINSERV', 250, 2050, 0.25),
  s(209, 'BEL', 'BHARAT ELECTRONICS', 1425, 420, 0.32),
  s(210, 'BHARTIARTL', 'BHARTI AIRTEL', 475, 2050, 0.21),
  s(211, 'CIPLA', 'CIPLA', 375, 1500, 0.22),
  s(212, 'COALINDIA', 'COAL INDIA', 1350, 400, 0.26),
  s(213, 'DRREDDY', "DR. REDDY'S LABORATORIES", 625, 1250, 0.23),
  s(214, 'EICHERMOT', 'EICHER MOTORS', 100, 7200, 0.26),
  s(215, 'ETERNAL', 'ETERNAL', 2425, 280, 0.35),
  s(216, 'GRASIM', 'GRASIM INDUSTRIES', 250, 2800, 0.23),
  s(217, 'HCLTECH', 'HCL TECHNOLOGIES', 350, 1650, 0.24),
  s(218, 'HDFCBANK', 'HDFC BANK', 550, 950, 0.2),
  s(219, 'HDFCLIFE', 'HDFC LIFE INSURANCE', 1100, 750, 0.24),
  s(220, 'HINDALCO', 'HINDALCO INDUSTRIES', 700, 900, 0.3),
  s(221, 'HINDUNILVR', 'HINDUSTAN UNILEVER', 300, 2400, 0.2),
  s(222, 'ICICIBANK', 'ICICI BANK', 700, 1400, 0.2),
  s(223, 'INDIGO', 'INTERGLOBE AVIATION', 150, 5000, 0.3),
  s(224, 'INFY', 'INFOSYS', 400, 1600, 0.24),
  s(225, 'ITC', 'ITC', 1600, 350, 0.2),
  s(226, 'JIOFIN', 'JIO FINANCIAL SERVICES', 2350, 290, 0.32),
  s(227, 'JSWSTEEL', 'JSW STEEL', 675, 1150, 0.28),
  s(228, 'KOTAKBANK', 'KOTAK MAHINDRA BANK', 400, 2150, 0.22),
  s(229, 'LT', 'LARSEN & TOUBRO', 175, 4000, 0.22),
  s(230, 'M&M', 'MAHINDRA & MAHINDRA', 200, 3700, 0.26),
  s(231, 'MARUTI', 'MARUTI SUZUKI INDIA', 50, 16000, 0.22),
  s(232, 'MAXHEALTH', 'MAX HEALTHCARE INSTITUTE', 525, 1100, 0.3),
  s(233, 'NESTLEIND', 'NESTLE INDIA', 500, 1250, 0.2),
  s(234, 'NTPC', 'NTPC', 1500, 340, 0.24),
  s(235, 'ONGC', 'OIL AND NATURAL GAS CORPORATION', 2250, 240, 0.26),
  s(236, 'POWERGRID', 'POWER GRID CORPORATION OF INDIA', 1900, 270, 0.22),
  s(237, 'RELIANCE', 'RELIANCE INDUSTRIES', 500, 1500, 0.22),
  s(238, 'SBILIFE', 'SBI LIFE INSURANCE', 375, 2000, 0.22),
  s(239, 'SBIN', 'STATE BANK OF INDIA', 750, 1000, 0.24),
  s(240, 'SHRIRAMFIN', 'SHRIRAM FINANCE', 825, 900, 0.3),
  s(241, 'SUNPHARMA', 'SUN PHARMACEUTICAL INDUSTRIES', 350, 1700, 0.22),
  s(242, 'TATACONSUM', 'TATA CONSUMER PRODUCTS', 550, 1150, 0.22),
  s(243, 'TMPV', 'TATA MOTORS PASSENGER VEHICLES', 800, 370, 0.3),
  s(244, 'TATASTEEL', 'TATA STEEL', 5500, 180, 0.3),
  s(245, 'TCS', 'TATA CONSULTANCY SERVICES', 175, 3200, 0.22),
  s(246, 'TECHM', 'TECH MAHINDRA', 600, 1600, 0.26),
  s(247, 'TITAN', 'TITAN COMPANY', 175, 4000, 0.24),
  s(248, 'TRENT', 'TRENT', 100, 4200, 0.34),
  s(249, 'ULTRACEMCO', 'ULTRATECH CEMENT', 50, 12000, 0.22),
  s(250, 'WIPRO', 'WIPRO', 3000, 260, 0.24),
];

/** Stock options list this many strikes on each side of the at-the-money strike. */
export const STOCK_STRIKES_EACH_SIDE = 20;

/** Strike interval for stock options by price band, in rupees (bands as NSE uses them, simplified). */
export function stockStrikeStep(price: number): number {
  if (price < 100) return 1;
  if (price < 250) return 2.5;
  if (price < 500) return 5;
  if (price < 1000) return 10;
  if (price < 2500) return 20;
  if (price < 5000) return 50;
  return 100;
}

/**
 * Cash-market tick: NSE quotes shares below ₹250 in 0.01 and the rest in 0.05 (the 2025 tick-size
 * framework, applied here by reference price). BSE uses the same rule in this master.
 */
export function stockTick(price: number): number {
  return price < 250 ? 0.01 : 0.05;
}

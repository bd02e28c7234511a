// The cases of tests/node_agreement.rs, and what Node.js makes of them: date strings with
// `Date.parse` and Segment's dayjs reading, instants with `toISOString`, numbers with `String`.
//
//   TZ=UTC node tests/node_agreement.mjs COUNT
//
// prints one JSON array a line (COUNT distinct date strings, COUNT/4 instants, COUNT/4 numbers):
//   ["date", text, Date.parse(text), valid as Segment, dayjs(text).valueOf()]   (NaN as null)
//   ["iso", ms, new Date(ms).toISOString()]
//   ["number", the double's 64 bits in hex, String(number)]
// The strings come from a fixed-seed generator: ISO forms with parts in and out of range,
// the legacy forms V8 reads (RFC 2822, `toString`, month names, AM/PM, zones, comments),
// random token soups, random characters and numeric strings. The same COUNT gives the same
// cases on every run.
import dayjs from 'dayjs';

if (new Date(0).getTimezoneOffset() !== 0) {
  throw new Error('run with TZ=UTC: the core reads local time as UTC');
}
const count = Number(process.argv[2] ?? 1000);
if (!Number.isInteger(count) || count < 1) {
  throw new Error(`COUNT must be a positive integer, not ${process.argv[2]}`);
}

// mulberry32: a small, fast, seeded generator.
let seed = 0x6e756467;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (items) => items[Math.floor(random() * items.length)];
const chance = (p) => random() < p;
const pad = (n, width) => String(n).padStart(width, '0');
const digits = (len) => Array.from({ length: len }, () => int(0, 9)).join('');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_WORDS = [...MONTHS, 'January', 'june', 'SEPT', 'Sept', 'December', 'Janvier', 'mayo', 'Ma', 'Ju'];
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'Wednesday', 'thu', 'Mo'];
const ZONES = ['Z', 'z', 'UT', 'UTC', 'GMT', 'gmt', 'EST', 'EDT', 'CST', 'CDT', 'MST', 'MDT', 'PST',
  'PDT', 'CET', 'A', 'M'];
const SPACES = [' ', '  ', '\t', '\n', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u0085', '\u200b'];

function year() {
  return pick([
    () => pad(int(1900, 2100), 4),
    () => pad(int(0, 9999), 4),
    () => pick(['0000', '0001', '0049', '0050', '0099', '0100', '1969', '1970', '9999']),
    () => `${pick(['+', '-'])}${pad(int(0, 999999), 6)}`,
    () => pick(['+275760', '-271821', '+262142', '-262143', '+262143', '-262144', '+010000',
      '-000001', '+000000', '-000000', '+275761', '-271822']),
    () => String(int(0, 99)),
    () => String(int(100, 99999)),
  ])();
}

function twoDigits(lo, hi) {
  const n = int(lo, hi);
  return chance(0.85) ? pad(n, 2) : String(n);
}

function fraction() {
  return pick(['', '', `.${digits(int(1, 3))}`, `.${digits(int(4, 12))}`, '.', ',5']);
}

function isoZone() {
  return pick([
    '', '', 'Z', 'z',
    () => `${pick(['+', '-'])}${twoDigits(0, 25)}:${twoDigits(0, 61)}`,
    () => `${pick(['+', '-'])}${pad(int(0, 2599), 4)}`,
    () => `${pick(['+', '-'])}${twoDigits(0, 14)}`,
    () => ` ${pick(ZONES)}`,
  ].map((z) => (typeof z === 'function' ? z : () => z)))();
}

function isoString() {
  let s = year();
  if (chance(0.85)) {
    s += pick(['-', '-', '/', '']) + twoDigits(0, 13);
    if (chance(0.85)) s += pick(['-', '-', '/', '']) + twoDigits(0, 32);
  }
  if (chance(0.75)) {
    s += pick(['T', 'T', 't', ' ', '', '  ']);
    s += twoDigits(0, 25);
    if (chance(0.9)) s += ':' + twoDigits(0, 60);
    if (chance(0.7)) s += ':' + twoDigits(0, 60) + fraction();
    s += isoZone();
  } else if (chance(0.2)) {
    s += isoZone();
  }
  return chance(0.05) ? pick(SPACES) + s + pick(SPACES) : s;
}

function time() {
  let t = `${int(0, 25)}:${twoDigits(0, 60)}`;
  if (chance(0.6)) t += `:${twoDigits(0, 60)}`;
  if (chance(0.15)) t += `.${digits(int(1, 4))}`;
  if (chance(0.25)) t += ` ${pick(['AM', 'PM', 'am', 'pm', 'a.m.', 'P'])}`;
  return t;
}

function offset() {
  return pick([
    () => `${pick(['+', '-'])}${pad(int(0, 1400), 4)}`,
    () => `${pick(['+', '-'])}${twoDigits(0, 14)}:${twoDigits(0, 59)}`,
    () => `GMT${pick(['+', '-'])}${pad(int(0, 1400), pick([1, 2, 4]))}`,
    () => pick(ZONES),
    () => `GMT${pick(['+', '-'])}${int(0, 14)}:${twoDigits(0, 59)}`,
  ])();
}

function legacyString() {
  const d = int(0, 32);
  const m = int(0, 13);
  const y = pick([String(int(1900, 2100)), String(int(0, 99)), String(int(100, 99999)), pad(int(0, 99), 2)]);
  const mon = pick(MONTH_WORDS);
  const form = pick([
    () => `${pick(WEEKDAYS)}, ${pad(d, 2)} ${mon} ${y} ${time()} ${offset()}`,
    () => `${pick(WEEKDAYS)} ${mon} ${pad(d, 2)} ${y} ${time()} GMT${pick(['+', '-'])}${pad(int(0, 1400), 4)} (${pick(['Coordinated Universal Time', 'Central European Summer Time', 'x (y) z'])})`,
    () => `${mon} ${d}, ${y}`,
    () => `${mon} ${d} ${y} ${time()}`,
    () => `${d} ${mon} ${y}`,
    () => `${d}-${mon}-${y}`,
    () => `${m}/${d}/${y}`,
    () => `${m}/${d}/${y} ${time()}`,
    () => `${y}/${m}/${d} ${time()}`,
    () => `${m}.${d}.${y}`,
    () => `${m}-${d}-${y}`,
    () => `${y} ${mon} ${d}`,
    () => `${time()} ${mon} ${d} ${y}`,
    () => `${mon} ${y}`,
    () => `${mon} ${d}`,
    () => `${pick(['Product', 'User', 'SH#', 'x', 'Order'])} ${int(0, 99999)}`,
    () => `${y}-${pad(m, 2)}-${pad(d, 2)} ${time()} ${offset()}`,
    () => `${mon} ${d} ${y} (${pick(['comment', 'nested (paren)', ''])}) ${time()}`,
  ])();
  return chance(0.1) ? form.toUpperCase() : form;
}

const TOKENS = ['2025', '05', '14', '7', '30', '00', '1', '12', '31', '99', '100', '123456789',
  '0000000002020', '2020', ':', '::', '-', '+', '.', '/', ',', '(', ')', ' ', 'T', 't', 'Z', 'z',
  'am', 'pm', 'GMT', 'UTC', 'EST', 'may', 'Jan', 'December', 'Wed', 'x', 'é', '日', '😀', '\u0000',
  '\u00a0', '\u2028', '\u0085'];

function tokenSoup() {
  return Array.from({ length: int(1, 9) }, () => pick(TOKENS)).join(chance(0.5) ? '' : pick([' ', '-', ':']));
}

const CHARS = [...'0123456789-+:./,() TtZzapmAPMjJnNuUgGeEsSdD', '\u00a0', '\u3000', '\u2028',
  '\u0000', 'é', '日', '😀', '\u0085', '\ufeff', '\t', '\n'];

function characters() {
  return Array.from({ length: int(0, 24) }, () => pick(CHARS)).join('');
}

function numericString() {
  return pick([
    () => String(int(0, 2 ** 31)),
    () => digits(int(1, 16)),
    () => String(int(1e12, 9.9e12)),
    () => String(-int(0, 1e10)),
    () => `${int(0, 1e6)}.${digits(int(1, 4))}`,
    () => `${int(1, 9)}e${int(-8, 25)}`,
    () => `0x${int(0, 1e6).toString(16)}`,
    () => ` ${int(0, 1e10)} `,
  ])();
}

const KINDS = [
  [0.3, isoString],
  [0.3, legacyString],
  [0.15, tokenSoup],
  [0.15, characters],
  [0.1, numericString],
];

function dateString() {
  let r = random();
  for (const [weight, make] of KINDS) {
    if (r < weight) return make();
    r -= weight;
  }
  return characters();
}

const nanToNull = (n) => (Number.isNaN(n) ? null : n);
const out = [];
const flush = () => {
  if (out.length > 0) process.stdout.write(out.join('\n') + '\n');
  out.length = 0;
};

const seen = new Set();
while (seen.size < count) {
  const text = dateString();
  if (seen.has(text)) continue;
  seen.add(text);
  // Segment's `date-like` format (@segment/actions-core, schema-validation).
  const numeric = String(Number(text)) === text;
  const segment = numeric ? dayjs.unix(Number(text)) : dayjs(text);
  const dayjsMs = numeric ? null : nanToNull(segment.valueOf());
  out.push(JSON.stringify(['date', text, nanToNull(Date.parse(text)), segment.isValid(), dayjsMs]));
  if (out.length >= 10000) flush();
}

const MAX_TIME = 8.64e15;
for (let i = 0; i < Math.ceil(count / 4); i++) {
  const ms = pick([
    () => int(-MAX_TIME, MAX_TIME),
    () => int(-1e13, 1e13),
    () => pick([-MAX_TIME, MAX_TIME, 0, -1, 253402300799999, 253402300800000, -62167219200000,
      -62167219200001]),
    // Around the ends of chrono's calendar (years −262,143 and 262,142).
    () => pick([8210266876800000, -8334601228800000]) + int(-1e11, 1e11),
  ])();
  out.push(JSON.stringify(['iso', ms, new Date(ms).toISOString()]));
  if (out.length >= 10000) flush();
}

const view = new DataView(new ArrayBuffer(8));
for (let i = 0; i < Math.ceil(count / 4); i++) {
  const n = pick([
    () => {
      view.setUint32(0, int(0, 2 ** 32 - 1));
      view.setUint32(4, int(0, 2 ** 32 - 1));
      return view.getFloat64(0);
    },
    () => int(-1e6, 1e6) / 10 ** int(0, 8),
    () => int(1, 9) * 10 ** int(-9, 23),
    () => random() * 10 ** int(-10, 25),
    () => pick([0, -0, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, 1e21, 1e-7, 0.1 + 0.2]),
  ])();
  view.setFloat64(0, n);
  const bits = view.getBigUint64(0).toString(16).padStart(16, '0');
  out.push(JSON.stringify(['number', bits, String(n)]));
  if (out.length >= 10000) flush();
}
flush();

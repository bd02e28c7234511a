// JSON text in the forms JavaScript reads and prints differently: numbers (`1.0`, `1E5`, `-0`,
// `1e21`, `1e-7`, 21-digit integers, `1e400`), escapes (`\u00e9`, `\/`, surrogate pairs, lone
// surrogates, control characters), duplicate keys (JSON.parse keeps the last value at the first
// key's position), array-index keys (listed first by JavaScript), `__proto__` keys (an own
// member after JSON.parse) and white space between tokens.
//
// A document is kept as a tree of plain arrays, so that a case is JSON and can be shrunk:
//   ['num', text] | ['str', escaped text between the quotes] | ['lit', true|false|null]
//   ['arr', [node…]] | ['obj', [[escaped key, node]…]]

export const NUMBER_FORMS = ['1.0', '1E5', '1e+5', '1E-5', '-0', '-0.0', '0.0', '1e21', '1E21', '1e-7', '1e-6',
  '123456789012345678901', '0.1e1', '100e-2', '2e0', '1.5e300', '1e400', '-1e400', '4.9e-325', '5e-324',
  '9007199254740993', '0.30000000000000004', '1.7976931348623157e308', '12.50', '-1.5E+3', '0e0',
  '999999999999999999999.5', '0.000001', '0.0000001', '1e20', '100', '7', '-12', '1.25'];

export const STRING_FORMS = ['caf\\u00e9', 'CAF\\u00C9', 'a\\/b', '\\/', 'tab\\there', 'line\\nbreak', '\\b\\f\\r',
  '\\u0000', 'x\\u001fy', '\\u007f', '\u007f', '\\u2028\\u2029', '\u2028', 'party \\ud83c\\udf89', '🎉 raw', '\\ud800',
  'lone \\udfff end', '\\udc00\\ud800', 'q\\"uote', 'back\\\\slash', 'User\\u0020One', 'ÉMILIE Zola', '\\u0130stanbul',
  '\\u039f\\u0394\\u039f\\u03a3', 'plain', '', ' ', 'e\\u0301', '\\uFEFFbom', '\\u00a0nbsp', 'x\\ud83cy'];

export const KEY_FORMS = ['a', 'b', 'name', 'email', 'phone', 'plan', 'caf\\u00e9', 'café', '\\u0061', '10', '2', '0',
  '01', '-1', '1.5', '4294967294', '4294967295', '9007199254740993', '__proto__', '__pro\\u0074o__', 'constructor',
  'x y', '\\ud800', '\\ud83c\\udf89', '', 'nested', 'list', 'a\\/b', 'toString'];

/** The text of a tree; `spacing` is 'none', 'spaces', 'newlines' or 'mixed'. */
export function render(node, spacing = 'none') {
  let n = 0;
  const gap = () => {
    n += 1;
    switch (spacing) {
      case 'spaces': return ' ';
      case 'newlines': return '\n  ';
      case 'mixed': return ['', ' ', '\t', '\r\n', '  '][n % 5];
      default: return '';
    }
  };
  const out = (node) => {
    const ok = Array.isArray(node) && node.length === 2 && (node[0] === 'lit' || node[0] === 'arr' || node[0] === 'obj' || typeof node[1] === 'string');
    if (!ok || ((node[0] === 'arr' || node[0] === 'obj') && !Array.isArray(node[1]))) throw new Error(`not a JSON text tree node: ${JSON.stringify(node)}`);
    switch (node[0]) {
      case 'num': return node[1];
      case 'str': return `"${node[1]}"`;
      case 'lit': return String(node[1]);
      case 'arr': return `[${gap()}${node[1].map((v) => out(v)).join(`${gap()},${gap()}`)}${gap()}]`;
      case 'obj': return `{${gap()}${node[1].map((entry) => {
        if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') throw new Error(`not an object member: ${JSON.stringify(entry)}`);
        return `"${entry[0]}"${gap()}:${gap()}${out(entry[1])}`;
      }).join(`${gap()},${gap()}`)}${gap()}}`;
      default: throw new Error(`unknown node ${node[0]}`);
    }
  };
  return out(node);
}

const num = (r) => ['num', r.pick(NUMBER_FORMS)];
const str = (r) => ['str', r.pick(STRING_FORMS)];

/** A value in any of the forms, nested to `depth` at most. */
function value(r, depth) {
  return r.weighted([
    [4, () => num(r)],
    [4, () => str(r)],
    [1, () => ['lit', r.pick([true, false, null])]],
    [depth < 2 ? 1.5 : 0, () => object(r, depth + 1)],
    [depth < 2 ? 1 : 0, () => ['arr', r.some(3, () => value(r, depth + 1))]],
  ]);
}

/** An object with odd keys; some keys repeat (with values of other types). */
function object(r, depth) {
  const entries = r.some(5, () => [r.pick(KEY_FORMS), value(r, depth)]);
  if (entries.length && r.chance(0.4)) {
    const [key] = r.pick(entries);
    entries.splice(r.int(entries.length + 1), 0, [key, value(r, depth)]);
  }
  return ['obj', entries];
}

const IDS = ['User\\u0020One', 'caf\\u00e9 User', 'u\\/1', 'x\\ud83c\\udf89', 'lone\\ud800', 'ctl\\u0001', 'A\\tB', 'USER 2',
  '\\u0130stanbul', 'user123', '\\u039f\\u0394\\u039f\\u03a3 X'];
const EVENTS = ['Order\\u0020Completed', 'Caf\\u00C9 Viewed', 'Signed Up', 'a\\/b', 'x\\u2028y', '\\ud83c\\udf89 Party', 'E'];
const STAMPS = ['2025-05-14T07:30:00\\u005a', '2025\\u002d05-14', '2025-05-14T07:30:00+05:30', '2025-05-14T07:30:00.000Z'];
const STAMP_NUMBERS = ['1715670000000', '1.71567e12', '1715670000000.0', '-0', '1e400', '1E3', '0.5'];

/** A track or identify event (as tree) with the forms in its properties/traits and top level. */
export function eventTree(r) {
  const entries = [];
  const type = r.pick(['track', 'identify']);
  const typeForm = r.weighted([[4, type], [1, type === 'track' ? 'tr\\u0061ck' : 'identif\\u0079']]);
  if (r.chance(0.1)) entries.push(['type', ['str', type === 'track' ? 'identify' : 'track']]);
  entries.push(['type', ['str', typeForm]]);
  if (r.chance(0.9)) entries.push(['userId', r.chance(0.75) ? ['str', r.pick(IDS)] : num(r)]);
  if (r.chance(0.1)) entries.push(['userId', ['str', r.pick(IDS)]]);
  if (type === 'track' && r.chance(0.9)) entries.push(['event', r.chance(0.85) ? ['str', r.pick(EVENTS)] : num(r)]);
  if (r.chance(0.9)) entries.push(['timestamp', r.chance(0.8) ? ['str', r.pick(STAMPS)] : ['num', r.pick(STAMP_NUMBERS)]]);
  const bag = () => {
    const o = object(r, 1);
    // The keys mappings read, in odd forms too.
    for (const key of r.some(3, () => r.pick(['a', '10', 'name', 'list', 'nested', 'caf\\u00e9']))) {
      const v = key === 'list' ? ['arr', r.between(1, 3, () => ['obj', [['a', value(r, 2)]]])] : key === 'nested' ? object(r, 1) : value(r, 2);
      o[1].splice(r.int(o[1].length + 1), 0, [key, v]);
    }
    return o;
  };
  if (type === 'track' || r.chance(0.2)) entries.push(['properties', bag()]);
  if (type === 'identify' || r.chance(0.2)) entries.push(['traits', bag()]);
  if (r.chance(0.1)) entries.push([r.pick(['properties', 'traits']), bag()]);
  if (r.chance(0.3)) entries.push(['context', ['obj', [['timezone', str(r)]]]]);
  if (r.chance(0.1)) entries.push(['__proto__', object(r, 1)]);
  if (r.chance(0.08)) entries.push(['integrations', ['obj', r.pick([[['Nudge (Actions)', ['lit', false]], ['Nudge (Actions)', ['lit', true]]], [['All', ['lit', false]], ['Nudge (Action\\u0073)', ['lit', true]]], [['All', ['lit', true]], ['All', ['lit', false]]]])]]);
  // Shuffle a little: the members' order matters to duplicate keys and to JavaScript's order.
  for (let i = entries.length - 1; i > 0; i--) {
    if (r.chance(0.3)) {
      const j = r.int(i + 1);
      [entries[i], entries[j]] = [entries[j], entries[i]];
    }
  }
  return ['obj', entries];
}

/** Props mappings that observe JavaScript's reading: order, printing, String() of numbers. */
export const PROPS_MAPPINGS = [
  { '@path': '$.properties' },
  { '@flatten': { value: { '@path': '$.properties' }, separator: '.' } },
  { enc: { '@json': { mode: 'encode', value: { '@path': '$.properties' } } }, t: { '@template': '{{properties.a}}|{{properties.10}}|{{properties.café}}' } },
  { '@merge': { objects: [{ '@path': '$.properties' }, { '@path': '$.traits' }], direction: 'right' } },
  { '@path': '$.properties.nested' },
  { items: { '@arrayPath': ['$.properties.list', { v: { '@path': '$.a' } }] } },
  { x: { '@replace': { pattern: 'e', replacement: 'E', value: { '@path': '$.properties.a' } } }, y: { '@case': { operator: 'upper', value: { '@path': '$.properties.name' } } } },
  { '@excludeWhenNull': { '@path': '$.properties' } },
  { dec: { '@json': { mode: 'decode', value: { '@json': { mode: 'encode', value: { '@path': '$.properties' } } } } } },
  { a: { '@path': '$.properties.a' }, ten: { '@path': '$.properties.10' }, cafe: { '@path': '$.properties.café' } },
];

// Random FQL in the grammar of @segment/destination-subscriptions 3.37.0 (lexed by
// @segment/fql-ts): conditions on type, event, name, userId, properties.…, traits.…,
// context.…; the six operators; strings in both quotes, numbers, true/false/null, bare words;
// contains()/match() and their negations; and/or; parenthesised groups; odd spacing. Some texts
// carry the forms on which nudge-edge deliberately differs (docs/compatibility.md, "Segment
// behaviours kept on purpose"); each such part is tagged with its kind and its place in the text:
//   conditional  upper-case AND/OR (Segment skips the word)
//   field        a field Segment does not know, such as anonymousId (Segment skips the condition)
//   junk         a stray token at the end: `and`, `)`, … (Segment skips some, rejects others)
//   nospace      an operator glued to its field or value (Segment's lexer rejects or misreads it)
//   nested       a group inside a group (Segment's parser gives up)

const PROPS = ['total', 'price', 'flag', 'name', 'a.b', 'nested.a.b', 'tags', 'plan', 'x_y', 'missing', 'n1', 'a-b', 'count', 'zero', 'nil'];
const ODD_PROPS = ['0', 'tags[0]', 'É', 'a\\ b', '1a'];
const STRINGS = ['track', 'identify', 'page', 'Order Completed', 'Signed Up', 'x', '', ' ', 'a b', 'Home', 'user123',
  'User One', 'premium', '42', '1.5', 'true', 'null', 'ÉMILIE', '日本語', 'Order', 'Completed', 'o', 'x*', '*'];
const NUMBERS = ['1', '-1', '1.5', '10', '0', '+3', '007', '12.50', '-0', '100', '3'];
const ODD_NUMBERS = ['1.', '1.5.2', '-', '+'];
const UNKNOWN = ['anonymousId', 'messageId', 'foo', 'timestamp', 'groupId'];

/** The values events carry, from the same pools, so that conditions often hold. */
export const EVENT_STRINGS = STRINGS;
export const EVENT_NUMBERS = [1, -1, 1.5, 10, 0, 3, 7, 100, 12.5, -0.5];

/**
 * An FQL text: `{text, quirks: [{kind, start, end}]}` (character offsets into text). With
 * `{plain: true}`, only forms both sides read alike (for plan configurations).
 */
export function fql(r, options = {}) {
  const parts = [];
  const odd = !options.plain;
  const quirky = odd && r.chance(0.3);
  const ws = () => (r.chance(0.9) ? ' ' : r.pick(['  ', '\t', '\n', ' \n ']));
  const push = (text, quirk) => parts.push({ text, quirk });

  const field = () => {
    if (quirky && r.chance(0.08)) return { text: r.pick(UNKNOWN), quirk: 'field' };
    return {
      text: r.weighted([
        [2, 'type'], [2, 'event'], [1, 'name'], [1.5, 'userId'],
        [3, () => `properties.${r.pick(PROPS)}`], [1.5, () => `traits.${r.pick(PROPS)}`], [1, () => `context.${r.pick(PROPS)}`],
        [odd ? 0.2 : 0, () => `properties.${r.pick(ODD_PROPS)}`], [0.2, () => r.pick(['properties', 'traits', 'context'])],
      ]),
    };
  };
  const value = () =>
    r.weighted([
      [5, () => `"${r.pick(STRINGS)}"`],
      [1, () => `'${r.pick(STRINGS)}'`],
      [3, () => r.pick(NUMBERS)],
      [2, () => r.pick(['true', 'false', 'null'])],
      [0.5, () => r.pick(['track', 'x', 'Home'])],
      [odd ? 0.2 : 0, () => r.pick(ODD_NUMBERS)],
    ]);
  const condition = () => {
    const kind = r.weighted([[7, 'compare'], [2, 'contains'], [2, 'match']]);
    if (kind === 'compare') {
      const f = field();
      const op = r.weighted([[5, '='], [3, '!='], [1, '<'], [1, '<='], [1, '>'], [1, '>=']]);
      const v = value();
      if (quirky && r.chance(0.15)) {
        push(f.text, f.quirk);
        push(r.pick([`${op}${v}`, `${op} ${v}`]), 'nospace');
        return;
      }
      if (quirky && r.chance(0.1)) {
        if (r.chance(0.5)) push(`${f.text}${op}${v}`, f.quirk ?? 'nospace');
        else {
          push(`${f.text}${op}`, f.quirk ?? 'nospace');
          push(v);
        }
        return;
      }
      push(f.text, f.quirk);
      push(op);
      push(v);
      return;
    }
    const f = field();
    const arg = kind === 'contains' ? `"${r.pick(STRINGS)}"` : r.pick([`"${r.pick(STRINGS)}*"`, `"*${r.pick(STRINGS)}"`, `"${r.pick(STRINGS)}"`]);
    const neg = r.chance(0.3) ? '!' : '';
    const comma = r.pick([',', ', ', ' , ']);
    push(`${neg}${kind}(${f.text}${comma}${arg})`, f.quirk);
  };
  const conjunction = () => {
    if (quirky && r.chance(0.25)) push(r.pick(['AND', 'OR', 'And', 'Or']), 'conditional');
    else push(r.weighted([[3, 'and'], [2, 'or']]));
  };
  const level = (depth) => {
    const n = r.weighted([[4, 1], [4, 2], [2, 3], [1, 4]]);
    for (let i = 0; i < n; i++) {
      if (i > 0) conjunction();
      if (depth < 2 && r.chance(depth === 0 ? 0.2 : 0.5) && (depth === 0 || quirky)) {
        push('(', depth > 0 ? 'nested' : undefined);
        level(depth + 1);
        push(')');
      } else condition();
    }
  };
  level(0);
  if (odd && r.chance(0.02)) push(r.pick(['(', ')', 'and', '"open', '!']), 'junk');

  let text = r.chance(0.1) ? ws() : '';
  const quirks = [];
  parts.forEach((part, i) => {
    if (i > 0) text += part.text === ')' || parts[i - 1].text === '(' ? (r.chance(0.7) ? '' : ws()) : ws();
    if (part.quirk) quirks.push({ kind: part.quirk, start: text.length, end: text.length + part.text.length });
    text += part.text;
  });
  if (r.chance(0.1)) text += ws();
  return { text, quirks };
}

/** An event whose fields come from the pools FQL conditions compare with. */
export function fqlEvent(r) {
  const scalar = () =>
    r.weighted([
      [4, () => r.pick(EVENT_STRINGS)],
      [3, () => r.pick(EVENT_NUMBERS)],
      [2, () => r.pick([true, false, null])],
      [0.5, () => r.pick([[], {}, ['x'], { a: 1 }])],
    ]);
  const bag = () => {
    const out = {};
    for (const key of r.some(5, () => r.pick(['total', 'price', 'flag', 'name', 'tags', 'plan', 'x_y', 'n1', 'a-b', 'count', 'zero', 'nil', '0', 'É', 'a b', '1a'])))
      out[key] = scalar();
    if (r.chance(0.4)) out.a = r.chance(0.8) ? { b: scalar() } : scalar();
    if (r.chance(0.3)) out.nested = { a: { b: scalar() } };
    if (r.chance(0.15)) out.tags = r.pick([['x', 'y'], 'x']);
    return out;
  };
  const e = {};
  if (r.chance(0.9)) e.type = r.pick(['track', 'identify', 'page', 'Order Completed', 'x', '']);
  if (r.chance(0.7)) e.event = r.chance(0.9) ? r.pick(EVENT_STRINGS) : scalar();
  if (r.chance(0.4)) e.name = r.chance(0.9) ? r.pick(EVENT_STRINGS) : scalar();
  if (r.chance(0.7)) e.userId = r.chance(0.8) ? r.pick(EVENT_STRINGS) : scalar();
  if (r.chance(0.4)) e.anonymousId = r.pick(EVENT_STRINGS);
  if (r.chance(0.8)) e.properties = r.chance(0.95) ? bag() : scalar();
  if (r.chance(0.5)) e.traits = r.chance(0.95) ? bag() : scalar();
  if (r.chance(0.4)) e.context = r.chance(0.95) ? bag() : scalar();
  return e;
}

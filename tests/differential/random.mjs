// A small seeded PRNG (mulberry32) and the choices the generators make with it. Every case gets
// its own stream, derived from the run's seed, its kind and its number, so that one case can be
// replayed alone (`run.mjs --seed S --kind K --case N`) and shrunk without disturbing others.

/** mulberry32: a stream of numbers in [0, 1) from a 32-bit seed. */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random source for one case: `random()` in [0, 1) and helpers built on it. */
export function source(seed, kind, index) {
  const random = mulberry32(mix(mix(seed >>> 0, hash(kind)), index >>> 0));
  const int = (n) => Math.floor(random() * n);
  return {
    random,
    int,
    /** One item of a list. */
    pick: (list) => list[int(list.length)],
    /** True with probability `p`. */
    chance: (p) => random() < p,
    /** Up to `n` results of `f` (possibly none). */
    some: (n, f) => Array.from({ length: int(n + 1) }, (_, i) => f(i)),
    /** Between `lo` and `hi` results of `f`. */
    between: (lo, hi, f) => Array.from({ length: lo + int(hi - lo + 1) }, (_, i) => f(i)),
    /** One entry of `[weight, value]` pairs, by weight; functions are called. */
    weighted(pairs) {
      const total = pairs.reduce((s, [w]) => s + w, 0);
      let r = random() * total;
      for (const [w, v] of pairs) {
        r -= w;
        if (r < 0) return typeof v === 'function' ? v() : v;
      }
      const last = pairs[pairs.length - 1][1];
      return typeof last === 'function' ? last() : last;
    },
  };
}

function hash(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function mix(a, b) {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

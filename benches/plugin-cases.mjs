// What benches/plugin-bench.mjs times, the same in Node and in Chromium: the plugin's hook on
// events shaped as analytics.js makes them (page context, user agent, library, metadata), with
// the default presets. The hook is what the plugin adds to each tracking call; the SDK's own
// work is the same with or without it.

const context = {
  page: { path: '/checkout', referrer: 'https://shop.example/cart', search: '?step=2', title: 'Checkout', url: 'https://shop.example/checkout?step=2' },
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  locale: 'en-GB',
  library: { name: 'analytics.js', version: 'npm:next-1.84.3' },
  campaign: { source: 'newsletter', medium: 'email' },
};
const common = {
  anonymousId: '6f0b1c5e-9b7a-4c1e-8d2f-3a4b5c6d7e8f',
  integrations: {},
  _metadata: { bundled: ['Segment.io'], unbundled: [], bundledIds: [] },
};

/** A fresh event each call (annotate writes into its context, as it would into the SDK's). */
export const events = {
  'valid track': () => ({
    ...common,
    type: 'track',
    event: 'Order Completed',
    userId: 'Ada Lovelace',
    messageId: 'ajs-next-1747207800000-6f0b1c5e',
    timestamp: new Date('2025-05-14T07:30:00Z'),
    properties: { order_id: 'o-42', total: 99.5, currency: 'EUR', products: [{ id: 'p1', name: 'Notebook', price: 49.75, quantity: 2 }] },
    context: structuredClone(context),
  }),
  'identify without userId': () => ({
    ...common,
    type: 'identify',
    userId: null,
    messageId: 'ajs-next-1747207800001-6f0b1c5e',
    timestamp: new Date('2025-05-14T07:30:00Z'),
    traits: { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' },
    context: structuredClone(context),
  }),
};

/** Median over `runs` of the µs per event the plugin's hook takes, per mode and event. */
export async function measure(nudgeValidation, options, { perRun = 5000, runs = 7 } = {}) {
  const config = { settings: { apikey: 'bench-key' } };
  const rows = [];
  for (const mode of ['warn', 'annotate']) {
    const plugin = nudgeValidation({ ...options, config, mode, onProblem: () => {} });
    await plugin.load();
    while (!plugin.isLoaded()) await new Promise((r) => setTimeout(r, 10));
    for (const [name, make] of Object.entries(events)) {
      const ctxs = Array.from({ length: perRun }, () => ({ event: make() }));
      for (const ctx of ctxs.slice(0, 500)) plugin[ctx.event.type](ctx); // warm-up
      const times = [];
      for (let run = 0; run < runs; run++) {
        const start = performance.now();
        for (const ctx of ctxs) plugin[ctx.event.type](ctx);
        times.push(((performance.now() - start) * 1000) / perRun);
      }
      times.sort((a, b) => a - b);
      rows.push({ mode, event: name, us: Number(times[runs >> 1].toFixed(1)) });
    }
  }
  return rows;
}

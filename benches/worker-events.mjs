// The requests the Worker CPU benchmarks send: typical analytics.js track events (about 900
// bytes each), alone or batched, up to a batch that just fits Segment's 500 KB request limit.

/** One track event, numbered. */
export const event = (i) => ({
  type: 'track', messageId: `m-${i}`, userId: `User ${i}`, anonymousId: 'anon-1', event: 'Order Completed',
  timestamp: '2025-05-14T07:30:00+05:30',
  properties: { order_id: `o-${i}`, total: 99.5, currency: 'EUR', products: [{ sku: 'A-1', qty: 2 }, { sku: 'B-2', qty: 1 }] },
  context: { library: { name: 'analytics.js', version: '2.11.1' }, timezone: 'Europe/Paris', page: { url: 'https://example.com/checkout' },
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' },
  sentAt: '2025-05-14T07:30:01+05:30',
});

/** A `/v1/batch` body of `n` events. */
export const batch = (n) => JSON.stringify({ batch: Array.from({ length: n }, (_, i) => event(i)), sentAt: '2025-05-14T07:30:01+05:30' });

/** As many events as fit in Segment's 500 KB request limit. */
export const fullBatchSize = (() => {
  let full = 1;
  while (batch(full + 1).length <= 500 * 1024) full++;
  return full;
})();

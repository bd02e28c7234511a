// The operator's page of nudge-edge: the Delivery Overview, the dead letters and the Event
// Tester, over the Worker's JSON admin routes (each needs `Authorization: Bearer <ADMIN_KEY>`).
//
// Everything shown from the API comes from events (names, properties, reasons, samples) and is
// attacker-controlled text. The DOM is built with createElement and textContent only: never
// HTML from data, no inline handlers, no URLs from data. The Worker's Content-Security-Policy
// enforces the same (scripts from the Worker only).
'use strict';

(() => {
  const KEY_ITEM = 'nudge-edge-admin-key';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  /** The steps in the order of the pipeline, with their labels. */
  const STEPS = [
    ['received', 'Successfully received'],
    ['failed_on_ingest', 'Failed on ingest'],
    ['filtered_at_destination', 'Filtered at destination'],
    ['failed_delivery', 'Failed delivery'],
    ['pending_retry', 'Pending retry'],
    ['successful_delivery', 'Successful delivery'],
    ['duplicates_dropped', 'Duplicates dropped'],
  ];
  const STEP_LABELS = new Map(STEPS);
  const RANGES = new Set(['10m', '1h', '24h', '7d', '14d', 'custom']);

  const state = {
    key: null,
    range: '1h',
    from: null,
    to: null,
    mapping: '',
    percent: false,
    overview: null,
    deadLetters: [],
    cursor: null,
    selected: new Set(),
    samples: [],
  };

  const $ = (id) => document.getElementById(id);

  // ---- building the DOM (text only) ----

  const ATTRIBUTES = new Set(['type', 'title', 'colspan', 'scope', 'for', 'id', 'hidden', 'value', 'role', 'disabled']);

  /** An element with a class, some attributes and children (strings become text nodes). */
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = String(value);
      else if (name.startsWith('data-') || name.startsWith('aria-') || ATTRIBUTES.has(name)) {
        node.setAttribute(name, value === true ? '' : String(value));
      } else throw new Error(`el: attribute ${name} not allowed`);
    }
    for (const child of children) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  /** An SVG element; its attributes are numbers and fixed names, never event data. */
  function svg(tag, attrs = {}) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    return node;
  }

  /** Text of any JSON value, for showing: strings as they are, the rest pretty-printed. */
  const shown = (value) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  const jsonBlock = (value) => el('pre', { class: 'json', text: shown(value) });
  const number = (n) => (Number.isFinite(n) ? n : 0);
  const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

  function when(iso, withDate = true) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso ?? '');
    const options = { hour: '2-digit', minute: '2-digit' };
    if (withDate) Object.assign(options, { month: 'short', day: 'numeric' });
    return date.toLocaleString(undefined, options);
  }

  function setError(id, message) {
    $(id).textContent = message ?? '';
  }

  // ---- the key ----

  function storedKey() {
    try {
      return sessionStorage.getItem(KEY_ITEM);
    } catch {
      return null;
    }
  }

  function keepKey(key) {
    state.key = key;
    try {
      if (key) sessionStorage.setItem(KEY_ITEM, key);
      else sessionStorage.removeItem(KEY_ITEM);
    } catch {
      // No session storage (a locked-down browser): the key lives in this page only.
    }
  }

  /**
   * Takes `key=…` from the URL fragment (which the browser never sends to the server) and
   * removes it from the address bar and the history entry.
   */
  function takeKeyFromFragment() {
    const fragment = location.hash.replace(/^#/, '');
    if (!fragment) return false;
    const parts = fragment.split('&');
    const found = parts.find((p) => p.startsWith('key='));
    if (found === undefined) return false;
    let key;
    try {
      key = decodeURIComponent(found.slice(4));
    } catch {
      key = found.slice(4);
    }
    const rest = parts.filter((p) => p !== found).join('&');
    history.replaceState(history.state, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
    if (key) keepKey(key);
    return Boolean(key);
  }

  function showLogin(message) {
    $('app').hidden = true;
    $('forget').hidden = true;
    $('login').hidden = false;
    setError('key-error', message);
    $('key').focus();
  }

  function showApp() {
    $('login').hidden = true;
    $('app').hidden = false;
    $('forget').hidden = false;
  }

  class Unauthorized extends Error {}

  /** Calls an admin route with the key; `body` is JSON (parsed when the answer is JSON). */
  async function api(path, { method = 'GET', body } = {}) {
    const headers = { authorization: `Bearer ${state.key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: `text` says what happened.
    }
    if (res.status === 401) throw new Unauthorized();
    return { status: res.status, ok: res.ok, body: json, text };
  }

  /** What an answer that is not a success says about itself. */
  function problem(answer) {
    const message = answer.body && typeof answer.body === 'object' ? answer.body.message ?? answer.body.error : null;
    return `${answer.status}${message ? `: ${shown(message)}` : answer.text ? `: ${answer.text.slice(0, 200)}` : ''}`;
  }

  /** Runs an action; a refused key sends the operator back to the key form. */
  async function guarded(errorId, action) {
    try {
      setError(errorId, '');
      await action();
    } catch (e) {
      if (e instanceof Unauthorized) {
        keepKey(null);
        showLogin('The Worker refused this key.');
      } else {
        setError(errorId, `Failed: ${e.message}`);
      }
    }
  }

  // ---- the overview ----

  function overviewQuery() {
    const query = new URLSearchParams();
    if (state.range === 'custom') {
      query.set('from', state.from);
      query.set('to', state.to);
    } else {
      query.set('range', state.range);
    }
    if (state.mapping) query.set('mapping', state.mapping);
    return query.toString();
  }

  let overviewsAsked = 0;

  /** Loads the overview of the chosen range and mapping; an answer to an older choice is dropped. */
  const loadOverview = () =>
    guarded('overview-error', async () => {
      const asked = ++overviewsAsked;
      const answer = await api(`/admin/overview?${overviewQuery()}`);
      if (asked !== overviewsAsked) return;
      if (!answer.ok || !answer.body || typeof answer.body !== 'object') {
        throw new Error(`the overview answered ${problem(answer)}`);
      }
      state.overview = answer.body;
      renderOverview();
    });

  function renderOverview() {
    const o = state.overview;
    if (!o) return;
    $('window').textContent = `${when(o.from)} → ${when(o.to)}${o.mapping ? ` · mapping ${o.mapping}` : ' · all mappings'}`;
    renderMappings(Array.isArray(o.mappings) ? o.mappings : []);
    renderFunnel(o.steps ?? {});
    renderChart(o);
    renderBreakdown(Array.isArray(o.breakdown) ? o.breakdown : []);
    renderDiscards(Array.isArray(o.discards) ? o.discards : []);
  }

  /** Fills a mapping selector with `names`, keeping its first option and its choice. */
  function fillMappings(select, names) {
    const chosen = select.value;
    const first = select.options[0];
    select.replaceChildren(first, ...names.map((name) => el('option', { value: String(name), text: String(name) })));
    select.value = names.includes(chosen) ? chosen : '';
  }

  function renderMappings(names) {
    fillMappings($('mapping'), names);
    $('mapping').value = names.includes(state.mapping) ? state.mapping : '';
    fillMappings($('tester-mapping'), names);
  }

  function percentOf(count, whole) {
    if (!whole) return '–';
    const p = (100 * count) / whole;
    return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)} %`;
  }

  function renderFunnel(steps) {
    const received = number(steps.received);
    const widest = Math.max(1, ...STEPS.map(([name]) => number(steps[name])));
    $('funnel').replaceChildren(
      ...STEPS.map(([name, label]) => {
        const count = number(steps[name]);
        const bar = el('div', { class: 'bar' });
        bar.style.width = `${(100 * count) / widest}%`;
        return el(
          'li',
          { class: `step step-${name}` },
          el('span', { class: 'label', text: label }),
          el('div', { class: 'track' }, bar),
          el(
            'span',
            { class: 'figures' },
            el('span', { class: 'count', 'data-step': name, text: String(count) }),
            el('span', { class: 'pct', 'data-step-percent': name, text: percentOf(count, received) }),
          ),
        );
      }),
    );
  }

  /** The series summed into at most ~90 buckets between `from` and `to`. */
  function buckets(o) {
    const from = Date.parse(o.from);
    const to = Date.parse(o.to);
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) return null;
    const minutes = Math.max(1, Math.ceil((to - from) / 60000));
    const width = Math.max(1, Math.ceil(minutes / 90));
    const count = Math.ceil(minutes / width);
    const list = Array.from({ length: count }, (_, i) => ({ at: from + i * width * 60000, ok: 0, failed: 0 }));
    for (const point of Array.isArray(o.series) ? o.series : []) {
      const at = Date.parse(point?.at);
      if (!Number.isFinite(at)) continue;
      const i = Math.min(count - 1, Math.max(0, Math.floor((at - from) / (width * 60000))));
      list[i].ok += number(point.successful_delivery);
      list[i].failed += number(point.failed_delivery);
    }
    return { list, width };
  }

  function renderChart(o) {
    const chart = $('chart');
    const b = buckets(o);
    if (!b) {
      chart.replaceChildren(el('p', { class: 'muted', text: 'No time range to chart.' }));
      return;
    }
    const { list, width } = b;
    const top = Math.max(1, ...list.map((x) => x.ok + x.failed));
    const [W, H] = [600, 160];
    const slot = W / list.length;
    const plot = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'Successful and failed deliveries over time', class: 'plot' });
    for (const y of [0, H / 2, H]) {
      plot.append(svg('line', { x1: 0, x2: W, y1: y, y2: y, class: 'grid', 'vector-effect': 'non-scaling-stroke' }));
    }
    let okTotal = 0;
    let failedTotal = 0;
    list.forEach((x, i) => {
      okTotal += x.ok;
      failedTotal += x.failed;
      if (!x.ok && !x.failed) return;
      const group = svg('g');
      const title = svg('title');
      title.textContent = `${when(new Date(x.at).toISOString())}: ${x.ok} delivered, ${x.failed} failed`;
      group.append(title);
      const okHeight = (H * x.ok) / top;
      const failedHeight = (H * x.failed) / top;
      const barX = i * slot + slot * 0.1;
      const barW = Math.max(slot * 0.8, 0.5);
      if (x.ok) group.append(svg('rect', { x: barX, y: H - okHeight, width: barW, height: okHeight, class: 'ok' }));
      if (x.failed) group.append(svg('rect', { x: barX, y: H - okHeight - failedHeight, width: barW, height: failedHeight, class: 'failed' }));
      plot.append(group);
    });
    const legend = el(
      'div',
      { class: 'legend' },
      el('span', { class: 'key ok' }, el('i'), `Successful ${okTotal}`),
      el('span', { class: 'key failed' }, el('i'), `Failed ${failedTotal}`),
      el('span', { class: 'muted', text: `max ${top} per ${width === 1 ? 'minute' : plural(width, 'minute')}` }),
    );
    const axis = el(
      'div',
      { class: 'axis muted' },
      el('span', { text: when(o.from) }),
      el('span', { text: when(o.to) }),
    );
    chart.replaceChildren(legend, el('div', { class: 'plot-box', 'data-empty': okTotal + failedTotal === 0 ? 'No deliveries in this range' : null }, plot), axis);
  }

  function emptyRow(columns, text) {
    return el('tr', { class: 'empty' }, el('td', { colspan: columns, text }));
  }

  function renderBreakdown(rows) {
    const body = $('breakdown').tBodies[0];
    if (!rows.length) return body.replaceChildren(emptyRow(3, 'No events in this range.'));
    body.replaceChildren(
      ...rows.map((r) =>
        el(
          'tr',
          {},
          el('td', { text: shown(r.type ?? '') }),
          r.event === null || r.event === undefined ? el('td', { class: 'muted', text: '—' }) : el('td', { class: 'wrap', text: shown(r.event) }),
          el('td', { class: 'num', text: String(number(r.count)) }),
        ),
      ),
    );
  }

  function renderDiscards(rows) {
    const body = $('discards').tBodies[0];
    state.samples = [];
    if (!rows.length) {
      body.replaceChildren(emptyRow(4, 'Nothing discarded in this range.'));
      fillSamples();
      return;
    }
    const rendered = [];
    for (const r of rows) {
      const samples = Array.isArray(r.samples) ? r.samples.slice(0, 10) : [];
      const step = STEP_LABELS.get(r.step) ?? shown(r.step ?? '');
      samples.forEach((sample, i) => state.samples.push({ label: `${step} · ${shown(r.reason ?? '')} · #${i + 1}`, sample }));
      const detail = el(
        'tr',
        { class: 'samples', hidden: true },
        el(
          'td',
          { colspan: 4 },
          ...samples.map((sample, i) => {
            const use = el('button', { type: 'button', class: 'quiet small', text: 'Open in the Event Tester' });
            use.addEventListener('click', () => openInTester(sample));
            return el('div', { class: 'sample' }, el('div', { class: 'row' }, el('strong', { text: `Sample ${i + 1}` }), use), jsonBlock(sample));
          }),
        ),
      );
      let cell = el('td', { class: 'muted', text: 'none' });
      if (samples.length) {
        const toggle = el('button', { type: 'button', class: 'quiet small', 'aria-expanded': 'false', text: `Show ${samples.length}` });
        toggle.addEventListener('click', () => {
          detail.hidden = !detail.hidden;
          toggle.setAttribute('aria-expanded', String(!detail.hidden));
          toggle.textContent = detail.hidden ? `Show ${samples.length}` : 'Hide';
        });
        cell = el('td', {}, toggle);
      }
      rendered.push(
        el('tr', {}, el('td', { text: step }), el('td', { class: 'wrap', text: shown(r.reason ?? '') }), el('td', { class: 'num', text: String(number(r.count)) }), cell),
        detail,
      );
    }
    body.replaceChildren(...rendered);
    fillSamples();
  }

  // ---- dead letters ----

  const loadDeadLetters = (more = false) =>
    guarded('dead-error', async () => {
      const query = new URLSearchParams({ limit: '50' });
      if (more && state.cursor) query.set('cursor', state.cursor);
      const answer = await api(`/admin/dead-letters?${query}`);
      if (!answer.ok || !Array.isArray(answer.body?.dead_letters)) throw new Error(`the dead letters answered ${problem(answer)}`);
      state.deadLetters = more ? [...state.deadLetters, ...answer.body.dead_letters] : answer.body.dead_letters;
      state.cursor = typeof answer.body.cursor === 'string' && answer.body.cursor ? answer.body.cursor : null;
      const ids = new Set(state.deadLetters.map((d) => String(d.id)));
      for (const id of [...state.selected]) if (!ids.has(id)) state.selected.delete(id);
      renderDeadLetters();
    });

  function messageSummary(d) {
    const m = d.message;
    if (d.message_is_text) return 'message kept as text (nested too deep to show as a tree)';
    const deliver = m && typeof m === 'object' ? m.deliver : null;
    if (deliver && typeof deliver === 'object') {
      const payloads = Array.isArray(deliver.payloads) ? deliver.payloads.length : 0;
      return `${plural(payloads, 'payload')} for ${shown(deliver.mapping ?? '?')} (${shown(deliver.action ?? '?')})`;
    }
    return 'message';
  }

  function renderDeadLetters() {
    const list = $('dead-letters');
    $('dead-more').hidden = !state.cursor;
    updateSelection();
    if (!state.deadLetters.length) {
      list.replaceChildren(el('li', { class: 'muted', text: 'No dead letters.' }));
      return;
    }
    list.replaceChildren(
      ...state.deadLetters.map((d) => {
        const id = String(d.id);
        const box = el('input', { type: 'checkbox', 'aria-label': `Select dead letter ${id}` });
        box.checked = state.selected.has(id);
        box.addEventListener('change', () => {
          if (box.checked) state.selected.add(id);
          else state.selected.delete(id);
          updateSelection();
        });
        const replay = el('button', { type: 'button', class: 'small', 'data-replay': id, text: 'Replay' });
        replay.addEventListener('click', () => replayIds([id]));
        const facts = [when(d.at), d.status !== undefined && d.status !== null ? `status ${shown(d.status)}` : null, plural(number(d.attempts), 'attempt')].filter(Boolean).join(' · ');
        return el(
          'li',
          { class: 'dead', 'data-dead-letter': id },
          el('div', { class: 'row' }, el('label', { class: 'check' }, box, el('span', { class: 'muted', text: facts })), replay),
          el('p', { class: 'wrap reason', text: shown(d.reason ?? '') }),
          el('details', {}, el('summary', { text: messageSummary(d) }), el('p', { class: 'muted small', text: `id ${id}` }), jsonBlock(d.message)),
        );
      }),
    );
  }

  function updateSelection() {
    const n = state.selected.size;
    $('replay-selected').disabled = n === 0;
    $('replay-selected').textContent = n ? `Replay selected (${n})` : 'Replay selected';
  }

  /** Replays `ids`, or the oldest 100 when `ids` is null; shows what became of each. */
  const replayIds = (ids) =>
    guarded('dead-error', async () => {
      $('replay-result').textContent = 'Replaying…';
      const answer = await api('/admin/replay', { method: 'POST', body: ids ? { ids } : {} });
      const r = answer.body;
      if (!r || typeof r !== 'object' || !Array.isArray(r.replayed)) {
        $('replay-result').textContent = '';
        throw new Error(`replay answered ${problem(answer)}`);
      }
      const parts = [`Replayed ${r.replayed.length}`];
      const notReplayed = Array.isArray(r.not_replayed) ? r.not_replayed : [];
      if (notReplayed.length) parts.push(`not replayed ${notReplayed.length} (${notReplayed.map((x) => `${shown(x.id)}: ${shown(x.reason)}`).join('; ')})`);
      if (r.missing?.length) parts.push(`missing ${r.missing.length}`);
      if (r.invalid?.length) parts.push(`invalid ${r.invalid.length}`);
      if (r.more) parts.push('more remain: replay all again');
      $('replay-result').textContent = `${parts.join(' · ')}.`;
      for (const id of r.replayed) state.selected.delete(String(id));
      await loadDeadLetters();
    });

  // ---- the Event Tester ----

  function fillSamples() {
    const select = $('tester-sample');
    select.replaceChildren(
      el('option', { value: '', text: state.samples.length ? `— ${plural(state.samples.length, 'recent sample')} —` : '— no recent samples —' }),
      ...state.samples.map((s, i) => el('option', { value: String(i), text: s.label.length > 90 ? `${s.label.slice(0, 89)}…` : s.label })),
    );
  }

  function openInTester(sample) {
    $('tester-event').value = JSON.stringify(sample, null, 2);
    $('h-tester').scrollIntoView({ behavior: 'smooth', block: 'start' });
    $('tester-event').focus({ preventScroll: true });
  }

  const runTester = () =>
    guarded('tester-error', async () => {
      const output = $('tester-output');
      output.replaceChildren();
      let event;
      try {
        event = JSON.parse($('tester-event').value);
      } catch (e) {
        throw new Error(`the event is not valid JSON (${e.message})`);
      }
      const body = { event, send: $('tester-send').checked };
      if ($('tester-mapping').value) body.mapping = $('tester-mapping').value;
      $('tester-run').disabled = true;
      try {
        const answer = await api('/admin/test', { method: 'POST', body });
        if (!answer.body || typeof answer.body !== 'object' || !('valid' in answer.body)) throw new Error(`the tester answered ${problem(answer)}`);
        renderTester(answer.body);
      } finally {
        $('tester-run').disabled = false;
      }
    });

  function renderTester(t) {
    const results = Array.isArray(t.results) ? t.results : [];
    const requests = Array.isArray(t.requests) ? t.requests : [];
    const parts = [
      el('p', { class: `verdict ${t.valid ? 'valid' : 'invalid'}`, id: 'tester-verdict', text: t.valid ? 'valid' : 'invalid' }),
      el('h3', { text: 'Mappings' }),
      results.length
        ? el(
            'ul',
            { class: 'results' },
            ...results.map((r) =>
              el(
                'li',
                { 'data-status': shown(r.status ?? '') },
                el('span', { class: 'wrap', text: `event ${shown(r.index ?? 0)} · ${shown(r.mapping ?? '—')} · ${shown(r.action ?? '—')}: ` }),
                el('strong', { text: shown(r.status ?? '') }),
                Array.isArray(r.errors) && r.errors.length
                  ? el('ul', { class: 'errors' }, ...r.errors.map((e) => el('li', { class: 'wrap' }, el('code', { text: shown(e.field ?? '') }), ` ${shown(e.message ?? '')} `, el('span', { class: 'muted', text: `(${shown(e.code ?? '')})` }))))
                  : null,
              ),
            ),
          )
        : el('p', { class: 'muted', text: 'No mapping takes this event.' }),
      el('h3', { text: requests.length ? `Nudge ${requests.length === 1 ? 'request' : 'requests'}` : 'Nudge requests' }),
    ];
    if (!requests.length) parts.push(el('p', { class: 'muted', id: 'tester-nothing', text: '(nothing would be sent)' }));
    const answers = Array.isArray(t.nudge) ? t.nudge : [];
    requests.forEach((q, i) => {
      const request = el(
        'div',
        { class: 'request', 'data-request': i },
        el('p', { class: 'wrap' }, el('strong', { text: `${shown(q.method ?? 'POST')} ` }), el('code', { class: 'url', text: shown(q.url ?? '') })),
        el('p', { class: 'muted wrap', text: `${shown(q.mapping ?? '')} · ${shown(q.action ?? '')}${Array.isArray(q.events) ? ` · ${q.events.length === 1 ? 'event' : 'events'} ${q.events.map(shown).join(', ')}` : ''}` }),
        el('details', {}, el('summary', { text: 'Headers' }), jsonBlock(q.headers ?? {})),
        el('div', { class: 'label', text: 'Body' }),
        el('pre', { class: 'json request-body', text: shown(q.body ?? null) }),
      );
      const nudge = answers[i];
      if (nudge) {
        const status = nudge.status === null || nudge.status === undefined ? 'no answer' : `Nudge answered ${shown(nudge.status)}`;
        const ok = Number.isInteger(nudge.status) && nudge.status >= 200 && nudge.status < 300;
        request.append(
          el(
            'div',
            { class: `nudge ${ok ? 'valid' : 'invalid'}`, 'data-nudge': i },
            el('strong', { class: 'nudge-status', text: status }),
            nudge.error ? el('p', { class: 'error wrap', text: shown(nudge.error) }) : null,
            el('pre', { class: 'json nudge-answer', text: shown(nudge.answer ?? '') }),
          ),
        );
      }
      parts.push(request);
    });
    $('tester-output').replaceChildren(...parts);
  }

  // ---- controls ----

  /** `date` as a datetime-local input's value, in local time. */
  function localInput(date) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  function markRange() {
    for (const b of $('ranges').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.range === state.range));
    $('custom').hidden = state.range !== 'custom';
  }

  function wire() {
    $('key-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const key = $('key').value.trim();
      if (!key) return;
      $('key').value = '';
      keepKey(key);
      start();
    });
    $('forget').addEventListener('click', () => {
      keepKey(null);
      state.overview = null;
      showLogin('');
    });
    $('ranges').addEventListener('click', (e) => {
      const range = e.target.closest('button')?.dataset.range;
      if (!RANGES.has(range)) return;
      state.range = range;
      markRange();
      if (range === 'custom') {
        if (!$('custom-from').value) {
          const now = new Date();
          $('custom-from').value = localInput(new Date(now.getTime() - 3600_000));
          $('custom-to').value = localInput(now);
        }
        return;
      }
      loadOverview();
    });
    $('custom-apply').addEventListener('click', () => {
      const from = new Date($('custom-from').value);
      const to = new Date($('custom-to').value);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
        setError('overview-error', 'Choose a start before the end.');
        return;
      }
      state.from = from.toISOString();
      state.to = to.toISOString();
      loadOverview();
    });
    $('mapping').addEventListener('change', () => {
      state.mapping = $('mapping').value;
      loadOverview();
    });
    $('figures').addEventListener('click', (e) => {
      const figures = e.target.closest('button')?.dataset.figures;
      if (!figures) return;
      state.percent = figures === 'percent';
      $('funnel').classList.toggle('show-percent', state.percent);
      for (const b of $('figures').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.figures === figures));
    });
    $('refresh').addEventListener('click', () => {
      loadOverview();
      loadDeadLetters();
    });
    $('replay-selected').addEventListener('click', () => replayIds([...state.selected]));
    $('replay-all').addEventListener('click', () => {
      $('replay-all-confirm').hidden = false;
      $('replay-all').hidden = true;
    });
    const closeConfirm = () => {
      $('replay-all-confirm').hidden = true;
      $('replay-all').hidden = false;
    };
    $('replay-all-no').addEventListener('click', closeConfirm);
    $('replay-all-yes').addEventListener('click', () => {
      closeConfirm();
      replayIds(null);
    });
    $('dead-reload').addEventListener('click', () => loadDeadLetters());
    $('dead-more').addEventListener('click', () => loadDeadLetters(true));
    $('tester-sample').addEventListener('change', () => {
      const chosen = state.samples[Number($('tester-sample').value)];
      if ($('tester-sample').value !== '' && chosen) $('tester-event').value = JSON.stringify(chosen.sample, null, 2);
    });
    $('tester-run').addEventListener('click', runTester);
    window.addEventListener('hashchange', () => {
      if (takeKeyFromFragment()) start();
    });
  }

  async function start() {
    showApp();
    markRange();
    document.body.dataset.ready = 'loading';
    await Promise.all([loadOverview(), loadDeadLetters()]);
    document.body.dataset.ready = 'true';
  }

  wire();
  takeKeyFromFragment();
  state.key = storedKey() ?? state.key;
  if (state.key) start();
  else showLogin('');
})();

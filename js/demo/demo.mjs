// Recomputes the plan on every keystroke and shows each problem next to the request preview.
import init, { plan, validateConfig } from '../web.mjs';

const $ = (id) => document.getElementById(id);
const eventInput = $('event');
const configInput = $('config');
const errorList = $('errors');
const preview = $('preview');
const status = $('status');

function parse(text, what, problems) {
  try {
    return JSON.parse(text);
  } catch (e) {
    problems.push(`${what} is not valid JSON: ${e.message}`);
    return undefined;
  }
}

function problemsOf(events, config) {
  const problems = [];
  const checked = validateConfig(config);
  if (!checked.valid) {
    return { problems: checked.errors.map((e) => `config ${e.path}: ${e.message}`), requests: [] };
  }
  const result = plan(events, config);
  for (const r of result.results) {
    const where = Array.isArray(events) ? `event ${r.index}` : 'event';
    if (r.status === 'unmatched') problems.push(`${where}: no mapping's subscription matches it`);
    if (r.status === 'skipped') problems.push(`${where}: its integrations object keeps it from Nudge`);
    for (const e of r.errors ?? []) problems.push(`${where}${r.mapping ? ` (${r.mapping})` : ''}: ${e.message}`);
  }
  const requests = result.requests.map((req) => ({ ...req, headers: { ...req.headers, apikey: '[redacted]' } }));
  return { problems, requests };
}

function render() {
  const problems = [];
  const events = parse(eventInput.value, 'The event', problems);
  const config = parse(configInput.value, 'The config', problems);
  let requests = [];
  if (problems.length === 0) {
    const out = problemsOf(events, config);
    problems.push(...out.problems);
    requests = out.requests;
  }
  errorList.replaceChildren(...problems.map((p) => Object.assign(document.createElement('li'), { textContent: p })));
  preview.textContent = requests.length ? JSON.stringify(requests, null, 2) : '(nothing would be sent)';
  status.textContent = problems.length ? 'invalid' : 'valid';
  status.className = problems.length ? 'invalid' : 'valid';
}

await init();
eventInput.addEventListener('input', render);
configInput.addEventListener('input', render);
render();
document.body.dataset.ready = 'true';

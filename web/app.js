// cafflow's web page: a single-page app over the HTTP API (/api/v1), in
// plain JavaScript (no framework, nothing loaded from elsewhere).
//
// Adding a page: a function `(params, query) => void` in `routes` (and a
// line in `nav` to show it in the menu). Adding a button to the instance
// page: an entry in `instanceActions`. Everything goes through `api()`,
// which sends the page's CSRF header and asks for the token on a 401.
'use strict';

// -- helpers ------------------------------------------------------------------

/** An element: h('a', {href: '#'}, 'text', child...). Text is never parsed as HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function badge(status) { return h('span', {class: 'badge st-' + status}, status); }

function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function duration(from, to) {
  if (!from) return '';
  const ms = (to ? new Date(to) : new Date()) - new Date(from);
  if (ms < 1000) return ms + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
  return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
}

function enc(s) { return encodeURIComponent(s); }

/** The query of the current route as an object. */
function queryOf(text) {
  const out = {};
  for (const [k, v] of new URLSearchParams(text || '')) out[k] = v;
  return out;
}

function go(hash) { if (location.hash !== hash) location.hash = hash; else render(); }

function notice(text, kind) {
  const el = document.getElementById('notice');
  el.textContent = text;
  el.className = 'notice' + (kind ? ' ' + kind : '') + (text ? '' : ' hidden');
}

/** A time given as milliseconds since 1970 (0: not set), as fmtTime shows it. */
function fmtMs(ms) { return ms ? fmtTime(new Date(ms).toISOString()) : ''; }

/** What an error says, with the HTTP status when the API answered it. */
function errText(e) {
  return e instanceof ApiError ? `${e.status}: ${e.message}` : String(e && e.message || e);
}

/** Shows an error in `box` (an element), or clears it when e is null. */
function showError(box, e) {
  box.replaceChildren(...(e ? [h('p', {class: 'error'}, errText(e))] : []));
}

/** A checkbox inside its label: {box, label}. */
function checkbox(id, text, title) {
  const box = h('input', {type: 'checkbox', id});
  return {box, label: h('label', {class: 'check', title}, box, ' ', text)};
}

/**
 * The optional "by" of a request (who asks: the executions and a marked
 * node's message show it), remembered in this browser.
 */
const BY_KEY = 'cafflow.by';
function byInput(id) {
  let stored = '';
  try { stored = localStorage.getItem(BY_KEY) || ''; } catch (e) { /* storage off */ }
  const el = h('input', {id, placeholder: 'your name (optional)', value: stored, maxlength: 255});
  el.addEventListener('change', () => { try { localStorage.setItem(BY_KEY, el.value.trim()); } catch (e) { /* off */ } });
  return el;
}
function byOf(input) { return input.value.trim(); }

/** The node lists of an execution: "failed: b; succeeded: a, c". */
function nodeLists(nodes) {
  return ['failed', 'running', 'pending', 'skipped', 'succeeded']
    .filter(k => (nodes[k] || []).length).map(k => `${k}: ${nodes[k].join(', ')}`).join('; ');
}

/** A backfill's progress as a bar: done green, skipped grey, failed red, running blue, cancelled purple. */
function progressBar(p) {
  const total = p.planned || 1;
  const seg = (n, cls, what) => n > 0 ? h('span', {class: 'seg ' + cls, 'data-part': what,
    style: `width:${(100 * n / total).toFixed(2)}%`}) : null;
  return h('span', {class: 'progress', title: `${p.done} of ${p.planned} done (${p.skipped} skipped), ` +
      `${p.failed} failed, ${p.running} running, ${p.waiting} waiting, ${p.cancelled} cancelled`},
    seg(p.done - p.skipped, 'st-succeeded', 'done'), seg(p.skipped, 'st-skipped', 'skipped'),
    seg(p.failed, 'st-failed', 'failed'), seg(p.running, 'st-running', 'running'),
    seg(p.cancelled, 'st-killed', 'cancelled'));
}

// -- the API --------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

const session = { tokenRequired: false, openReads: true, authenticated: false };

/**
 * A request to the API. Mutations carry X-Cafflow-Page (the server refuses
 * the session cookie without it: CSRF). A 401 asks for the token once and
 * repeats the request.
 */
async function api(method, path, body, retried) {
  const headers = {'X-Cafflow-Page': '1', 'Accept': 'application/json'};
  const init = {method, headers, credentials: 'same-origin'};
  if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  const r = await fetch(path, init);
  if (r.status === 401 && !retried) {
    session.authenticated = false;
    if (await askToken()) return api(method, path, body, true);
  }
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = {error: text}; }
  if (!r.ok) throw new ApiError(r.status, (data && data.error) || r.statusText);
  return data;
}

async function apiText(path) {
  const r = await fetch(path, {credentials: 'same-origin', headers: {'X-Cafflow-Page': '1'}});
  if (r.status === 401 && await askToken()) return apiText(path);
  if (!r.ok) {
    let msg = r.statusText;
    try { msg = JSON.parse(await r.text()).error || msg; } catch (e) { /* not JSON */ }
    throw new ApiError(r.status, msg);
  }
  return r.text();
}

// -- login ------------------------------------------------------------------------

let loginWaiters = null;

/** Shows the token prompt; resolves true once logged in, false when skipped. */
function askToken() {
  if (loginWaiters) return new Promise(res => loginWaiters.push(res));
  loginWaiters = [];
  return new Promise(res => {
    loginWaiters.push(res);
    document.getElementById('login-reads').textContent =
      session.openReads ? '' : ' or to read';
    document.getElementById('login-skip').classList.toggle('hidden', !session.openReads);
    document.getElementById('login-error').classList.add('hidden');
    document.getElementById('login').classList.remove('hidden');
    document.getElementById('login-token').focus();
  });
}

function loginDone(ok) {
  document.getElementById('login').classList.add('hidden');
  const waiters = loginWaiters || [];
  loginWaiters = null;
  for (const w of waiters) w(ok);
  showSession();
}

async function submitLogin(ev) {
  ev.preventDefault();
  const input = document.getElementById('login-token');
  const error = document.getElementById('login-error');
  const r = await fetch('/ui/login', {
    method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-Cafflow-Page': '1'},
    body: JSON.stringify({token: input.value})});
  if (r.ok) {
    input.value = '';
    session.authenticated = true;
    loginDone(true);
    return;
  }
  let msg = 'wrong token';
  try { msg = (await r.json()).error || msg; } catch (e) { /* keep */ }
  error.textContent = msg;
  error.classList.remove('hidden');
  input.select();
}

function showSession() {
  const el = document.getElementById('session');
  el.replaceChildren();
  if (!session.tokenRequired) return;
  if (session.authenticated) {
    el.append(h('span', {id: 'session-state'}, 'logged in'),
      h('button', {class: 'secondary', id: 'logout', onclick: async () => {
        await fetch('/ui/logout', {method: 'POST', credentials: 'same-origin', headers: {'X-Cafflow-Page': '1'}});
        session.authenticated = false; showSession();
      }}, 'Log out'));
  } else {
    el.append(h('span', {id: 'session-state'}, 'read only'),
      h('button', {class: 'secondary', id: 'login-open', onclick: () => askToken()}, 'Log in'));
  }
}

// -- the frame --------------------------------------------------------------------

const nav = [
  ['workflows', 'Workflows'],
  ['instances', 'Instances'],
  ['backfills', 'Backfills'],
  ['alerts', 'Alerts'],
  ['cluster', 'Cluster'],
  ['xmlconfig', 'xmlconfig'],
];

/** What the current page stops when another one is shown (timers, streams). */
let cleanups = [];

const app = () => document.getElementById('app');

function page(title, ...content) {
  document.title = (title ? title + ' — ' : '') + 'cafflow';
  app().replaceChildren(...content.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false));
}

function failed(e) {
  app().replaceChildren(h('div', {class: 'card error', id: 'page-error'},
    e instanceof ApiError ? `${e.status}: ${e.message}` : String(e && e.message || e)));
}

/**
 * The render token: each render() takes the next one, and a route draws and
 * starts timers or streams only while its token is the newest. A page whose
 * data arrives after the user moved on (fast clicks on a slow API) is dropped
 * instead of replacing the newer page.
 */
let renderToken = 0;

/** Thrown by ctx.page() of a render that is no longer the newest. */
class StaleRender extends Error {}

/** What the last renders did (the newest last): for the browser test. */
const renderLog = [];
window.cafflowRenders = renderLog;
function logRender(route, token, outcome) {
  renderLog.push({route, token, outcome});
  if (renderLog.length > 100) renderLog.shift();
}

/**
 * What a route gets as its third argument: `page()` and `onLeave()` of this
 * render (stale: page() throws StaleRender, onLeave() stops at once) and
 * `live()`, true while it is the newest render.
 */
function renderContext(token) {
  const live = () => token === renderToken;
  return {
    token, live,
    page(title, ...content) { if (!live()) throw new StaleRender(); page(title, ...content); },
    onLeave(f) {
      if (live()) cleanups.push(f);
      else try { f(); } catch (e) { /* already stopped */ }
    },
  };
}

async function render() {
  const token = ++renderToken;
  for (const f of cleanups) { try { f(); } catch (e) { /* already stopped */ } }
  cleanups = [];
  notice('');
  const hash = location.hash.replace(/^#\/?/, '') || 'workflows';
  const [pathPart, queryPart] = hash.split('?');
  const parts = pathPart.split('/').map(decodeURIComponent);
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.dataset.page === parts[0] || a.dataset.page === parts[0] + 's');
  const route = routes[parts[0]];
  if (!route) { page('Not found', h('div', {class: 'card error'}, 'No page named ' + parts[0])); return; }
  const ctx = renderContext(token);
  try {
    await route(parts.slice(1), queryOf(queryPart), ctx);
    logRender(parts[0], token, ctx.live() ? 'shown' : 'stale');
  } catch (e) {
    if (e instanceof StaleRender || !ctx.live()) { logRender(parts[0], token, 'stale'); return; }
    logRender(parts[0], token, 'failed');
    failed(e);
  }
}

async function refreshHealth() {
  const el = document.getElementById('health');
  try {
    const r = await fetch('/api/v1/health', {credentials: 'same-origin'});
    const data = await r.json();
    el.className = 'health ' + (r.ok ? (data.status === 'ok' ? 'ok' : 'degraded') : 'down');
    el.title = r.ok ? `${data.cluster}: ${data.status}, master ${data.master}, epoch ${data.epoch}`
                    : (data.error || 'unavailable');
  } catch (e) { el.className = 'health down'; el.title = String(e); }
}

// -- Workflows ---------------------------------------------------------------------

const PAGE_SIZE = 25;

function runStrip(runs) {
  // Oldest left, newest right, as Airflow's grid.
  return h('span', {class: 'strip'}, (runs || []).slice().reverse().map(r =>
    h('a', {href: '#/instance/' + enc(r.id), class: 'st-' + r.status,
            title: `${r.status} · ${r.trigger} · ${fmtTime(r.logical_time)}`})));
}

async function workflowsPage(_, q, ctx) {
  const offset = Number(q.offset || 0);
  const params = new URLSearchParams({limit: PAGE_SIZE, offset, detail: 'true'});
  for (const k of ['dir', 'name', 'status']) if (q[k]) params.set(k, q[k]);
  const started = performance.now();
  const [list, files] = await Promise.all([
    api('GET', '/api/v1/workflows?' + params),
    api('GET', '/api/v1/xmlconfig?status=invalid,conflict,error').catch(() => ({files: []}))]);
  const took = Math.round(performance.now() - started);
  const filter = h('form', {class: 'filters', id: 'workflow-filter', onsubmit: ev => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const next = new URLSearchParams();
    for (const k of ['dir', 'name', 'status']) if (f.get(k)) next.set(k, f.get(k));
    go('#/workflows?' + next);
  }},
    h('label', {}, 'Name contains', h('input', {name: 'name', value: q.name || '', id: 'filter-name'})),
    h('label', {}, 'Dir', h('input', {name: 'dir', value: q.dir || '', placeholder: '/etl'})),
    h('label', {}, 'Status', h('select', {name: 'status'},
      ['active', 'removed', 'all'].map(s => h('option', {value: s, selected: (q.status || 'active') === s}, s)))),
    h('button', {type: 'submit'}, 'Filter'));
  const rows = list.workflows.map(w => {
    const c = w.coordinator;
    let schedule = h('span', {class: 'muted'}, 'manual');
    if (c) schedule = h('span', {}, c.paused ? badge('paused') : null, ' ',
      h('span', {class: 'mono'}, c.cron || 'on dependencies'),
      c.next_fire ? h('div', {class: 'muted'}, 'next ' + fmtTime(c.next_fire)) : null,
      c.waiting ? h('div', {class: 'muted'}, c.waiting + ' tick(s) wait for dependencies') : null);
    const deps = c && c.dependencies && c.dependencies.length
      ? c.dependencies.map(d => h('div', {}, h('span', {class: 'badge ' + (d.ready ? 'st-succeeded' : 'st-pending')},
          d.ready ? 'ready' : 'waiting'), ' ', h('a', {href: '#/workflow/' + enc(d.workflow)}, d.workflow)))
      : h('span', {class: 'muted'}, '—');
    return h('tr', {'data-workflow': w.name},
      h('td', {}, h('a', {href: '#/workflow/' + enc(w.name), class: 'wf-link'}, w.name),
        w.desc ? h('div', {class: 'muted'}, w.desc) : null),
      h('td', {class: 'mono'}, w.dir),
      h('td', {}, badge(w.status)),
      h('td', {}, 'v' + w.version, h('div', {class: 'muted'}, w.nodes + ' nodes')),
      h('td', {}, schedule),
      h('td', {}, deps),
      h('td', {}, runStrip(w.recent_runs)));
  });
  const first = list.total ? offset + 1 : 0;
  const last = offset + list.workflows.length;
  const pageTo = o => { const n = new URLSearchParams(q); n.set('offset', o); return '#/workflows?' + n; };
  const pager = h('div', {class: 'pager', id: 'workflow-pager'},
    h('button', {class: 'secondary', id: 'prev-page', disabled: offset === 0,
                 onclick: () => go(pageTo(Math.max(0, offset - PAGE_SIZE)))}, '‹ Previous'),
    h('span', {id: 'page-range'}, `${first}–${last} of ${list.total}`),
    h('button', {class: 'secondary', id: 'next-page', disabled: list.next_offset === null,
                 onclick: () => go(pageTo(list.next_offset))}, 'Next ›'),
    h('span', {class: 'muted', id: 'page-time'}, `answered in ${took} ms`));
  const bad = (files.files || []).filter(f => f.status !== 'loaded');
  ctx.page('Workflows',
    h('h1', {}, 'Workflows'),
    filter, pager,
    h('table', {id: 'workflows'},
      h('thead', {}, h('tr', {}, ['Name', 'Dir', 'Status', 'Version', 'Schedule', 'Depends on', 'Recent runs'].map(t => h('th', {}, t)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: 7, class: 'muted'}, 'No workflow matches.')))),
    bad.length ? [h('h2', {}, 'xmlconfig files with problems'), xmlTable(bad, 'bad-files')] : []);
}

// -- Workflow ----------------------------------------------------------------------

/**
 * An SVG laid out by Graphviz on this server (GET `path`) into `container`;
 * a click on a node calls onNode(name), the node's id without `prefix`.
 * Answers whether it is drawn.
 */
async function loadSvg(container, path, prefix, onNode) {
  try {
    const svg = await apiText(path);
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    const root = doc.documentElement;
    if (root.nodeName !== 'svg') throw new Error('the graph is not SVG');
    for (const s of root.querySelectorAll('script')) s.remove();
    const svgEl = document.importNode(root, true);
    // Fitted to the box, but never below 30 %: a very wide graph (a fork of
    // 1 000 actions) scrolls in its box with its colours still visible.
    const natural = parseFloat(root.getAttribute('width')) * (String(root.getAttribute('width')).endsWith('pt') ? 4 / 3 : 1);
    const room = container.clientWidth - 18;
    if (natural > 0 && room > 0 && natural * 0.3 > room) {
      svgEl.style.maxWidth = 'none';
      svgEl.style.width = Math.round(natural * 0.3) + 'px';
    }
    container.replaceChildren(svgEl);
    if (onNode) for (const g of container.querySelectorAll('g.node')) {
      g.classList.add('clickable');
      g.addEventListener('click', () => onNode(g.id.slice(prefix.length)));
    }
    return true;
  } catch (e) {
    container.replaceChildren(h('p', {class: 'error'}, 'The graph cannot be drawn: ' + e.message));
    return false;
  }
}

/** A workflow's DAG: the active version's, or `version`'s when given. */
function loadGraph(container, name, onNode, version) {
  const path = '/api/v1/workflows/' + enc(name) + (version ? '/versions/' + enc(version) : '') + '/graph';
  return loadSvg(container, path, 'wfnode-', onNode);
}

/**
 * The workflows upstream and downstream of `name` (coordinator
 * dependencies, every level) as a graph laid out by Graphviz; a click on one
 * opens its page. Answers the lineage (GET .../lineage).
 */
async function loadLineage(box, name) {
  const lineage = await api('GET', '/api/v1/workflows/' + enc(name) + '/lineage');
  const others = lineage.workflows.filter(w => w.relation !== 'self');
  box.setAttribute('data-workflows', lineage.workflows.length);
  if (!others.length) {
    box.replaceChildren(h('p', {class: 'muted', id: 'lineage-none'},
      'No coordinator waits for it, and its coordinator waits for no workflow.'));
    return lineage;
  }
  const counts = rel => others.filter(w => w.relation === rel).length;
  const graph = h('div', {class: 'graph lineage', id: 'lineage-graph'}, h('p', {class: 'muted'}, 'Laying out…'));
  box.replaceChildren(h('p', {class: 'muted'}, `${counts('upstream')} upstream, ${counts('downstream')} downstream` +
      (lineage.truncated ? ' (more than drawn)' : '') + '; a dashed edge: not ready for the next fire; click one to open it.'),
    graph);
  await loadSvg(graph, '/api/v1/workflows/' + enc(name) + '/lineage/graph', 'lnnode-',
    other => { if (other !== name) go('#/workflow/' + enc(other)); });
  return lineage;
}

/**
 * The Run card: params, logical time, the run options (only these nodes,
 * with upstream or downstream, from a node, skip), and Run / Trigger / Run
 * with downstream. What a route does not take (trigger: only params and
 * skip; lineage: no node option) the API refuses, and its message is shown.
 */
/**
 * Rows of param name and value (the coordinator's <param-list> names
 * pre-filled, one empty row) and "+ param": {el, collect()}; collect() gives
 * the rows with a name and a value as an object.
 */
function paramsEditor(coordinator, idPrefix) {
  const params = h('div', {class: 'params', id: idPrefix + '-params'});
  const addParam = (k, v) => params.append(h('div', {class: 'param'},
    h('input', {class: 'param-name', placeholder: 'name', value: k || ''}),
    h('input', {class: 'param-value', placeholder: 'value', value: v || ''})));
  for (const p of (coordinator && coordinator.params) || []) addParam(p.name, '');
  addParam('', '');
  const collect = () => {
    const out = {};
    for (const row of params.querySelectorAll('.param')) {
      const k = row.querySelector('.param-name').value.trim();
      const v = row.querySelector('.param-value').value;
      if (k && v !== '') out[k] = v;
    }
    return out;
  };
  const el = h('div', {}, params,
    h('div', {}, h('button', {type: 'button', class: 'secondary', id: idPrefix + '-add-param', onclick: () => addParam()}, '+ param')));
  return {el, collect};
}

function runForm(name, coordinator, nodes) {
  const paramRows = paramsEditor(coordinator, 'run');
  const result = h('div', {id: 'run-result'});
  const time = h('input', {id: 'run-logical-time', placeholder: 'YYYY-MM-DD HH:MM:SS'});
  const by = byInput('run-by');
  const upstream = checkbox('run-upstream', 'with upstream', 'also every node before the ticked ones');
  const downstream = checkbox('run-downstream', 'with downstream', 'also every node after the ticked ones');
  const from = h('select', {id: 'run-from'}, h('option', {value: ''}, '—'),
    (nodes || []).map(n => h('option', {value: n.name}, n.name)));
  const actions = (nodes || []).filter(n => n.kind === 'action');
  const optionTable = h('table', {class: 'compact', id: 'run-node-options'},
    h('thead', {}, h('tr', {}, h('th', {}, 'Action'), h('th', {}, 'Only'), h('th', {}, 'Skip'))),
    h('tbody', {}, actions.map(n => h('tr', {'data-node': n.name},
      h('td', {}, n.name, n.action_type ? h('span', {class: 'muted'}, ' ' + n.action_type) : null),
      h('td', {}, h('input', {type: 'checkbox', class: 'run-node', value: n.name})),
      h('td', {}, h('input', {type: 'checkbox', class: 'skip-node', value: n.name}))))));
  const details = h('details', {id: 'run-options'},
    h('summary', {}, 'Run options (only some nodes, skip some)'),
    h('p', {class: 'muted'}, 'Nodes not run are skipped when the flow reaches them; forks, joins and decisions work as always.'),
    optionTable,
    h('div', {class: 'buttons'}, upstream.label, downstream.label),
    h('label', {}, 'From node (it and every node after it)', from));
  const collect = paramRows.collect;
  // The options as the API takes them; only what is set.
  const options = () => {
    const o = {};
    const ticked = cls => [...optionTable.querySelectorAll(`input.${cls}:checked`)].map(c => c.value);
    const only = ticked('run-node'), skip = ticked('skip-node');
    if (only.length) o.nodes = only;
    if (upstream.box.checked) o.upstream = true;
    if (downstream.box.checked) o.downstream = true;
    if (from.value) o.from_node = from.value;
    if (skip.length) o.skip = skip;
    return o;
  };
  const start = async (verb, body) => {
    result.replaceChildren();
    try {
      const r = await api('POST', `/api/v1/workflows/${enc(name)}/${verb}`, body);
      go('#/instance/' + enc(r.instance_id));
    } catch (e) { showError(result, e); }
  };
  const timed = body => { const t = time.value.trim(); if (t) body.logical_time = t; return body; };
  const withBy = body => { if (byOf(by)) body.by = byOf(by); return body; };
  return h('form', {class: 'form', id: 'run-form', onsubmit: ev => {
    ev.preventDefault();
    start('run', withBy(timed(Object.assign({params: collect()}, options()))));
  }},
    h('label', {}, 'Params (the <param-list> evaluated at the logical time, these on top)', paramRows.el),
    h('label', {}, 'Logical time (UTC, empty = now)', time),
    actions.length ? details : null,
    h('label', {}, 'By', by),
    h('div', {class: 'buttons'},
      h('button', {type: 'submit', id: 'run-button'}, 'Run'),
      h('button', {type: 'button', class: 'secondary', id: 'trigger-button',
                   title: 'as if its coordinator fired now: downstream dependencies become ready (takes params and skip)',
                   onclick: () => start('trigger', Object.assign({params: collect()}, options()))}, 'Trigger'),
      h('button', {type: 'button', class: 'secondary', id: 'lineage-button',
                   title: 'this workflow, then everything downstream (no node options)',
                   onclick: () => start('lineage', withBy(timed(Object.assign({params: collect()}, options()))))},
        'Run with downstream')),
    result);
}

/**
 * "Why waiting": a dependency report of the API (GET .../dependencies) as
 * each part, its verdict tree and the periods with the instance that decided.
 */
function whyView(doc) {
  const period = p => h('tr', {'data-state': p.state},
    h('td', {class: 'mono'}, `${p.from.local} – ${p.to.local}`),
    h('td', {}, badge(p.state)),
    h('td', {}, p.instance ? [h('a', {href: '#/instance/' + enc(p.instance.id), class: 'mono'}, p.instance.id),
      ` ${p.instance.status} at ${p.instance.logical_time.local}`] : h('span', {class: 'muted'}, 'none yet')));
  const verdict = v => v.kind === 'item'
    ? h('li', {class: 'verdict', 'data-workflow': v.workflow, 'data-state': v.state},
        badge(v.state), ' ', h('a', {href: '#/workflow/' + enc(v.workflow)}, v.workflow),
        v.node ? ` node ${v.node}` : '', ` (cycle ${v.cycle}, window ${v.window})`,
        v.failed_at ? h('span', {class: 'muted'}, ` failed at ${fmtTime(v.failed_at)}`) : null,
        h('table', {class: 'compact periods'}, h('tbody', {}, (v.periods || []).map(period))))
    : h('li', {class: 'verdict', 'data-state': v.state}, badge(v.state), ` ${v.kind} of:`,
        h('ul', {}, (v.children || []).map(verdict)));
  if (doc.state === 'none')
    return [h('p', {class: 'muted', 'data-state': 'none'}, 'No date-window dependency.')];
  return [
    h('p', {id: 'why-state', 'data-state': doc.state}, badge(doc.state),
      ` at logical time ${doc.logical_time.local} (${doc.timezone})`),
    (doc.parts || []).map(p => h('div', {class: 'why-part', 'data-part': p.node || p.part},
      h('div', {}, h('strong', {}, p.part === 'depend-list' ? 'depend-list' : `node ${p.node}`), ' ', badge(p.state),
        h('span', {class: 'muted'}, ` on failure ${p.on_failure}` +
          (p.on_failure === 'wait' ? ` (${p.wait_minutes} min)` : '') +
          (p.deadline ? `, fails at ${fmtTime(p.deadline)} unless a rerun succeeds` : ''))),
      p.verdict ? h('ul', {class: 'verdicts'}, verdict(p.verdict)) : null)),
    h('details', {}, h('summary', {}, 'as text'), h('pre', {class: 'log', id: 'why-message'}, doc.message))];
}

/**
 * The Backfill card: a range (or dates), parallel, order, downstream, rerun;
 * "Plan" asks for the dry-run plan, "Start backfill" appears once a plan is
 * shown and creates exactly what was planned (a change of the form hides it).
 */
function backfillForm(name, coordinator) {
  const field = (id, attrs) => h('input', Object.assign({id}, attrs || {}));
  const choice = (id, values) => h('select', {id}, values.map(([v, l]) => h('option', {value: v}, l)));
  const f = {
    from: field('bf-from', {placeholder: 'YYYY-MM-DD HH:MM:SS'}),
    to: field('bf-to', {placeholder: 'YYYY-MM-DD HH:MM:SS'}),
    dates: field('bf-dates', {placeholder: 'instead: times, comma separated'}),
    parallel: field('bf-parallel', {type: 'number', min: 1, max: 10000, value: 1}),
    order: choice('bf-order', [['asc', 'oldest first'], ['desc', 'newest first']]),
    downstream: choice('bf-downstream', [['none', 'this workflow only'], ['direct', 'and its direct downstream'],
                                          ['all', 'and everything downstream']]),
    rerun: choice('bf-rerun', [['none', 'skip what succeeded'], ['failed', 'only what failed or was killed'],
                                ['all', 'everything']]),
  };
  const by = byInput('bf-by');
  const paramRows = paramsEditor(coordinator, 'bf');
  const plan = h('div', {id: 'bf-plan'});
  const startButton = h('button', {type: 'button', id: 'bf-start-button', class: 'hidden'}, 'Start backfill');
  const body = () => {
    const b = {workflow: name, parallel: Number(f.parallel.value || 1), order: f.order.value,
               downstream: f.downstream.value, rerun: f.rerun.value};
    const dates = f.dates.value.split(/[,\n]/).map(s => s.trim()).filter(Boolean);
    if (dates.length) b.dates = dates;
    if (f.from.value.trim()) b.from = f.from.value.trim();
    if (f.to.value.trim()) b.to = f.to.value.trim();
    const params = paramRows.collect();
    if (Object.keys(params).length) b.params = params;
    if (byOf(by)) b.created_by = byOf(by);
    return b;
  };
  let planned = null;
  // A plan stands for the form as it was: a change drops it.
  const forget = () => {
    if (planned) plan.replaceChildren(h('p', {class: 'muted'}, 'The form changed: plan again.'));
    planned = null;
    startButton.classList.add('hidden');
  };
  const showPlan = p => {
    const counts = {};
    for (const it of p.items) counts[it.workflow] = (counts[it.workflow] || 0) + 1;
    const shown = p.items.slice(0, 200);
    plan.replaceChildren(h('div', {},
      h('p', {id: 'bf-plan-summary'}, `Plan (nothing started): ${p.progress.planned} items (` +
        Object.entries(counts).map(([w, n]) => `${w} ${n}`).join(', ') + `), ${p.progress.skipped} skipped`),
      h('table', {class: 'compact', id: 'bf-plan-items'},
        h('thead', {}, h('tr', {}, ['Workflow', 'Logical time', 'State'].map(t => h('th', {}, t)))),
        h('tbody', {}, shown.map(it => h('tr', {'data-workflow': it.workflow, 'data-state': it.state},
          h('td', {}, it.workflow), h('td', {}, fmtTime(it.logical_time)), h('td', {}, badge(it.state)))))),
      p.items.length > shown.length ? h('p', {class: 'muted'}, `… and ${p.items.length - shown.length} more`) : null));
  };
  const form = h('form', {class: 'form', id: 'backfill-form', oninput: forget, onchange: forget, onsubmit: async ev => {
    ev.preventDefault();
    forget();
    plan.replaceChildren(h('p', {class: 'muted'}, 'Planning…'));
    const b = body();
    try {
      const p = await api('POST', '/api/v1/backfills', Object.assign({dry_run: true}, b));
      showPlan(p);
      planned = b;
      startButton.classList.remove('hidden');
    } catch (e) { showError(plan, e); }
  }},
    h('div', {class: 'pair'}, h('label', {}, 'From (UTC)', f.from), h('label', {}, 'To (UTC, included)', f.to)),
    h('label', {}, 'Or these logical times', f.dates),
    h('div', {class: 'pair'}, h('label', {}, 'Parallel', f.parallel), h('label', {}, 'Order', f.order)),
    h('div', {class: 'pair'}, h('label', {}, 'Downstream', f.downstream), h('label', {}, 'Rerun', f.rerun)),
    h('label', {}, 'Params (on top of each instance’s <param-list>)', paramRows.el),
    h('label', {}, 'By', by),
    h('div', {class: 'buttons'}, h('button', {type: 'submit', class: 'secondary', id: 'bf-plan-button'}, 'Plan'), startButton),
    plan);
  startButton.addEventListener('click', async () => {
    if (!planned) return;
    startButton.disabled = true;
    try {
      const r = await api('POST', '/api/v1/backfills', planned);
      go('#/backfill/' + enc(r.id));
    } catch (e) { showError(plan, e); } finally { startButton.disabled = false; }
  });
  return form;
}

async function workflowPage([name], _, ctx) {
  const d = await api('GET', '/api/v1/workflows/' + enc(name));
  const w = d.workflow, c = d.coordinator;
  const graph = h('div', {class: 'graph', id: 'graph'}, h('p', {class: 'muted'}, 'Laying out…'));
  const lineageBox = h('div', {id: 'lineage'}, h('p', {class: 'muted'}, 'Asking…'));
  const source = h('pre', {class: 'source hidden', id: 'xml-source'});
  const xmlTitle = h('h2', {id: 'xml-title'}, '');
  const showVersion = async v => {
    try {
      const r = await api('GET', `/api/v1/workflows/${enc(name)}/versions/${v}`);
      source.textContent = r.xml;
      source.classList.remove('hidden');
      xmlTitle.textContent = `XML of version ${v} (${r.file})`;
    } catch (e) { source.textContent = e.message; source.classList.remove('hidden'); }
  };
  const coordinate = async action => {
    try { await api('POST', `/api/v1/workflows/${enc(name)}/${action}`); render(); }
    catch (e) { notice(e.message); }
  };
  const coordCard = c ? h('div', {class: 'card', id: 'coordinator'},
    h('h2', {}, 'Coordinator ', c.paused ? badge('paused') : badge(c.enabled ? 'active' : 'disabled')),
    h('dl', {class: 'facts'},
      h('dt', {}, 'cron'), h('dd', {class: 'mono'}, c.cron || 'fires when its dependencies are ready'),
      h('dt', {}, 'time zone'), h('dd', {}, c.timezone || ''),
      h('dt', {}, 'next fires'), h('dd', {}, (c.next_fires || []).map(fmtTime).join(', ') || '—'),
      h('dt', {}, 'waiting ticks'), h('dd', {}, (c.waiting || []).map(fmtTime).join(', ') || '—'),
      h('dt', {}, 'last fire'), h('dd', {}, fmtTime(c.last_fire) || '—'),
      h('dt', {}, 'catch-up, overlap'), h('dd', {}, `${c.catchup}, ${c.overlap}`)),
    (c.dependencies || []).length ? h('table', {id: 'dependencies'},
      h('thead', {}, h('tr', {}, h('th', {}, 'Waits for'), h('th', {}, 'Ready'), h('th', {}, 'By instance'))),
      h('tbody', {}, c.dependencies.map(dep => h('tr', {},
        h('td', {}, h('a', {href: '#/workflow/' + enc(dep.workflow)}, dep.workflow)),
        h('td', {}, dep.ready ? badge('succeeded') : badge('pending')),
        h('td', {}, dep.instance_id ? h('a', {href: '#/instance/' + enc(dep.instance_id)}, dep.instance_id) : '—'))))) : null,
    h('div', {class: 'buttons', style: 'margin-top:8px'},
      c.paused ? h('button', {id: 'resume-button', onclick: () => coordinate('resume')}, 'Resume')
               : h('button', {class: 'secondary', id: 'pause-button', onclick: () => coordinate('pause')}, 'Pause'),
      h('button', {class: 'secondary', id: 'reset-button', title: 'forget which dependencies are ready',
                   onclick: () => coordinate('reset')}, 'Reset dependencies'))) : null;
  const runs = h('tbody', {id: 'workflow-runs'});
  // Would an instance wait for its date windows (at the next fire, or at a
  // logical time given here), and for what.
  const why = h('div', {id: 'workflow-why'}, h('p', {class: 'muted'}, 'Asking…'));
  const whyTime = h('input', {id: 'why-time', placeholder: 'YYYY-MM-DD HH:MM:SS (empty: the next fire)'});
  const explain = async first => {
    const t = whyTime.value.trim();
    try {
      const doc = await api('GET', `/api/v1/workflows/${enc(name)}/dependencies` + (t ? '?logical_time=' + enc(t) : ''));
      why.replaceChildren(h('div', {}, whyView(doc)));
      // A workflow without date windows: nothing to explain, no card.
      if (first && doc.state === 'none') whyCard.classList.add('hidden');
    } catch (e) { showError(why, e); }
  };
  const whyCard = h('div', {class: 'card', id: 'why-card'},
    h('h2', {style: 'margin-top:0'}, 'Date-window dependencies'),
    h('form', {class: 'filters', onsubmit: ev => { ev.preventDefault(); explain(false); }},
      h('label', {}, 'At logical time (UTC)', whyTime), h('button', {type: 'submit', class: 'secondary', id: 'why-button'}, 'Explain')),
    why);
  ctx.page(name,
    h('h1', {}, name, badge(w.status), h('span', {class: 'muted'}, `v${w.version} · ${w.dir}`)),
    w.desc ? h('p', {}, w.desc) : null,
    h('div', {class: 'row'},
      h('div', {class: 'grow'}, h('h2', {}, 'Graph'), graph),
      h('div', {style: 'width:420px;max-width:100%'},
        h('div', {class: 'card'}, h('h2', {style: 'margin-top:0'}, 'Run'), runForm(name, c, d.nodes)),
        coordCard,
        whyCard,
        h('div', {class: 'card'}, h('h2', {style: 'margin-top:0'}, 'Backfill'), backfillForm(name, c)),
        )),
    h('h2', {id: 'lineage-title'}, 'Upstream and downstream workflows'), lineageBox,
    h('h2', {}, 'Recent instances'),
    h('table', {}, h('thead', {}, h('tr', {}, ['Instance', 'Status', 'Trigger', 'Logical time', 'Started', 'Duration'].map(t => h('th', {}, t)))), runs),
    h('h2', {}, 'Versions'),
    d.versions ? h('table', {id: 'versions'},
      h('thead', {}, h('tr', {}, ['Version', 'Loaded', 'File', 'Hash', ''].map(t => h('th', {}, t)))),
      h('tbody', {}, d.versions.slice().reverse().map(v => h('tr', {},
        h('td', {}, 'v' + v.version), h('td', {}, fmtTime(v.loaded_at)), h('td', {class: 'mono'}, v.file),
        h('td', {class: 'mono'}, (v.hash || '').slice(0, 12)),
        h('td', {}, h('button', {class: 'secondary show-xml', onclick: () => showVersion(v.version)}, 'XML'))))))
      : h('p', {class: 'error'}, d.versions_error || 'versions unavailable'),
    xmlTitle, source);
  loadGraph(graph, name);
  loadLineage(lineageBox, name).catch(e => showError(lineageBox, e));
  explain(true);
  if (d.versions && d.versions.length) showVersion(d.versions[d.versions.length - 1].version);
  const list = await api('GET', '/api/v1/instances?workflow=' + enc(name) + '&limit=20');
  runs.replaceChildren(...instanceRows(list.instances, false));
}

// -- Instance ----------------------------------------------------------------------

const ENDED = ['succeeded', 'failed', 'killed'];

/** Buttons of the instance page: [id, label, shown when, action, class]. */
const instanceActions = [
  ['kill-button', 'Kill', i => !ENDED.includes(i.status), i => api('POST', `/api/v1/instances/${enc(i.id)}/kill`), 'danger'],
  ['rerun-failed-button', 'Rerun failed', i => i.status === 'failed' || i.status === 'killed',
    i => api('POST', `/api/v1/instances/${enc(i.id)}/rerun`, {mode: 'failed'})],
  ['rerun-all-button', 'Rerun all', i => ENDED.includes(i.status),
    i => api('POST', `/api/v1/instances/${enc(i.id)}/rerun`, {mode: 'all'})],
];

/**
 * Whether a node can be marked succeeded or failed (docs/SCHEDULING.md):
 * in a running instance while it waits or runs, in an ended one once it
 * failed or was killed.
 */
function markable(i, n) {
  if (n.kind !== 'action') return false;
  return ENDED.includes(i.status) ? ['failed', 'killed'].includes(n.status)
                                  : ['waiting', 'running', 'retrying'].includes(n.status);
}

/**
 * The attempts of an instance as a Gantt chart (SVG): one row per action
 * node, one bar per attempt from its start to its end (now while it runs),
 * coloured by the attempt's state; a dashed line where each later execution
 * (rerun, mark) began.
 */
function gantt(inst, executions, width) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, ...children) => {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
    for (const c of children.flat()) if (c !== null && c !== undefined)
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  };
  const now = Date.now();
  const rows = [];
  for (const n of inst.nodes || []) {
    if (n.kind !== 'action') continue;
    const bars = (n.attempts || []).filter(a => a.started).map(a => ({
      node: n.name, number: a.number, status: a.status, execution: a.execution, worker: a.worker,
      from: Date.parse(a.started), to: a.finished ? Date.parse(a.finished) : now}));
    // A node that runs on the master (a dependent action) has no attempt: its own times.
    if (!bars.length && n.started)
      bars.push({node: n.name, number: 0, status: n.status, from: Date.parse(n.started),
                 to: n.finished ? Date.parse(n.finished) : now});
    rows.push({node: n.name, status: n.status, bars});
  }
  const all = rows.flatMap(r => r.bars);
  if (!all.length) return h('p', {class: 'muted', id: 'gantt-empty'}, 'No attempt has started yet.');
  const t0 = Math.min(...all.map(b => b.from));
  const t1 = Math.max(t0 + 1000, ...all.map(b => b.to));
  const LABEL = 170, WIDTH = Math.max(600, Math.round(width || 1000)), ROW = 24, TOP = 22;
  const plot = WIDTH - LABEL - 20;
  const x = t => LABEL + (t - t0) / (t1 - t0) * plot;
  const height = TOP + rows.length * ROW + 6;
  const ticks = [];
  for (let k = 0; k <= 5; k++) {
    const t = t0 + (t1 - t0) * k / 5;
    ticks.push(svg('line', {x1: x(t), x2: x(t), y1: TOP - 4, y2: height, class: 'tick'}),
      svg('text', {x: x(t), y: 12, 'text-anchor': k === 0 ? 'start' : k === 5 ? 'end' : 'middle', class: 'axis'},
        k === 0 ? fmtTime(new Date(t).toISOString()).slice(11) : '+' + duration(new Date(t0).toISOString(), new Date(t).toISOString())));
  }
  const marks = (executions || []).filter(e => e.number > 1 && e.started && Date.parse(e.started) >= t0).map(e =>
    svg('g', {class: 'execution-mark', 'data-execution': e.number},
      svg('line', {x1: x(Date.parse(e.started)), x2: x(Date.parse(e.started)), y1: TOP - 4, y2: height}),
      svg('text', {x: x(Date.parse(e.started)) + 3, y: height - 4, class: 'axis'}, `#${e.number} ${e.trigger}`)));
  const body = rows.map((r, k) => {
    const y = TOP + k * ROW;
    return svg('g', {class: 'gantt-row', 'data-node': r.node},
      svg('text', {x: 4, y: y + 16, class: 'label'}, r.node),
      r.bars.map(b => svg('rect', {class: 'bar st-' + b.status, 'data-node': b.node, 'data-attempt': b.number,
          'data-execution': b.execution, 'data-from': b.from, 'data-to': b.to,
          x: x(b.from).toFixed(1), y: y + 4, height: ROW - 8, rx: 2,
          width: Math.max(2, x(b.to) - x(b.from)).toFixed(1)},
        svg('title', {}, `${b.node}` + (b.number ? ` attempt ${b.number}` : '') + ` ${b.status}` +
          (b.worker ? ` on ${b.worker}` : '') + (b.execution ? `, execution ${b.execution}` : '') +
          `: ${duration(new Date(b.from).toISOString(), new Date(b.to).toISOString())}`))));
  });
  return svg('svg', {class: 'gantt', id: 'gantt-svg', viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height},
    ticks, marks, body);
}

async function instancePage([id], _, ctx) {
  const view = {inst: null, selected: new Set(), skipped: new Set(), picked: null, source: null, logTimer: null,
                executions: null, executionsKey: null, whyKey: null};
  const head = h('div', {id: 'instance-head'});
  const buttons = h('div', {class: 'buttons', id: 'instance-actions'});
  const graph = h('div', {class: 'graph', id: 'graph'}, h('p', {class: 'muted'}, 'Laying out…'));
  const nodes = h('tbody', {id: 'nodes'});
  const live = h('span', {class: 'live', id: 'live'}, 'connecting…');
  const logBox = h('div', {id: 'log-viewer'});
  const ganttBox = h('div', {class: 'gantt-box', id: 'gantt'});
  const executions = h('tbody', {id: 'executions'});
  // Its width, measured once and on resizes (reading it at each draw would
  // force a layout of the whole page).
  let ganttBoxWidth = 0;
  const ganttWidth = () => (ganttBoxWidth || (ganttBoxWidth = ganttBox.clientWidth)) - 14;
  const why = h('div', {id: 'why'});
  const whyCard = h('div', {class: 'card hidden', id: 'why-card'},
    h('h2', {style: 'margin-top:0'}, 'Why waiting: date-window dependencies ',
      h('button', {class: 'secondary', id: 'why-refresh', onclick: () => { view.whyKey = null; loadWhy(); }}, 'Refresh')),
    why);
  const first = await api('GET', '/api/v1/instances/' + enc(id));
  view.inst = first;
  // What the live updates cost (parse and repaint per event): for the
  // browser test's numbers.
  const paints = {instance: id, events: 0, paints: 0, total_ms: 0, max_ms: 0, rows_ms: 0, graph_ms: 0,
                  gantts: 0, gantt_ms: 0, parse_ms: 0, first_graph_ms: 0};
  if (ctx.live()) window.cafflowPaints = paints;
  // The graph of the version it runs (an older one too; the active one
  // should that version not be readable), asked for at once and laid into
  // its box while the rest of the page is built.
  const graphStarted = performance.now();
  const graphDrawn = ctx.live() ? (async () => {
    if (!first.version || !await loadGraph(graph, first.workflow, n => pick(n), first.version))
      await loadGraph(graph, first.workflow, n => pick(n));
    paints.first_graph_ms = performance.now() - graphStarted;
  })() : Promise.resolve();

  // The mark form of the picked node and the rerun form: built once, so that
  // what is typed survives the repaints of live updates.
  const markReason = h('input', {id: 'mark-reason', placeholder: 'why (optional)', maxlength: 1000});
  const markBy = byInput('mark-by');
  const markResult = h('div', {id: 'mark-result'});
  const markTitle = h('h2', {style: 'margin-top:0', id: 'mark-title'});
  const mark = async (status, ev) => {
    const node = view.picked;
    ev.target.disabled = true;
    showError(markResult, null);
    try {
      const body = {status};
      if (markReason.value.trim()) body.reason = markReason.value.trim();
      if (byOf(markBy)) body.by = byOf(markBy);
      await api('POST', `/api/v1/instances/${enc(id)}/nodes/${enc(node)}/mark`, body);
      markReason.value = '';
      markResult.replaceChildren(h('p', {class: 'muted', id: 'mark-done'}, `${node} marked ${status}.`));
      follow();
    } catch (e) { showError(markResult, e); } finally { ev.target.disabled = false; }
  };
  const markCard = h('div', {class: 'card hidden', id: 'mark-form'}, markTitle,
    h('div', {class: 'form'},
      h('label', {}, 'Reason', markReason), h('label', {}, 'By', markBy),
      h('div', {class: 'buttons'},
        h('button', {id: 'mark-succeeded-button', onclick: ev => mark('succeeded', ev)}, 'Mark succeeded'),
        h('button', {id: 'mark-failed-button', class: 'danger', onclick: ev => mark('failed', ev)}, 'Mark failed')),
      markResult));

  const rerunMode = h('select', {id: 'rerun-mode'},
    [['failed', 'the failed and killed nodes, and what follows them'], ['all', 'every node'],
     ['nodes', 'the nodes ticked “Run” in the table'], ['from', 'from a node on']]
      .map(([v, l]) => h('option', {value: v}, l)));
  const rerunUp = checkbox('rerun-upstream', 'with upstream', 'also every node before the ticked ones');
  const rerunDown = checkbox('rerun-downstream', 'with downstream', 'also every node after the ticked ones');
  const rerunFrom = h('select', {id: 'rerun-from'}, (first.nodes || []).map(n => h('option', {value: n.name}, n.name)));
  const rerunBy = byInput('rerun-by');
  const rerunResult = h('div', {id: 'rerun-result'});
  const rerunSkip = h('span', {id: 'rerun-skip'});
  const rerunNodes = h('span', {id: 'rerun-nodes'});
  const rerunNodesRow = h('div', {}, 'Run: ', rerunNodes, ' ', rerunUp.label, ' ', rerunDown.label);
  const rerunFromRow = h('label', {}, 'From node', rerunFrom);
  const showRerunMode = () => {
    rerunNodesRow.classList.toggle('hidden', rerunMode.value !== 'nodes');
    rerunFromRow.classList.toggle('hidden', rerunMode.value !== 'from');
  };
  rerunMode.addEventListener('change', showRerunMode);
  const showTicks = () => {
    rerunNodes.textContent = view.selected.size ? [...view.selected].join(', ') : 'tick nodes in the table';
    rerunSkip.textContent = view.skipped.size ? [...view.skipped].join(', ') : 'none (tick “Skip” in the table)';
  };
  const rerun = async ev => {
    ev.preventDefault();
    const body = {};
    if (rerunMode.value === 'from') Object.assign(body, {mode: 'nodes', from_node: rerunFrom.value});
    else if (rerunMode.value === 'nodes') {
      Object.assign(body, {mode: 'nodes', nodes: [...view.selected]});
      if (rerunUp.box.checked) body.upstream = true;
      if (rerunDown.box.checked) body.downstream = true;
    } else body.mode = rerunMode.value;
    if (view.skipped.size) body.skip = [...view.skipped];
    if (byOf(rerunBy)) body.by = byOf(rerunBy);
    showError(rerunResult, null);
    try {
      await api('POST', `/api/v1/instances/${enc(id)}/rerun`, body);
      follow();
    } catch (e) { showError(rerunResult, e); }
  };
  const rerunCard = h('div', {class: 'card hidden', id: 'rerun-card'},
    h('h2', {style: 'margin-top:0'}, 'Rerun with options'),
    h('form', {class: 'form', id: 'rerun-form', onsubmit: rerun},
      h('label', {}, 'Run again', rerunMode), rerunNodesRow, rerunFromRow,
      h('div', {}, 'Skip: ', rerunSkip),
      h('label', {}, 'By', rerunBy),
      h('div', {class: 'buttons'}, h('button', {type: 'submit', id: 'rerun-button'}, 'Rerun')),
      rerunResult));
  showRerunMode();

  const pick = name => { view.picked = name; showError(markResult, null); showLog(); paint(); };
  // The timeline is drawn only while it is on (or near) the screen: below
  // the node table of a large instance it waits until scrolled to.
  let ganttVisible = false, ganttDirty = true;
  const drawGantt = () => {
    if (!ganttVisible) { ganttDirty = true; return; }
    ganttDirty = false;
    const t0 = performance.now();
    ganttBox.replaceChildren(gantt(view.inst, view.executions, ganttWidth()));
    paints.gantts++; paints.gantt_ms += performance.now() - t0;
  };
  // The graph's nodes by name (found once per drawing) and what each shows:
  // a repaint touches only the nodes whose state changed (an instance of
  // 1 000 nodes changes a few per event).
  const graphNodes = new Map();
  const indexGraph = () => {
    graphNodes.clear();
    for (const g of graph.querySelectorAll('g.node')) graphNodes.set(g.id.replace(/^wfnode-/, ''), {g, shown: ''});
  };
  const paintGraph = () => {
    for (const n of view.inst.nodes || []) {
      const entry = graphNodes.get(n.name);
      if (!entry) continue;
      const shown = n.status + (n.name === view.picked ? '/picked' : '');
      if (entry.shown === shown) continue;
      const g = entry.g;
      for (const c of [...g.classList]) if (c.startsWith('st-')) g.classList.remove(c);
      g.classList.add('st-' + n.status);
      g.classList.toggle('picked', n.name === view.picked);
      g.setAttribute('data-status', n.status);
      entry.shown = shown;
    }
  };
  // The node table's rows by node, built once and then updated in place:
  // only the cells whose text changed are written (a repaint of an instance
  // of 1 000 nodes touches the few that moved).
  const rows = new Map();
  const attemptsText = n => (n.attempts || []).map(a =>
    `#${a.number} ${a.status}${a.exit_code !== null && a.exit_code !== undefined ? ' exit ' + a.exit_code : ''} on ${a.worker || '?'}`);
  const nodeRow = n => {
    const cells = {status: h('td', {}), started: h('td', {}), duration: h('td', {}), attempts: h('td', {}),
                   message: h('td', {class: 'mono'})};
    const tr = h('tr', {class: 'clickable', 'data-node': n.name,
                        onclick: ev => { if (ev.target.type !== 'checkbox') pick(n.name); }},
      h('td', {}, n.kind === 'action' ? tick(view.selected, n.name, 'node-select') : null),
      h('td', {}, n.kind === 'action' ? tick(view.skipped, n.name, 'node-skip') : null),
      h('td', {}, n.name, n.action_type ? h('span', {class: 'muted'}, ' ' + n.action_type) : null),
      cells.status, cells.started, cells.duration, cells.attempts, cells.message);
    return {tr, cells, shown: {}};
  };
  const updateRow = (row, n) => {
    const set = (what, text, fill) => {
      if (row.shown[what] === text) return;
      row.shown[what] = text;
      fill(text);
    };
    set('selected', n.name === view.picked, on => row.tr.classList.toggle('selected', on));
    set('status', n.status, st => {
      row.tr.setAttribute('data-status', st);
      row.cells.status.replaceChildren(badge(st));
    });
    set('started', fmtTime(n.started), t => { row.cells.started.textContent = t; });
    set('duration', duration(n.started, n.finished), t => { row.cells.duration.textContent = t; });
    set('attempts', attemptsText(n).join('\n'), t => row.cells.attempts.replaceChildren(
      ...(t ? t.split('\n').map(line => h('div', {class: 'mono'}, line)) : [])));
    set('message', (n.message || '').split('\n')[0], t => { row.cells.message.textContent = t; });
  };
  const paintRows = list => {
    const wanted = list.map(n => {
      let row = rows.get(n.name);
      if (!row) { row = nodeRow(n); rows.set(n.name, row); }
      updateRow(row, n);
      return row.tr;
    });
    const current = nodes.children;
    if (current.length !== wanted.length || wanted.some((tr, k) => current[k] !== tr))
      nodes.replaceChildren(...wanted);
  };
  const tick = (set, name, cls) => h('input', {type: 'checkbox', class: cls, checked: set.has(name),
    onchange: ev => { ev.target.checked ? set.add(name) : set.delete(name); showTicks(); }});
  const paint = () => {
    const i = view.inst;
    head.replaceChildren(h('dl', {class: 'facts'},
      h('dt', {}, 'workflow'), h('dd', {}, h('a', {href: '#/workflow/' + enc(i.workflow)}, i.workflow), ` v${i.version}`),
      h('dt', {}, 'status'), h('dd', {}, h('span', {id: 'instance-status'}, badge(i.status)), i.message ? ' ' + i.message : ''),
      h('dt', {}, 'trigger'), h('dd', {}, i.trigger + (i.origin && i.origin !== i.trigger ? ` (created by ${i.origin})` : '')),
      h('dt', {}, 'logical time'), h('dd', {}, fmtTime(i.logical_time)),
      h('dt', {}, 'started'), h('dd', {}, fmtTime(i.started) || '—'),
      h('dt', {}, 'finished'), h('dd', {}, fmtTime(i.finished) || '—', i.started ? ` (${duration(i.started, i.finished)})` : ''),
      h('dt', {}, 'params'), h('dd', {class: 'mono'}, Object.entries(i.params || {}).map(([k, v]) => `${k}=${v}`).join('  ') || '—'),
      h('dt', {}, 'execution'), h('dd', {id: 'instance-execution'}, String(i.execution || 1),
        i.requested_by ? ` (by ${i.requested_by})` : '',
        i.run_options && Object.keys(i.run_options).length ? h('span', {class: 'mono'}, ' ' + JSON.stringify(i.run_options)) : ''),
      i.parent_id ? [h('dt', {}, 'parent'), h('dd', {}, h('a', {href: '#/instance/' + enc(i.parent_id)}, i.parent_id))] : null,
      i.backfill_id ? [h('dt', {}, 'backfill'), h('dd', {}, h('a', {href: '#/backfill/' + enc(i.backfill_id), class: 'mono'}, i.backfill_id))] : null));
    buttons.replaceChildren(...instanceActions.filter(a => a[2](i)).map(([bid, label, , act, cls]) =>
      h('button', {id: bid, class: cls || 'secondary', onclick: async ev => {
        ev.target.disabled = true;
        try { await act(view.inst, view); follow(); } catch (e) { notice(errText(e)); }
        finally { ev.target.disabled = false; }
      }}, label)));
    rerunCard.classList.toggle('hidden', !ENDED.includes(i.status));
    const pickedNode = (i.nodes || []).find(n => n.name === view.picked);
    const canMark = pickedNode && markable(i, pickedNode);
    markCard.classList.toggle('hidden', !canMark);
    if (canMark) markTitle.textContent = `Mark ${pickedNode.name} (${pickedNode.status})`;
    let t = performance.now();
    paintRows(i.nodes || []);
    paints.rows_ms += performance.now() - t;
    t = performance.now();
    paintGraph();
    paints.graph_ms += performance.now() - t;
    // The timeline: drawn at once when the instance is not running; while it
    // runs, once a second (its running bars grow with the clock), however
    // many events came meanwhile.
    if (!ENDED.includes(i.status)) {
      if (!view.ganttTimer) {
        drawGantt();
        view.ganttTimer = setInterval(drawGantt, 1000);
      }
    } else {
      if (view.ganttTimer) { clearInterval(view.ganttTimer); view.ganttTimer = null; }
      drawGantt();
    }
    // The executions change when one starts or ends; the dependencies with the status.
    const key = `${i.execution}/${i.status}`;
    if (key !== view.executionsKey) { view.executionsKey = key; loadExecutions(); }
    if (i.status !== view.whyKey) { view.whyKey = i.status; loadWhy(); }
  };

  const loadExecutions = async () => {
    try {
      const r = await api('GET', `/api/v1/instances/${enc(id)}/executions`);
      view.executions = r.executions;
      executions.replaceChildren(...r.executions.map(e => h('tr', {'data-execution': e.number, 'data-status': e.status},
        h('td', {}, '#' + e.number), h('td', {}, e.trigger), h('td', {}, e.requested_by || '—'),
        h('td', {}, badge(e.status)), h('td', {}, fmtTime(e.started)),
        h('td', {}, fmtTime(e.finished), e.started && e.finished ? h('div', {class: 'muted'}, duration(e.started, e.finished)) : null),
        h('td', {class: 'mono'}, Object.keys(e.run_options || {}).length ? JSON.stringify(e.run_options) : '—'),
        h('td', {}, nodeLists(e.nodes || {})))));
      drawGantt();
    } catch (e) {
      executions.replaceChildren(h('tr', {}, h('td', {colspan: 8, class: 'error'}, errText(e))));
    }
  };

  // Why the instance waits (or failed) on date windows; no card without any.
  const loadWhy = async () => {
    try {
      const doc = await api('GET', `/api/v1/instances/${enc(id)}/dependencies`);
      whyCard.classList.toggle('hidden', doc.state === 'none');
      why.replaceChildren(h('div', {}, whyView(doc)));
    } catch (e) { whyCard.classList.remove('hidden'); showError(why, e); }
  };

  // The log of the picked node's last attempt, followed while it runs.
  const showLog = async () => {
    if (view.logTimer) { clearTimeout(view.logTimer); view.logTimer = null; }
    const name = view.picked;
    const node = (view.inst.nodes || []).find(n => n.name === name);
    if (!node || node.kind !== 'action' || !(node.attempts || []).length) {
      logBox.replaceChildren(h('p', {class: 'muted'}, name ? `${name} has no attempt (yet).` : 'Pick a node to see its log.'));
      return;
    }
    const pre = h('pre', {class: 'log', id: 'log'});
    const title = h('h2', {id: 'log-title'}, `Log of ${name}`);
    logBox.replaceChildren(title, pre);
    let offset = 0;
    const step = async () => {
      if (view.picked !== name) return;
      try {
        const c = await api('GET', `/api/v1/instances/${enc(id)}/nodes/${enc(name)}/log?offset=${offset}`);
        pre.textContent += c.content;
        offset = c.next_offset;
        title.textContent = `Log of ${name}, attempt ${c.attempt} on ${c.worker}` + (c.running ? ' (following)' : '');
        if (c.running) view.logTimer = setTimeout(step, 1000);
        pre.scrollTop = pre.scrollHeight;
      } catch (e) { title.textContent = `Log of ${name}: ${e.message}`; }
    };
    step();
  };

  // Live updates: server-sent events from the API (no reload, no polling).
  const follow = () => {
    if (view.source) view.source.close();
    const es = new EventSource('/api/v1/instances/' + enc(id) + '/events');
    view.source = es;
    live.textContent = 'live'; live.className = 'live on';
    // Events that come faster than the page paints are coalesced: the
    // newest state is painted once (each event is the whole instance).
    let pending = null;
    const paintPending = () => {
      const data = pending;
      pending = null;
      if (data === null || view.source !== es) return;
      const t0 = performance.now();
      view.inst = JSON.parse(data);
      paints.parse_ms += performance.now() - t0;
      paint();
      if (view.picked && !view.logTimer) showLog();
      const took = performance.now() - t0;
      paints.paints++; paints.total_ms += took; paints.max_ms = Math.max(paints.max_ms, took);
    };
    es.addEventListener('instance', ev => {
      paints.events++;
      if (pending === null) setTimeout(paintPending, 0);
      pending = ev.data;
    });
    es.addEventListener('end', () => { es.close(); live.textContent = 'ended'; live.className = 'live'; });
    es.addEventListener('error', ev => {
      if (ev.data) { notice(JSON.parse(ev.data).error); es.close(); }
      else if (es.readyState === EventSource.CONNECTING) { live.textContent = 'reconnecting…'; live.className = 'live'; }
    });
  };
  ctx.onLeave(() => {
    if (view.source) view.source.close();
    if (view.logTimer) clearTimeout(view.logTimer);
    if (view.ganttTimer) clearInterval(view.ganttTimer);
  });

  ctx.page('Instance ' + id,
    h('h1', {}, 'Instance ', h('span', {class: 'mono'}, id), live),
    h('div', {class: 'row'},
      h('div', {class: 'grow'}, h('h2', {}, 'Graph'), graph),
      h('div', {style: 'width:460px;max-width:100%'},
        h('div', {class: 'card'}, head, buttons), whyCard, rerunCard, markCard)),
    h('h2', {}, 'Nodes ', h('span', {class: 'muted'}, '(click a node for its log and to mark it)')),
    h('table', {id: 'node-table'}, h('thead', {}, h('tr', {}, ['Run', 'Skip', 'Node', 'Status', 'Started', 'Duration', 'Attempts', 'Message'].map(t => h('th', {}, t)))), nodes),
    h('h2', {id: 'timeline-title'}, 'Timeline of the attempts'), ganttBox,
    h('h2', {}, 'Executions'),
    h('table', {id: 'executions-table'}, h('thead', {}, h('tr', {}, ['#', 'Trigger', 'By', 'Status', 'Started', 'Finished', 'Options', 'Nodes'].map(t => h('th', {}, t)))), executions),
    logBox);
  showTicks();
  paint();
  showLog();
  const seen = new IntersectionObserver(entries => {
    ganttVisible = entries[entries.length - 1].isIntersecting;
    if (ganttVisible && ganttDirty) drawGantt();
  }, {rootMargin: '1500px 0px'});
  seen.observe(ganttBox);
  const resized = new ResizeObserver(() => {
    const w = ganttBox.clientWidth;
    if (w && w !== ganttBoxWidth) { ganttBoxWidth = w; drawGantt(); }
  });
  resized.observe(ganttBox);
  ctx.onLeave(() => { seen.disconnect(); resized.disconnect(); });
  follow();
  await graphDrawn;
  // Moved on meanwhile: nothing to colour.
  if (!ctx.live()) return;
  indexGraph();
  paintGraph();
}

// -- Instances ----------------------------------------------------------------------

function instanceRows(list, withWorkflow) {
  return list.length ? list.map(i => h('tr', {'data-instance': i.id},
    h('td', {}, h('a', {href: '#/instance/' + enc(i.id), class: 'mono'}, i.id)),
    withWorkflow ? h('td', {}, h('a', {href: '#/workflow/' + enc(i.workflow)}, i.workflow)) : null,
    h('td', {}, badge(i.status)), h('td', {}, i.trigger), h('td', {}, fmtTime(i.logical_time)),
    h('td', {}, fmtTime(i.started)), h('td', {}, duration(i.started, i.finished))))
    : [h('tr', {}, h('td', {colspan: 7, class: 'muted'}, 'No instance.'))];
}

async function instancesPage(_, q, ctx) {
  const params = new URLSearchParams({limit: 50});
  for (const k of ['workflow', 'status', 'trigger', 'from', 'to', 'offset']) if (q[k]) params.set(k, q[k]);
  const list = await api('GET', '/api/v1/instances?' + params);
  const sel = (name, values) => h('select', {name}, h('option', {value: ''}, 'any'),
    values.map(v => h('option', {value: v, selected: q[name] === v}, v)));
  const offset = Number(q.offset || 0);
  const pageTo = o => { const n = new URLSearchParams(q); n.set('offset', o); return '#/instances?' + n; };
  ctx.page('Instances',
    h('h1', {}, 'Instances'),
    h('form', {class: 'filters', id: 'instance-filter', onsubmit: ev => {
      ev.preventDefault();
      const f = new FormData(ev.target), n = new URLSearchParams();
      for (const [k, v] of f) if (v) n.set(k, v);
      go('#/instances?' + n);
    }},
      h('label', {}, 'Workflow', h('input', {name: 'workflow', value: q.workflow || ''})),
      h('label', {}, 'Status', sel('status', ['queued', 'running', 'succeeded', 'failed', 'killed'])),
      h('label', {}, 'Trigger', sel('trigger', ['cron', 'dependency', 'trigger', 'manual', 'rerun', 'backfill', 'lineage'])),
      h('label', {}, 'Logical time from', h('input', {name: 'from', value: q.from || '', placeholder: 'YYYY-MM-DD HH:MM:SS'})),
      h('label', {}, 'to', h('input', {name: 'to', value: q.to || ''})),
      h('button', {type: 'submit'}, 'Filter')),
    h('div', {class: 'pager'},
      h('button', {class: 'secondary', disabled: offset === 0, onclick: () => go(pageTo(Math.max(0, offset - 50)))}, '‹ Newer'),
      h('button', {class: 'secondary', disabled: list.next_offset === null, onclick: () => go(pageTo(list.next_offset))}, 'Older ›')),
    h('table', {id: 'instances'},
      h('thead', {}, h('tr', {}, ['Instance', 'Workflow', 'Status', 'Trigger', 'Logical time', 'Started', 'Duration'].map(t => h('th', {}, t)))),
      h('tbody', {}, instanceRows(list.instances, true))));
}

// -- Cluster ------------------------------------------------------------------------

async function clusterPage(_, __, ctx) {
  const c = await api('GET', '/api/v1/cluster');
  const timer = setTimeout(() => { if (location.hash.startsWith('#/cluster')) render(); }, 5000);
  ctx.onLeave(() => clearTimeout(timer));
  ctx.page('Cluster',
    h('h1', {}, 'Cluster ', h('span', {class: 'mono'}, c.cluster),
      c.master_reachable ? badge('active') : h('span', {class: 'badge st-failed'}, 'no master')),
    c.master_error ? h('div', {class: 'card error'}, c.master_error) : null,
    (c.warnings || []).map(w => h('div', {class: 'card error'}, w)),
    h('div', {class: 'row'},
      h('div', {class: 'card grow'}, h('h2', {style: 'margin-top:0'}, 'Master'),
        h('dl', {class: 'facts', id: 'cluster-facts'},
          h('dt', {}, 'active master'), h('dd', {}, c.master ? c.master.address : '—'),
          h('dt', {}, 'epoch'), h('dd', {}, String(c.epoch)),
          h('dt', {}, 'lease'), h('dd', {}, c.lease ? `${c.lease.holder || 'nobody'} until ${fmtTime(c.lease.expires_at)}` : '—'),
          h('dt', {}, 'store'), h('dd', {}, c.store ? [badge(c.store.status === 'ok' ? 'succeeded' : 'failed'), ' ',
            `${c.store.commits} commits, ${c.store.pending_writes} writes waiting`, c.store.error ? ' — ' + c.store.error : ''] : '—'),
          h('dt', {}, 'TLS'), h('dd', {}, c.tls || '—'),
          h('dt', {}, 'slots'), h('dd', {}, c.slots ? `${c.slots.busy} busy of ${c.slots.total}` : '—'),
          h('dt', {}, 'attempts'), h('dd', {}, c.attempts ? `${c.attempts.running} running, ${c.attempts.queued} queued` : '—'),
          h('dt', {}, 'instances'), h('dd', {}, c.instances ? `${c.instances.running} running, ${c.instances.queued} queued` : '—'),
          h('dt', {}, 'workflows'), h('dd', {}, c.workflows === null ? '—' : String(c.workflows))))),
    h('h2', {}, 'Pools'),
    c.pools === null || c.pools === undefined ? h('p', {class: 'muted', id: 'pools-unknown'}, 'Unknown while no master answers.')
      : Object.keys(c.pools).length === 0 ? h('p', {class: 'muted', id: 'no-pools'}, 'No pool is configured ([pools] of the configuration).')
      : h('table', {id: 'pools'}, h('thead', {}, h('tr', {}, ['Pool', 'Slots in use', ''].map(t => h('th', {}, t)))),
          h('tbody', {}, Object.entries(c.pools).map(([name, p]) => h('tr', {'data-pool': name, 'data-in-use': p.in_use, 'data-slots': p.slots},
            h('td', {class: 'mono'}, name), h('td', {}, `${p.in_use} of ${p.slots}`),
            h('td', {style: 'width:50%'}, h('span', {class: 'progress'}, p.in_use > 0 ? h('span', {class: 'seg st-running',
              style: `width:${Math.min(100, 100 * p.in_use / Math.max(1, p.slots)).toFixed(1)}%`}) : null)))))),
    h('h2', {}, 'Masters'),
    h('table', {id: 'masters'}, h('thead', {}, h('tr', {}, ['Address', 'Role', 'Host', 'PID', 'Started', 'Seen', 'Lease until'].map(t => h('th', {}, t)))),
      h('tbody', {}, (c.masters || []).map(m => h('tr', {},
        h('td', {class: 'mono'}, m.address), h('td', {}, badge(m.role === 'active' ? 'active' : 'pending'), ' ', m.role),
        h('td', {}, m.host), h('td', {}, m.pid || ''), h('td', {}, fmtTime(m.started_at)), h('td', {}, fmtTime(m.seen_at)),
        h('td', {}, fmtTime(m.lease_expires_at)))))),
    h('h2', {}, 'Workers'),
    h('table', {id: 'workers'}, h('thead', {}, h('tr', {}, ['Worker', 'State', 'Host', 'Slots', 'Running', 'Load', 'Groups', 'Last heartbeat'].map(t => h('th', {}, t)))),
      h('tbody', {}, (c.workers || []).length ? c.workers.map(w => h('tr', {},
        h('td', {class: 'mono'}, w.id), h('td', {}, badge(w.state === 'up' ? 'succeeded' : 'failed'), ' ', w.state),
        h('td', {}, w.host), h('td', {}, String(w.slots)), h('td', {}, String(w.running)),
        h('td', {}, w.load === undefined ? '' : Number(w.load).toFixed(2)), h('td', {}, (w.groups || []).join(', ')),
        h('td', {}, fmtTime(w.last_heartbeat)))) : h('tr', {}, h('td', {colspan: 8, class: 'muted'}, 'No worker registered.')))));
}

// -- Backfills ------------------------------------------------------------------------

const BACKFILL_STATES = ['planned', 'running', 'succeeded', 'failed', 'cancelled'];

async function backfillsPage(_, q, ctx) {
  const params = new URLSearchParams({limit: q.limit || 100});
  if (q.state) params.set('state', q.state);
  const r = await api('GET', '/api/v1/backfills?' + params);
  if (r.backfills.some(b => b.state === 'running' || b.state === 'planned')) {
    const timer = setTimeout(() => { if (location.hash.startsWith('#/backfills')) render(); }, 5000);
    ctx.onLeave(() => clearTimeout(timer));
  }
  ctx.page('Backfills',
    h('h1', {}, 'Backfills'),
    h('p', {class: 'muted'}, 'A backfill runs a workflow (and those downstream) over past logical times; start one from a workflow’s page.'),
    h('form', {class: 'filters', id: 'backfill-filter', onsubmit: ev => {
      ev.preventDefault();
      const f = new FormData(ev.target), n = new URLSearchParams();
      for (const [k, v] of f) if (v) n.set(k, v);
      go('#/backfills?' + n);
    }},
      h('label', {}, 'State', h('select', {name: 'state'}, h('option', {value: ''}, 'any'),
        BACKFILL_STATES.map(v => h('option', {value: v, selected: q.state === v}, v)))),
      h('button', {type: 'submit'}, 'Filter')),
    h('table', {id: 'backfills'},
      h('thead', {}, h('tr', {}, ['Backfill', 'Workflow', 'State', 'Progress', '', 'Options', 'By', 'Created', 'Finished'].map(t => h('th', {}, t)))),
      h('tbody', {}, r.backfills.length ? r.backfills.map(b => h('tr', {'data-backfill': b.id, 'data-state': b.state},
        h('td', {}, h('a', {href: '#/backfill/' + enc(b.id), class: 'mono'}, b.id)),
        h('td', {}, h('a', {href: '#/workflow/' + enc(b.workflow)}, b.workflow)),
        h('td', {}, badge(b.state)),
        h('td', {style: 'min-width:140px'}, progressBar(b.progress)),
        h('td', {}, `${b.progress.done}/${b.progress.planned}`, b.progress.failed ? h('span', {class: 'error'}, ` ${b.progress.failed} failed`) : ''),
        h('td', {class: 'mono'}, backfillOptions(b.options)),
        h('td', {}, b.created_by || '—'), h('td', {}, fmtTime(b.created)), h('td', {}, fmtTime(b.finished))))
        : h('tr', {}, h('td', {colspan: 9, class: 'muted'}, 'No backfill.')))));
}

function backfillOptions(o) {
  if (!o) return '';
  const range = o.dates ? `dates ${o.dates.map(fmtTime).join(', ')}` : `${fmtTime(o.from)} … ${fmtTime(o.to)}`;
  return `${range}; parallel ${o.parallel}, ${o.order}, downstream ${o.downstream}, rerun ${o.rerun}` +
    (o.params && Object.keys(o.params).length ? '; ' + Object.entries(o.params).map(([k, v]) => `${k}=${v}`).join(' ') : '');
}

async function backfillPage([id], _, ctx) {
  const b = await api('GET', '/api/v1/backfills/' + enc(id));
  const active = b.state === 'running' || b.state === 'planned';
  // Refreshed while it runs (a backfill has no event stream).
  if (active || (b.state === 'cancelled' && !b.finished)) {
    const timer = setTimeout(() => { if (location.hash.startsWith('#/backfill/')) render(); }, 2000);
    ctx.onLeave(() => clearTimeout(timer));
  }
  const result = h('div', {id: 'backfill-result'});
  const p = b.progress;
  const counts = {};
  for (const it of b.items) counts[it.state] = (counts[it.state] || 0) + 1;
  ctx.page('Backfill ' + id,
    h('h1', {}, 'Backfill ', h('span', {class: 'mono'}, id), h('span', {id: 'backfill-state'}, badge(b.state))),
    h('div', {class: 'row'},
      h('div', {class: 'card grow'},
        h('dl', {class: 'facts'},
          h('dt', {}, 'workflow'), h('dd', {}, h('a', {href: '#/workflow/' + enc(b.workflow)}, b.workflow)),
          h('dt', {}, 'options'), h('dd', {class: 'mono', id: 'backfill-page-options'}, backfillOptions(b.options)),
          h('dt', {}, 'by'), h('dd', {}, b.created_by || '—'),
          h('dt', {}, 'created'), h('dd', {}, fmtTime(b.created)),
          h('dt', {}, 'finished'), h('dd', {}, fmtTime(b.finished) || '—'),
          h('dt', {}, 'progress'), h('dd', {id: 'backfill-progress', 'data-done': p.done, 'data-planned': p.planned},
            progressBar(p), h('div', {}, `${p.done} of ${p.planned} done (${p.skipped} skipped), ${p.failed} failed, ` +
              `${p.running} running, ${p.waiting} waiting, ${p.cancelled} cancelled`))),
        active ? h('div', {class: 'buttons', style: 'margin-top:10px'},
          h('button', {class: 'danger', id: 'cancel-backfill-button', onclick: async ev => {
            ev.target.disabled = true;
            try { await api('DELETE', '/api/v1/backfills/' + enc(id)); render(); }
            catch (e) { showError(result, e); ev.target.disabled = false; }
          }}, 'Cancel backfill'),
          h('span', {class: 'muted'}, 'items not started are cancelled, running instances killed')) : null,
        result)),
    h('h2', {}, 'Items ', h('span', {class: 'muted'}, Object.entries(counts).map(([s, n]) => `${s} ${n}`).join(', '))),
    h('table', {id: 'backfill-items'},
      h('thead', {}, h('tr', {}, ['Workflow', 'Logical time', 'State', 'Instance'].map(t => h('th', {}, t)))),
      h('tbody', {}, b.items.map(it => h('tr', {'data-workflow': it.workflow, 'data-state': it.state},
        h('td', {}, h('a', {href: '#/workflow/' + enc(it.workflow)}, it.workflow)),
        h('td', {}, fmtTime(it.logical_time)), h('td', {}, badge(it.state)),
        h('td', {}, it.instance_id ? h('a', {href: '#/instance/' + enc(it.instance_id), class: 'mono'}, it.instance_id) : '—'))))));
}

// -- Alerts ---------------------------------------------------------------------------

/** The rows of the alerts table. */
function alertRows(alerts) {
  return alerts.length ? alerts.map(a => h('tr', {'data-alert': a.id, 'data-kind': a.kind, 'data-status': a.status},
    h('td', {}, h('a', {href: '#/alert/' + a.id}, '#' + a.id)),
    h('td', {}, fmtTime(a.created_at)),
    h('td', {}, h('span', {class: 'badge sev-' + a.severity}, a.severity)),
    h('td', {}, a.kind),
    h('td', {}, h('a', {href: '#/alert/' + a.id}, a.title)),
    h('td', {}, a.workflow ? h('a', {href: '#/workflow/' + enc(a.workflow)}, a.workflow) : '—'),
    h('td', {}, a.instance_id ? h('a', {href: '#/instance/' + enc(a.instance_id), class: 'mono'}, a.instance_id) : '—',
      a.node ? h('div', {class: 'muted'}, 'node ' + a.node) : null),
    h('td', {class: 'mono'}, a.channel),
    h('td', {}, badge(a.status), h('div', {class: 'muted'}, a.status === 'sent' ? fmtTime(a.sent_at)
      : a.next_at ? `try ${a.attempts + 1} at ${fmtTime(a.next_at)}` : `${a.attempts} tries`)),
    h('td', {class: 'mono'}, (a.answer || '').split('\n')[0], a.sent_with ? h('div', {class: 'muted'},
      'in the digest of ', h('a', {href: '#/alert/' + a.sent_with}, '#' + a.sent_with)) : null)))
    : [h('tr', {}, h('td', {colspan: 10, class: 'muted'}, 'No alert.'))];
}

/** How often the open alerts list asks again (ms). */
const ALERTS_POLL_MS = 2000;

async function alertsPage(_, q, ctx) {
  const params = new URLSearchParams({limit: q.limit || 100});
  for (const k of ['workflow', 'status']) if (q[k]) params.set(k, q[k]);
  const path = '/api/v1/alerts?' + params;
  const r = await api('GET', path);
  const rows = h('tbody', {}, alertRows(r.alerts));
  const updated = h('span', {class: 'muted', id: 'alerts-updated'});
  // Live while open: the list is asked again every 2 s (alerts have no event
  // stream) and only the table's rows are replaced when it changed; the
  // filter form keeps what is being typed.
  let last = JSON.stringify(r.alerts);
  let polls = 0;
  const showUpdated = () => {
    updated.textContent = `live: asked every ${ALERTS_POLL_MS / 1000} s, last at ${fmtTime(new Date().toISOString()).slice(11)}`;
    updated.setAttribute('data-polls', polls);
  };
  let timer = null;
  const poll = async () => {
    try {
      const next = await api('GET', path);
      if (!ctx.live()) return;
      const text = JSON.stringify(next.alerts);
      if (text !== last) { last = text; rows.replaceChildren(...alertRows(next.alerts)); }
      polls++;
      showUpdated();
    } catch (e) {
      if (!ctx.live()) return;
      updated.textContent = 'not updated: ' + errText(e);
    }
    timer = setTimeout(poll, ALERTS_POLL_MS);
  };
  ctx.onLeave(() => { clearTimeout(timer); timer = null; });
  ctx.page('Alerts',
    h('h1', {}, 'Alerts'),
    h('p', {class: 'muted'}, 'Every alert and channel it went to, newest first (docs/OPERATIONS.md, “Alerts”). ', updated),
    h('form', {class: 'filters', id: 'alert-filter', onsubmit: ev => {
      ev.preventDefault();
      const f = new FormData(ev.target), n = new URLSearchParams();
      for (const [k, v] of f) if (v) n.set(k, v);
      go('#/alerts?' + n);
    }},
      h('label', {}, 'Workflow', h('input', {name: 'workflow', id: 'alert-workflow', value: q.workflow || ''})),
      h('label', {}, 'Status', h('select', {name: 'status', id: 'alert-status'}, h('option', {value: ''}, 'any'),
        ['pending', 'sent', 'failed'].map(v => h('option', {value: v, selected: q.status === v}, v)))),
      h('label', {}, 'At most', h('input', {name: 'limit', type: 'number', min: 1, max: 10000, value: q.limit || 100})),
      h('button', {type: 'submit'}, 'Filter')),
    h('table', {id: 'alerts'},
      h('thead', {}, h('tr', {}, ['#', 'Created', 'Severity', 'Kind', 'Title', 'Workflow', 'Instance', 'Channel', 'Status', 'Answer'].map(t => h('th', {}, t)))),
      rows));
  showUpdated();
  timer = setTimeout(poll, ALERTS_POLL_MS);
}

async function alertPage([id], _, ctx) {
  const a = await api('GET', '/api/v1/alerts/' + enc(id));
  const e = a.event || {};
  ctx.page('Alert ' + id,
    h('h1', {}, 'Alert #' + a.id, h('span', {class: 'badge sev-' + a.severity}, a.severity), h('span', {id: 'alert-status'}, badge(a.status))),
    h('div', {class: 'card', id: 'alert-facts'},
      h('h2', {style: 'margin-top:0', id: 'alert-title'}, a.title),
      h('dl', {class: 'facts'},
        h('dt', {}, 'kind'), h('dd', {}, a.kind),
        h('dt', {}, 'workflow'), h('dd', {}, a.workflow ? h('a', {href: '#/workflow/' + enc(a.workflow)}, a.workflow) : '—'),
        h('dt', {}, 'instance'), h('dd', {}, a.instance_id ? h('a', {href: '#/instance/' + enc(a.instance_id), class: 'mono'}, a.instance_id) : '—'),
        h('dt', {}, 'node'), h('dd', {}, a.node || '—'),
        h('dt', {}, 'logical time'), h('dd', {}, fmtMs(e.logical_time) || '—'),
        h('dt', {}, 'raised'), h('dd', {}, fmtMs(e.at) || fmtTime(a.created_at)),
        h('dt', {}, 'channel'), h('dd', {class: 'mono'}, a.channel),
        h('dt', {}, 'delivery'), h('dd', {}, `${a.status} after ${a.attempts} ${a.attempts === 1 ? 'try' : 'tries'}`,
          a.sent_at ? ` at ${fmtTime(a.sent_at)}` : '', a.next_at ? `, next try at ${fmtTime(a.next_at)}` : '',
          a.sent_with ? [' in the digest of ', h('a', {href: '#/alert/' + a.sent_with}, '#' + a.sent_with)] : ''),
        h('dt', {}, 'answer'), h('dd', {class: 'mono', id: 'alert-answer'}, a.answer || '—'))),
    e.message ? [h('h2', {}, 'Message'), h('pre', {class: 'log', id: 'alert-message'}, e.message)] : null,
    e.log_tail ? [h('h2', {}, `Last lines of the log of ${e.node}`), h('pre', {class: 'log', id: 'alert-log'}, e.log_tail)] : null,
    (e.nodes || []).length ? [h('h2', {}, 'Nodes when it was raised'),
      h('table', {id: 'alert-nodes'}, h('thead', {}, h('tr', {}, ['Node', 'Status', 'Attempts', 'Started', 'Finished', 'Message'].map(t => h('th', {}, t)))),
        h('tbody', {}, e.nodes.map(n => h('tr', {'data-node': n.name, class: n.name === e.node ? 'selected' : ''},
          h('td', {}, n.name), h('td', {}, badge(n.status)), h('td', {}, String(n.attempts)),
          h('td', {}, fmtMs(n.started)), h('td', {}, fmtMs(n.finished)), h('td', {class: 'mono'}, (n.message || '').split('\n')[0])))))] : null);
}

// -- xmlconfig -----------------------------------------------------------------------

function xmlTable(files, id) {
  return h('table', {id},
    h('thead', {}, h('tr', {}, ['File', 'Kind', 'Workflow', 'Status', 'Active version', 'Checked', 'Diagnostics'].map(t => h('th', {}, t)))),
    h('tbody', {}, files.map(f => h('tr', {'data-status': f.status},
      h('td', {class: 'mono'}, f.path), h('td', {}, f.kind),
      h('td', {}, f.name && f.kind === 'workflow' ? h('a', {href: '#/workflow/' + enc(f.name)}, f.name) : f.name),
      h('td', {}, badge(f.status)), h('td', {}, f.active_version === null ? '—' : 'v' + f.active_version),
      h('td', {}, fmtTime(f.checked_at)),
      h('td', {}, (f.diagnostics || []).map(d => h('div', {class: 'diag ' + (d.level === 'error' ? 'error' : '')},
        `${d.level} at ${d.line}:${d.column}: ${d.message}`)))))));
}

async function xmlconfigPage(_, __, ctx) {
  const r = await api('GET', '/api/v1/xmlconfig');
  const counts = {};
  for (const f of r.files) counts[f.status] = (counts[f.status] || 0) + 1;
  ctx.page('xmlconfig',
    h('h1', {}, 'xmlconfig files'),
    h('p', {}, Object.entries(counts).map(([s, n]) => [badge(s), ` ${n}  `])),
    xmlTable(r.files, 'xml-files'));
}

// -- start -----------------------------------------------------------------------------

const routes = {
  workflows: workflowsPage,
  workflow: workflowPage,
  instance: instancePage,
  instances: instancesPage,
  cluster: clusterPage,
  xmlconfig: xmlconfigPage,
  backfills: backfillsPage,
  backfill: backfillPage,
  alerts: alertsPage,
  alert: alertPage,
};

async function start() {
  document.getElementById('nav').replaceChildren(...nav.map(([p, label]) =>
    h('a', {href: '#/' + p, 'data-page': p, id: 'nav-' + p}, label)));
  document.getElementById('login-form').addEventListener('submit', submitLogin);
  document.getElementById('login-skip').addEventListener('click', () => loginDone(false));
  try {
    const s = await (await fetch('/ui/session', {credentials: 'same-origin'})).json();
    session.tokenRequired = s.token_required;
    session.openReads = s.open_reads;
    session.authenticated = s.authenticated;
  } catch (e) { /* the page still works read-only */ }
  showSession();
  // Asked once: the cookie keeps the session afterwards.
  if (session.tokenRequired && !session.authenticated) await askToken();
  window.addEventListener('hashchange', render);
  refreshHealth();
  setInterval(refreshHealth, 10000);
  render();
}

start();

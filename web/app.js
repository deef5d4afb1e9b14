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
  ['cluster', 'Cluster'],
  ['xmlconfig', 'xmlconfig'],
];

/** What the current page stops when another one is shown (timers, streams). */
let cleanups = [];
function onLeave(f) { cleanups.push(f); }

const app = () => document.getElementById('app');

function page(title, ...content) {
  document.title = (title ? title + ' — ' : '') + 'cafflow';
  app().replaceChildren(...content.flat());
}

function failed(e) {
  app().replaceChildren(h('div', {class: 'card error', id: 'page-error'},
    e instanceof ApiError ? `${e.status}: ${e.message}` : String(e && e.message || e)));
}

async function render() {
  for (const f of cleanups) { try { f(); } catch (e) { /* already stopped */ } }
  cleanups = [];
  notice('');
  const hash = location.hash.replace(/^#\/?/, '') || 'workflows';
  const [pathPart, queryPart] = hash.split('?');
  const parts = pathPart.split('/').map(decodeURIComponent);
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.dataset.page === parts[0]);
  const route = routes[parts[0]];
  if (!route) { page('Not found', h('div', {class: 'card error'}, 'No page named ' + parts[0])); return; }
  try { await route(parts.slice(1), queryOf(queryPart)); } catch (e) { failed(e); }
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

async function workflowsPage(_, q) {
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
  page('Workflows',
    h('h1', {}, 'Workflows'),
    filter, pager,
    h('table', {id: 'workflows'},
      h('thead', {}, h('tr', {}, ['Name', 'Dir', 'Status', 'Version', 'Schedule', 'Depends on', 'Recent runs'].map(t => h('th', {}, t)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: 7, class: 'muted'}, 'No workflow matches.')))),
    bad.length ? [h('h2', {}, 'xmlconfig files with problems'), xmlTable(bad, 'bad-files')] : []);
}

// -- Workflow ----------------------------------------------------------------------

async function loadGraph(container, name, onNode) {
  try {
    const svg = await apiText('/api/v1/workflows/' + enc(name) + '/graph');
    // Graphviz's SVG, drawn by this server from the loaded definition.
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    const root = doc.documentElement;
    if (root.nodeName !== 'svg') throw new Error('the graph is not SVG');
    for (const s of root.querySelectorAll('script')) s.remove();
    container.replaceChildren(document.importNode(root, true));
    if (onNode) for (const g of container.querySelectorAll('g.node')) {
      g.addEventListener('click', () => onNode(g.id.replace(/^wfnode-/, '')));
    }
  } catch (e) {
    container.replaceChildren(h('p', {class: 'error'}, 'The graph cannot be drawn: ' + e.message));
  }
}

function runForm(name, coordinator) {
  const params = h('div', {class: 'params'});
  const addParam = (k, v) => params.append(h('div', {class: 'param'},
    h('input', {class: 'param-name', placeholder: 'name', value: k || ''}),
    h('input', {class: 'param-value', placeholder: 'value', value: v || ''})));
  for (const p of (coordinator && coordinator.params) || []) addParam(p.name, '');
  addParam('', '');
  const result = h('div', {id: 'run-result'});
  const collect = () => {
    const out = {};
    for (const row of params.querySelectorAll('.param')) {
      const k = row.querySelector('.param-name').value.trim();
      const v = row.querySelector('.param-value').value;
      if (k && v !== '') out[k] = v;
    }
    return out;
  };
  const start = async (verb, body) => {
    result.replaceChildren();
    try {
      const r = await api('POST', `/api/v1/workflows/${enc(name)}/${verb}`, body);
      go('#/instance/' + enc(r.instance_id));
    } catch (e) { result.replaceChildren(h('p', {class: 'error'}, e.message)); }
  };
  return h('form', {class: 'form', id: 'run-form', onsubmit: ev => {
    ev.preventDefault();
    const body = {params: collect()};
    const t = document.getElementById('run-logical-time').value.trim();
    if (t) body.logical_time = t;
    start('run', body);
  }},
    h('label', {}, 'Params (the <param-list> evaluated at the logical time, these on top)', params),
    h('div', {}, h('button', {type: 'button', class: 'secondary', onclick: () => addParam()}, '+ param')),
    h('label', {}, 'Logical time (UTC, empty = now)',
      h('input', {id: 'run-logical-time', placeholder: 'YYYY-MM-DD HH:MM:SS'})),
    h('div', {class: 'buttons'},
      h('button', {type: 'submit', id: 'run-button'}, 'Run'),
      h('button', {type: 'button', class: 'secondary', id: 'trigger-button',
                   title: 'as if its coordinator fired now: downstream dependencies become ready',
                   onclick: () => start('trigger', {params: collect()})}, 'Trigger'),
      h('button', {type: 'button', class: 'secondary', id: 'lineage-button',
                   title: 'this workflow, then everything downstream',
                   onclick: () => start('lineage', {params: collect()})}, 'Run with downstream')),
    result);
}

async function workflowPage([name]) {
  const d = await api('GET', '/api/v1/workflows/' + enc(name));
  const w = d.workflow, c = d.coordinator;
  const graph = h('div', {class: 'graph', id: 'graph'}, h('p', {class: 'muted'}, 'Laying out…'));
  const source = h('pre', {class: 'source hidden', id: 'xml-source'});
  const showVersion = async v => {
    try {
      const r = await api('GET', `/api/v1/workflows/${enc(name)}/versions/${v}`);
      source.textContent = r.xml;
      source.classList.remove('hidden');
      document.getElementById('xml-title').textContent = `XML of version ${v} (${r.file})`;
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
  page(name,
    h('h1', {}, name, badge(w.status), h('span', {class: 'muted'}, `v${w.version} · ${w.dir}`)),
    w.desc ? h('p', {}, w.desc) : null,
    h('div', {class: 'row'},
      h('div', {class: 'grow'}, h('h2', {}, 'Graph'), graph),
      h('div', {style: 'width:420px;max-width:100%'},
        h('div', {class: 'card'}, h('h2', {style: 'margin-top:0'}, 'Run'), runForm(name, c)),
        coordCard,
        d.downstream && d.downstream.length ? h('div', {class: 'card'}, h('h2', {style: 'margin-top:0'}, 'Downstream'),
          d.downstream.map(x => h('div', {}, h('a', {href: '#/workflow/' + enc(x)}, x)))) : null)),
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
    h('h2', {id: 'xml-title'}, ''), source);
  loadGraph(graph, name);
  if (d.versions && d.versions.length) showVersion(d.versions[d.versions.length - 1].version);
  const list = await api('GET', '/api/v1/instances?workflow=' + enc(name) + '&limit=20');
  runs.replaceChildren(...instanceRows(list.instances, false));
}

// -- Instance ----------------------------------------------------------------------

const ENDED = ['succeeded', 'failed', 'killed'];

/** Buttons of the instance page: [id, label, shown when, action]. */
const instanceActions = [
  ['kill-button', 'Kill', i => !ENDED.includes(i.status), i => api('POST', `/api/v1/instances/${enc(i.id)}/kill`), 'danger'],
  ['rerun-failed-button', 'Rerun failed', i => i.status === 'failed' || i.status === 'killed',
    i => api('POST', `/api/v1/instances/${enc(i.id)}/rerun`, {mode: 'failed'})],
  ['rerun-all-button', 'Rerun all', i => ENDED.includes(i.status),
    i => api('POST', `/api/v1/instances/${enc(i.id)}/rerun`, {mode: 'all'})],
  ['rerun-selected-button', 'Rerun selected nodes', i => ENDED.includes(i.status),
    (i, view) => {
      if (!view.selected.size) throw new Error('select nodes in the table first');
      return api('POST', `/api/v1/instances/${enc(i.id)}/rerun`, {mode: 'nodes', nodes: [...view.selected]});
    }],
];

async function instancePage([id]) {
  const view = {inst: null, selected: new Set(), picked: null, source: null, logTimer: null};
  const head = h('div', {id: 'instance-head'});
  const buttons = h('div', {class: 'buttons', id: 'instance-actions'});
  const graph = h('div', {class: 'graph', id: 'graph'}, h('p', {class: 'muted'}, 'Laying out…'));
  const nodes = h('tbody', {id: 'nodes'});
  const live = h('span', {class: 'live', id: 'live'}, 'connecting…');
  const logBox = h('div', {id: 'log-viewer'});
  const first = await api('GET', '/api/v1/instances/' + enc(id));
  view.inst = first;

  const pick = name => { view.picked = name; showLog(); paint(); };
  const paintGraph = () => {
    for (const n of view.inst.nodes || []) {
      const g = document.getElementById('wfnode-' + n.name);
      if (!g) continue;
      for (const c of [...g.classList]) if (c.startsWith('st-')) g.classList.remove(c);
      g.classList.add('st-' + n.status);
      g.classList.toggle('picked', n.name === view.picked);
      g.setAttribute('data-status', n.status);
    }
  };
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
      i.parent_id ? [h('dt', {}, 'parent'), h('dd', {}, h('a', {href: '#/instance/' + enc(i.parent_id)}, i.parent_id))] : null));
    buttons.replaceChildren(...instanceActions.filter(a => a[2](i)).map(([bid, label, , act, cls]) =>
      h('button', {id: bid, class: cls || 'secondary', onclick: async ev => {
        ev.target.disabled = true;
        try { await act(view.inst, view); follow(); } catch (e) { notice(e.message); }
        finally { ev.target.disabled = false; }
      }}, label)));
    nodes.replaceChildren(...(i.nodes || []).map(n => {
      const attempts = n.attempts || [];
      const lastAttempt = attempts[attempts.length - 1];
      return h('tr', {class: 'clickable' + (n.name === view.picked ? ' selected' : ''), 'data-node': n.name,
                      'data-status': n.status, onclick: ev => { if (ev.target.type !== 'checkbox') pick(n.name); }},
        h('td', {}, n.kind === 'action' ? h('input', {type: 'checkbox', class: 'node-select', checked: view.selected.has(n.name),
          onchange: ev => ev.target.checked ? view.selected.add(n.name) : view.selected.delete(n.name)}) : null),
        h('td', {}, n.name, n.action_type ? h('span', {class: 'muted'}, ' ' + n.action_type) : null),
        h('td', {}, badge(n.status)),
        h('td', {}, fmtTime(n.started)),
        h('td', {}, duration(n.started, n.finished)),
        h('td', {}, attempts.length ? attempts.map(a => h('div', {class: 'mono'},
          `#${a.number} ${a.status}${a.exit_code !== null && a.exit_code !== undefined ? ' exit ' + a.exit_code : ''} on ${a.worker || '?'}`)) : ''),
        h('td', {class: 'mono'}, (n.message || '').split('\n')[0]));
    }));
    paintGraph();
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
    es.addEventListener('instance', ev => {
      view.inst = JSON.parse(ev.data);
      paint();
      if (view.picked && !view.logTimer) showLog();
    });
    es.addEventListener('end', () => { es.close(); live.textContent = 'ended'; live.className = 'live'; });
    es.addEventListener('error', ev => {
      if (ev.data) { notice(JSON.parse(ev.data).error); es.close(); }
      else if (es.readyState === EventSource.CONNECTING) { live.textContent = 'reconnecting…'; live.className = 'live'; }
    });
  };
  onLeave(() => { if (view.source) view.source.close(); if (view.logTimer) clearTimeout(view.logTimer); });

  page('Instance ' + id,
    h('h1', {}, 'Instance ', h('span', {class: 'mono'}, id), live),
    h('div', {class: 'row'},
      h('div', {class: 'grow'}, h('h2', {}, 'Graph'), graph),
      h('div', {class: 'card', style: 'width:460px;max-width:100%'}, head, buttons)),
    h('h2', {}, 'Nodes'),
    h('table', {id: 'node-table'}, h('thead', {}, h('tr', {}, ['', 'Node', 'Status', 'Started', 'Duration', 'Attempts', 'Message'].map(t => h('th', {}, t)))), nodes),
    logBox);
  paint();
  showLog();
  await loadGraph(graph, first.workflow, pick);
  paintGraph();
  follow();
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

async function instancesPage(_, q) {
  const params = new URLSearchParams({limit: 50});
  for (const k of ['workflow', 'status', 'trigger', 'from', 'to', 'offset']) if (q[k]) params.set(k, q[k]);
  const list = await api('GET', '/api/v1/instances?' + params);
  const sel = (name, values) => h('select', {name}, h('option', {value: ''}, 'any'),
    values.map(v => h('option', {value: v, selected: q[name] === v}, v)));
  const offset = Number(q.offset || 0);
  const pageTo = o => { const n = new URLSearchParams(q); n.set('offset', o); return '#/instances?' + n; };
  page('Instances',
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

async function clusterPage() {
  const c = await api('GET', '/api/v1/cluster');
  const timer = setTimeout(() => { if (location.hash.startsWith('#/cluster')) render(); }, 5000);
  onLeave(() => clearTimeout(timer));
  page('Cluster',
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

async function xmlconfigPage() {
  const r = await api('GET', '/api/v1/xmlconfig');
  const counts = {};
  for (const f of r.files) counts[f.status] = (counts[f.status] || 0) + 1;
  page('xmlconfig',
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

import { createHash } from 'node:crypto';

/**
 * The dashboard page served at `/`: one HTML document with its CSS and JS inline, so there is no
 * build step and nothing is fetched from elsewhere. It holds no token: the reader pastes one (kept in
 * sessionStorage) or, outside production, uses the dev login (POST /api/v1/dev/token). Every figure
 * comes from the public API with that token; the live feed (GET /api/v1/feed, SSE) is read with
 * fetch() and a streamed body reader because EventSource cannot send an Authorization header.
 *
 * The script and the style are written without template literals and without `${`: they sit in
 * String.raw templates here. Data is always inserted as text (textContent, createElement), never
 * as HTML. The CSP allows exactly this script and this style by their SHA-256 hashes.
 */

const STYLE = String.raw`
:root {
  --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --paper: #ffffff; --page: #f5f7fa;
  --accent: #1d4ed8; --accent-ink: #ffffff; --error: #b42318; --error-bg: #fef3f2; --ok: #05603a; --warn-bg: #fffaeb; --warn: #7a4d00;
  --issued: #2563eb; --suspended: #d97706; --reinstated: #0d9488; --cancelled: #c2410c; --expired: #6b7280;
}
* { box-sizing: border-box; }
html { color-scheme: light; }
body { margin: 0; background: var(--page); color: var(--ink); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
a { color: var(--accent); }
.skip { position: absolute; left: -9999px; top: 0; }
.skip:focus { left: 8px; top: 8px; z-index: 10; background: var(--paper); padding: 6px 10px; border: 2px solid var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
header.top { background: var(--paper); border-bottom: 1px solid var(--line); }
.wrap { max-width: 1240px; margin: 0 auto; padding: 0 20px; }
header.top .wrap { display: flex; align-items: center; justify-content: space-between; gap: 16px; padding-top: 14px; padding-bottom: 14px; flex-wrap: wrap; }
h1 { font-size: 20px; margin: 0; letter-spacing: .01em; }
h1 small { display: block; font-size: 13px; font-weight: 400; color: var(--muted); }
h2 { font-size: 16px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
.live { display: inline-flex; align-items: center; gap: 8px; font-size: 13px; color: var(--muted); margin: 0; }
.dot { width: 10px; height: 10px; border-radius: 50%; background: #9aa5b1; flex: none; }
.live[data-state="connected"] .dot { background: #12b76a; }
.live[data-state="reconnecting"] .dot { background: var(--suspended); }
.live[data-state="polling"] .dot { background: var(--issued); }
main { padding: 16px 0 32px; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.bar-row { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; }
form { margin: 0; }
label { font-weight: 600; font-size: 13px; display: block; margin-bottom: 3px; }
.field { display: flex; flex-direction: column; }
.hint { font-size: 12px; color: var(--muted); margin: 3px 0 0; }
input, select, button { font: inherit; }
input, select { border: 1px solid #9aa5b1; border-radius: 6px; padding: 6px 8px; background: var(--paper); color: var(--ink); min-height: 34px; }
input.token { width: min(520px, 80vw); font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
input.code { width: 12ch; text-transform: uppercase; }
input.permit { width: 19ch; text-transform: uppercase; }
button { border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); border-radius: 6px; padding: 6px 14px; min-height: 34px; cursor: pointer; font-weight: 600; }
button.secondary { background: var(--paper); color: var(--accent); }
button:disabled { opacity: .55; cursor: not-allowed; }
fieldset { border: 1px dashed #9aa5b1; border-radius: 8px; padding: 6px 12px 10px; margin: 0; }
legend { font-size: 13px; font-weight: 600; padding: 0 4px; }
.identity { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.identity strong { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.status { margin-top: 12px; border-left: 4px solid var(--accent); }
.status h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin-bottom: 4px; }
.messages { list-style: none; margin: 0; padding: 0; font-size: 14px; }
.messages li { padding: 3px 0; display: flex; gap: 10px; }
.messages time { color: var(--muted); font-variant-numeric: tabular-nums; flex: none; }
.messages li.error { color: var(--error); font-weight: 600; }
.messages li.warn { color: var(--warn); }
.messages li.ok { color: var(--ok); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin: 12px 0; }
.tile { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.tile dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
.tile dd { margin: 2px 0 0; font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
.span-2 { grid-column: 1 / -1; }
@media (max-width: 860px) { .grid { grid-template-columns: minmax(0, 1fr); } }
.card-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 12px; flex-wrap: wrap; margin-bottom: 8px; }
.card-head h2 { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
caption { text-align: left; font-size: 12px; color: var(--muted); padding-bottom: 4px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.bar-cell { width: 34%; vertical-align: middle; }
td.nowrap { white-space: nowrap; }
ul.statuses { list-style: none; margin: 0; padding: 0; font-size: 13px; white-space: nowrap; }
.bar-row.hinted { align-items: flex-start; }
.bar-row.hinted > button { margin-top: 22px; }
svg .count { fill: var(--ink); font-size: 11px; font-weight: 600; }
.bar { display: flex; height: 14px; background: #eef2f6; border-radius: 3px; overflow: hidden; }
.bar span { display: block; height: 100%; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.k-issued, .s-ISSUED { background: var(--issued); fill: var(--issued); }
.k-suspended, .s-SUSPENDED { background: var(--suspended); fill: var(--suspended); }
.k-reinstated { background: var(--reinstated); fill: var(--reinstated); }
.k-cancelled, .s-CANCELLED { background: var(--cancelled); fill: var(--cancelled); }
.k-expired, .s-EXPIRED { background: var(--expired); fill: var(--expired); }
.s-other { background: #334e68; fill: #334e68; }
fieldset.radio-row { border: 0; padding: 0; margin: 0; display: flex; gap: 8px; align-items: center; font-size: 13px; }
.radio-row input { margin: 0 2px 0 8px; min-height: 0; }
.radio-row label { display: inline; font-weight: 400; margin: 0; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 14px; margin: 6px 0 0; padding: 0; font-size: 13px; }
svg { display: block; max-width: 100%; }
svg text { font-family: inherit; font-size: 12px; fill: var(--muted); }
svg .axis { stroke: #9aa5b1; stroke-width: 1; }
svg .grid-line { stroke: #e4e7eb; stroke-width: 1; }
svg .measure { fill: #fde7d4; stroke: var(--cancelled); stroke-width: 1.5; }
svg .measure.halt { fill: #fde2e1; stroke: var(--error); }
svg .measure.open { stroke-dasharray: 5 3; }
svg .label { fill: var(--ink); font-weight: 600; }
svg .now { stroke: var(--accent); stroke-dasharray: 3 3; }
details { margin-top: 8px; }
summary { cursor: pointer; color: var(--accent); font-size: 13px; }
.empty { color: var(--muted); font-style: italic; margin: 6px 0; }
.in-force { margin: 4px 0 10px; font-size: 14px; }
.summary-line { margin: 4px 0 10px; font-size: 14px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; color: #fff; }
.timeline { list-style: none; margin: 8px 0 0; padding: 0 0 0 22px; position: relative; }
.timeline::before { content: ""; position: absolute; left: 7px; top: 6px; bottom: 6px; width: 2px; background: var(--line); }
.timeline > li { position: relative; margin: 0 0 12px; }
.timeline > li::before { content: ""; position: absolute; left: -20px; top: 7px; width: 12px; height: 12px; border-radius: 50%; background: var(--paper); border: 3px solid var(--accent); }
.timeline > li.t-PermitSuspended::before { border-color: var(--suspended); }
.timeline > li.t-PermitCancelled::before { border-color: var(--cancelled); }
.timeline > li.t-PermitExpired::before { border-color: var(--expired); }
.timeline > li.t-PermitReinstated::before { border-color: var(--reinstated); }
.timeline h3 { margin: 0 0 4px; font-size: 15px; }
.timeline h3 .type { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-weight: 400; font-size: 12px; color: var(--muted); margin-left: 8px; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 2px 16px; margin: 0; font-size: 13px; }
.facts div { display: flex; gap: 6px; }
.facts dt { color: var(--muted); flex: none; min-width: 86px; }
.facts dd { margin: 0; }
.facts .wide { grid-column: 1 / -1; }
pre { background: #f5f7fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto; font-size: 12px; max-height: 260px; }
.recent { list-style: none; margin: 0; padding: 0; font-size: 13px; }
.recent li { border-bottom: 1px solid var(--line); padding: 5px 0; }
.recent code { font-size: 12px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
[hidden] { display: none !important; }
#content:focus { outline: none; }
`;

const SCRIPT = String.raw`
(function () {
  'use strict';
  var API = '/api/v1';
  var TOKEN_KEY = 'permit-ledger.dashboard.token';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var KINDS = ['issued', 'suspended', 'reinstated', 'cancelled', 'expired'];
  var STATUSES = ['ISSUED', 'SUSPENDED', 'CANCELLED', 'EXPIRED'];
  var money = new Intl.NumberFormat('en-CA', { style: 'currency', currency: 'CAD', maximumFractionDigits: 0 });
  var count = new Intl.NumberFormat('en-CA');
  var state = {
    token: null, claims: null, stats: null, country: 'TR', destination: null, permit: null, history: null, permitRow: null,
    barsBy: 'count', lastEventId: null, feedAbort: null, feedState: 'off', feedTimer: null, pollTimer: null,
    refreshTimer: null, pending: [], minPosition: 0, recent: [], generation: 0
  };

  function $(id) { return document.getElementById(id); }
  function build(el, attrs, kids) {
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') el.textContent = String(v);
      else el.setAttribute(k, String(v));
    });
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
    return el;
  }
  function h(tag, attrs, kids) { return build(document.createElement(tag), attrs, kids); }
  function svg(tag, attrs, kids) { return build(document.createElementNS(SVGNS, tag), attrs, kids); }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function clock(d) { return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  /** A world date: the day alone when it is midnight UTC, else day and time in UTC. */
  function worldDate(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    var day = d.toISOString().slice(0, 10);
    if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0) return day;
    return day + ' ' + d.toISOString().slice(11, 16) + ' UTC';
  }
  function recordedDate(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.toISOString().slice(0, 10) + ' ' + d.toISOString().slice(11, 19) + ' UTC';
  }
  function time(iso, text) { return h('time', { datetime: iso, text: text }); }
  function humanType(type) {
    return String(type).replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^(\S+) (.*)$/, function (_, a, b) { return a + ' ' + b.toLowerCase(); });
  }
  function humanWord(s) { return String(s).replace(/_/g, ' '); }
  function statusClass(s) { return STATUSES.indexOf(s) >= 0 ? 's-' + s : 's-other'; }

  // ------------------------------------------------------------------ status region
  function say(text, kind) {
    var list = $('messages');
    var now = new Date();
    var item = h('li', { class: kind || 'info' }, [time(now.toISOString(), clock(now)), h('span', { text: text })]);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 6) list.removeChild(list.lastChild);
  }
  function ApiError(status, code, detail, errors) {
    this.status = status; this.code = code; this.detail = detail; this.errors = errors || [];
  }
  function describe(error) {
    if (error instanceof ApiError) {
      var fields = error.errors.map(function (e) { return e.field + ': ' + (e.messages || []).join(', '); }).join('; ');
      return (error.status ? error.status + ' ' : '') + error.code + (error.detail ? ' - ' + error.detail : '') + (fields ? ' (' + fields + ')' : '');
    }
    return error && error.message ? error.message : String(error);
  }
  function fail(what, error) { say(what + ': ' + describe(error), 'error'); }

  // ------------------------------------------------------------------ API
  async function api(path, options) {
    options = options || {};
    var headers = { Accept: 'application/json' };
    if (state.token && !options.anonymous) headers.Authorization = 'Bearer ' + state.token;
    if (options.minPosition) headers['X-Min-Position'] = String(options.minPosition);
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    var res;
    try {
      res = await fetch(API + path, {
        method: options.method || 'GET', headers: headers, cache: 'no-store',
        body: options.body === undefined ? undefined : JSON.stringify(options.body)
      });
    } catch (e) {
      throw new ApiError(0, 'NETWORK_ERROR', 'the service did not answer (' + (e && e.message ? e.message : e) + ')');
    }
    var text = await res.text();
    var body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    if (!res.ok) {
      var detail = body && (body.detail || body.title);
      throw new ApiError(res.status, (body && body.code) || res.statusText || 'HTTP_ERROR', detail || text.slice(0, 200), body && body.errors);
    }
    if (body === null) throw new ApiError(res.status, 'BAD_ANSWER', 'the answer was not JSON');
    return body;
  }

  // ------------------------------------------------------------------ token
  function decodeClaims(token) {
    try {
      var part = token.split('.')[1];
      var json = atob(part.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((part.length + 3) % 4));
      return JSON.parse(decodeURIComponent(Array.prototype.map.call(json, function (c) {
        return '%' + ('00' + c.charCodeAt(0).toString(16)).slice(-2);
      }).join('')));
    } catch (e) { return null; }
  }
  function signIn(token, how, focus) {
    token = String(token || '').trim().replace(/^Bearer\s+/i, '');
    if (!token) { say('Paste a token first.', 'error'); $('token').focus(); return; }
    state.token = token;
    state.claims = decodeClaims(token);
    try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { say('This browser would not keep the token for the session: ' + e.message, 'warn'); }
    if (!state.claims) say('This token does not look like a JWT; the service will decide.', 'warn');
    renderIdentity();
    say('Signed in ' + how + (state.claims ? ' as ' + (state.claims.sub || '?') + ' (' + rolesOf().join(', ') + ')' : '') + '.', 'ok');
    if (focus) $('content').focus();
    start();
  }
  function signOut() {
    stopLive();
    state.generation++;
    state.token = null; state.claims = null; state.stats = null; state.destination = null; state.history = null; state.permitRow = null; state.permit = null;
    state.lastEventId = null; state.recent = [];
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing was kept */ }
    $('token').value = '';
    clear($('messages'));
    renderIdentity(); renderStats(); renderDestination(); renderHistory(); renderRecent();
    say('Signed out; the token is forgotten.', 'info');
    $('token').focus();
  }
  function rolesOf() {
    var roles = state.claims && state.claims.roles;
    return Array.isArray(roles) ? roles.map(String) : [];
  }
  function renderIdentity() {
    var signedIn = !!state.token;
    $('signin-form').hidden = signedIn;
    $('identity').hidden = !signedIn;
    $('content').hidden = !signedIn;
    if (!signedIn) { setLive('off', 'Live updates: off (not signed in)'); return; }
    var c = state.claims || {};
    $('who').textContent = c.sub || 'unknown subject';
    $('who-roles').textContent = rolesOf().join(', ') || 'no roles named';
    $('who-exp').textContent = c.exp ? 'token valid until ' + recordedDate(new Date(c.exp * 1000).toISOString()) : '';
  }
  async function devLogin() {
    var role = $('dev-role').value;
    var button = $('dev-login');
    button.disabled = true;
    try {
      var answer = await api('/dev/token', { method: 'POST', body: { role: role }, anonymous: true });
      if (!answer.token) throw new ApiError(0, 'BAD_ANSWER', 'no token in the answer');
      signIn(answer.token, 'with the dev login', true);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        $('dev-login-box').hidden = true;
        try { sessionStorage.setItem(TOKEN_KEY + '.no-dev-login', '1'); } catch (e) { /* ignore */ }
        say('Dev login is not available on this server (404): paste a token instead.', 'error');
        $('token').focus();
      } else fail('Dev login', error);
    } finally { button.disabled = false; }
  }

  // ------------------------------------------------------------------ loading
  async function start() {
    var generation = ++state.generation;
    startLive();
    await loadAll(0, generation);
  }
  async function loadAll(minPosition, generation) {
    generation = generation || state.generation;
    var tasks = [loadStats(minPosition, generation), loadDestination(minPosition, generation), loadPermitNumbers(generation)];
    if (state.permit) tasks.push(loadHistory(state.permit, minPosition, generation, false));
    await Promise.all(tasks);
  }
  async function loadStats(minPosition, generation) {
    try {
      var stats = await api('/stats', { minPosition: minPosition });
      if (generation !== state.generation) return;
      state.stats = stats;
      renderStats();
    } catch (error) { retryIfBehind(error); fail('Figures (GET /stats)', error); }
  }
  async function loadDestination(minPosition, generation) {
    var country = state.country;
    try {
      var view = await api('/destinations/' + encodeURIComponent(country), { minPosition: minPosition });
      if (generation !== state.generation || country !== state.country) return;
      state.destination = view;
      renderDestination();
    } catch (error) {
      if (country === state.country) { state.destination = null; renderDestination(); }
      retryIfBehind(error);
      fail('Measures for ' + country + ' (GET /destinations/' + country + ')', error);
    }
  }
  async function loadPermitNumbers(generation) {
    try {
      var page = await api('/permits?limit=500');
      if (generation !== state.generation) return;
      var list = clear($('permit-numbers'));
      (page.items || []).forEach(function (p) { list.appendChild(h('option', { value: p.permitNumber, label: p.permitNumber + ' - ' + p.status + ' - ' + p.destination })); });
    } catch (error) { fail('Permit list (GET /permits)', error); }
  }
  async function loadHistory(permitNumber, minPosition, generation, announce) {
    var encoded = encodeURIComponent(permitNumber);
    var results = await Promise.allSettled([
      api('/permits/' + encoded, { minPosition: minPosition }),
      api('/permits/' + encoded + '/history', { minPosition: minPosition })
    ]);
    if (generation !== state.generation || permitNumber !== state.permit) return;
    state.permitRow = results[0].status === 'fulfilled' ? results[0].value : null;
    state.history = results[1].status === 'fulfilled' ? results[1].value : null;
    renderHistory();
    if (results[0].status === 'rejected') fail('Status of ' + permitNumber + ' (GET /permits/' + permitNumber + ')', results[0].reason);
    if (results[1].status === 'rejected') {
      var e = results[1].reason;
      retryIfBehind(e);
      fail('History of ' + permitNumber + ' (GET /permits/' + permitNumber + '/history)', e);
    } else if (announce) {
      say('History of ' + permitNumber + ': ' + state.history.events.length + ' events.', 'ok');
    }
  }
  function retryIfBehind(error) {
    if (error instanceof ApiError && error.status === 503) scheduleRefresh(2000);
  }

  // ------------------------------------------------------------------ figures
  function bar(parts, total) {
    var el = h('div', { class: 'bar', 'aria-hidden': 'true' });
    parts.forEach(function (p) {
      if (!p.value || !total) return;
      var seg = h('span', { class: p.cls, title: p.title });
      seg.style.width = (100 * p.value / total).toFixed(2) + '%';
      el.appendChild(seg);
    });
    return el;
  }
  function renderStats() {
    var stats = state.stats;
    var by = state.barsBy;
    $('tile-permits').textContent = stats ? count.format(stats.totals.permits) : '-';
    $('tile-value').textContent = stats ? money.format(stats.totals.valueCad) : '-';
    $('tile-destinations').textContent = stats ? count.format(new Set(stats.byDestination.map(function (r) { return r.destination; })).size) : '-';
    var active = stats ? stats.byStatus.filter(function (r) { return r.status === 'ISSUED' || r.status === 'SUSPENDED'; }).reduce(function (a, r) { return a + r.count; }, 0) : null;
    $('tile-active').textContent = stats ? count.format(active) : '-';

    var body = clear($('by-status-body'));
    if (!stats || !stats.byStatus.length) body.appendChild(h('tr', null, [h('td', { colspan: 4, class: 'empty', text: stats ? 'No permits yet.' : 'No figures loaded.' })]));
    else {
      var maxS = Math.max.apply(null, stats.byStatus.map(function (r) { return by === 'count' ? r.count : r.valueCad; }));
      stats.byStatus.forEach(function (r) {
        body.appendChild(h('tr', { 'data-status': r.status }, [
          h('th', { scope: 'row' }, [h('span', { class: 'swatch ' + statusClass(r.status), 'aria-hidden': 'true' }), r.status]),
          h('td', { class: 'num', text: count.format(r.count) }),
          h('td', { class: 'num', text: money.format(r.valueCad) }),
          h('td', { class: 'bar-cell' }, [bar([{ value: by === 'count' ? r.count : r.valueCad, cls: statusClass(r.status) }], maxS)])
        ]));
      });
    }

    var dbody = clear($('by-destination-body'));
    if (!stats || !stats.byDestination.length) dbody.appendChild(h('tr', null, [h('td', { colspan: 5, class: 'empty', text: stats ? 'No permits yet.' : 'No figures loaded.' })]));
    else {
      var groups = {};
      var order = [];
      stats.byDestination.forEach(function (r) {
        if (!groups[r.destination]) { groups[r.destination] = { destination: r.destination, count: 0, valueCad: 0, rows: [] }; order.push(r.destination); }
        var g = groups[r.destination];
        g.count += r.count; g.valueCad += r.valueCad; g.rows.push(r);
      });
      var maxD = Math.max.apply(null, order.map(function (d) { return by === 'count' ? groups[d].count : groups[d].valueCad; }));
      order.forEach(function (d) {
        var g = groups[d];
        dbody.appendChild(h('tr', { 'data-destination': d }, [
          h('th', { scope: 'row', text: d }),
          h('td', null, [h('ul', { class: 'statuses' }, g.rows.map(function (r) {
            return h('li', null, [h('span', { class: 'swatch ' + statusClass(r.status), 'aria-hidden': 'true' }), r.status + ' ' + count.format(r.count)]);
          }))]),
          h('td', { class: 'num', text: count.format(g.count) }),
          h('td', { class: 'num', text: money.format(g.valueCad) }),
          h('td', { class: 'bar-cell' }, [bar(g.rows.map(function (r) {
            return { value: by === 'count' ? r.count : r.valueCad, cls: statusClass(r.status), title: r.status };
          }), maxD)])
        ]));
      });
    }
    $('bars-note').textContent = by === 'count' ? 'Bars show the number of permits.' : 'Bars show the value in CAD.';
    renderPerMonth();
  }

  function monthIndex(m) { var p = m.split('-'); return Number(p[0]) * 12 + Number(p[1]) - 1; }
  function monthName(i) { return Math.floor(i / 12) + '-' + pad(i % 12 + 1); }
  function renderPerMonth() {
    var box = clear($('per-month-chart'));
    var tbody = clear($('per-month-body'));
    var rows = state.stats ? state.stats.perMonth : [];
    if (!rows.length) { box.appendChild(h('p', { class: 'empty', text: state.stats ? 'No lifecycle events yet.' : 'No figures loaded.' })); return; }
    rows.forEach(function (r) {
      tbody.appendChild(h('tr', null, [h('th', { scope: 'row', text: r.month })].concat(KINDS.map(function (k) { return h('td', { class: 'num', text: r[k] }); }))));
    });
    var first = monthIndex(rows[0].month), last = monthIndex(rows[rows.length - 1].month);
    first -= first % 12; last += 11 - last % 12;
    var byMonth = {};
    rows.forEach(function (r) { byMonth[monthIndex(r.month)] = r; });
    var totals = rows.map(function (r) { return KINDS.reduce(function (a, k) { return a + r[k]; }, 0); });
    var max = Math.max.apply(null, totals);
    var step = max <= 5 ? 1 : Math.ceil(max / 5);
    var top = Math.ceil(max / step) * step;
    var W = Math.max(360, box.clientWidth || 600), H = 210, L = 34, R = 10, T = 20, B = 26;
    var n = last - first + 1, cw = (W - L - R) / n, bw = Math.max(2, Math.min(cw * 0.8, 26));
    var y = function (v) { return T + (H - T - B) * (1 - v / top); };
    var peak = rows[totals.indexOf(max)];
    var chart = svg('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'pm-title pm-desc' }, [
      svg('title', { id: 'pm-title', text: 'Lifecycle events per month' }),
      svg('desc', { id: 'pm-desc', text: rows.length + ' months with events from ' + rows[0].month + ' to ' + rows[rows.length - 1].month + '; the busiest is ' + peak.month + ' with ' + max + ' events. The table below holds every figure.' })
    ]);
    for (var v = 0; v <= top; v += step) {
      chart.appendChild(svg('line', { class: 'grid-line', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      chart.appendChild(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', text: v }));
    }
    for (var i = first; i <= last; i++) {
      var x = L + (i - first) * cw + (cw - bw) / 2;
      if (i % 12 === 0) {
        chart.appendChild(svg('line', { class: 'axis', x1: L + (i - first) * cw, x2: L + (i - first) * cw, y1: H - B, y2: H - B + 5 }));
        chart.appendChild(svg('text', { x: L + (i - first) * cw + 3, y: H - 8, text: Math.floor(i / 12) }));
      }
      var r = byMonth[i];
      if (!r) continue;
      var base = 0;
      KINDS.forEach(function (k) {
        if (!r[k]) return;
        chart.appendChild(svg('rect', { class: 'k-' + k, x: x.toFixed(1), width: bw.toFixed(1), y: y(base + r[k]).toFixed(1), height: (y(base) - y(base + r[k])).toFixed(1) }, [
          svg('title', { text: monthName(i) + ': ' + r[k] + ' ' + k })
        ]));
        base += r[k];
      });
      if (bw >= 8) chart.appendChild(svg('text', { class: 'count', x: (x + bw / 2).toFixed(1), y: (y(base) - 4).toFixed(1), 'text-anchor': 'middle', 'aria-hidden': 'true', text: base }));
    }
    chart.appendChild(svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    box.appendChild(chart);
  }

  // ------------------------------------------------------------------ destination measures
  function renderDestination() {
    var view = state.destination;
    var box = clear($('measures-chart'));
    var body = clear($('measures-body'));
    var inForce = clear($('in-force'));
    $('measures-country').textContent = state.country;
    if (!view) { inForce.appendChild(h('span', { class: 'empty', text: 'No measures loaded.' })); return; }
    inForce.appendChild(h('strong', { text: 'In force now: ' }));
    inForce.appendChild(document.createTextNode(view.inForce.length ? view.inForce.map(function (m) { return m.reference + ' (' + humanWord(m.kind) + ')'; }).join(', ') : 'none'));
    if (!view.measures.length) { body.appendChild(h('tr', null, [h('td', { colspan: 6, class: 'empty', text: 'No measure was ever imposed on ' + view.country + '.' })])); return; }
    view.measures.forEach(function (m) {
      body.appendChild(h('tr', { 'data-measure': m.measureId }, [
        h('th', { scope: 'row', text: m.reference }),
        h('td', { text: humanWord(m.kind) + (m.eclGroups ? ' (Group ' + m.eclGroups.join(', ') + ')' : ' (all goods)') + (m.exceptionGrounds.length ? '; exceptions: ' + m.exceptionGrounds.map(humanWord).join(', ') : '') }),
        h('td', { class: 'nowrap' }, [time(m.imposedAt, worldDate(m.imposedAt))]),
        h('td', { class: 'nowrap' }, m.liftedAt ? [time(m.liftedAt, worldDate(m.liftedAt))] : ['in force']),
        h('td', { class: 'nowrap', text: m.liftReference || '' }),
        h('td', { text: m.reason + (m.liftReason ? ' / lifted: ' + m.liftReason : '') })
      ]));
    });
    var now = Date.now();
    var starts = view.measures.map(function (m) { return Date.parse(m.imposedAt); });
    var ends = view.measures.map(function (m) { return m.liftedAt ? Date.parse(m.liftedAt) : now; });
    var y0 = new Date(Math.min.apply(null, starts)).getUTCFullYear();
    var y1 = new Date(Math.max.apply(null, ends)).getUTCFullYear() + 1;
    var t0 = Date.UTC(y0, 0, 1), t1 = Date.UTC(y1, 0, 1);
    var W = Math.max(360, box.clientWidth || 600), L = 10, R = 10, rowH = 44, T = 6, B = 24;
    var H = T + rowH * view.measures.length + B;
    var x = function (t) { return L + (W - L - R) * (t - t0) / (t1 - t0); };
    var chart = svg('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'ms-title ms-desc' }, [
      svg('title', { id: 'ms-title', text: 'Timeline of the measures on ' + view.country }),
      svg('desc', { id: 'ms-desc', text: view.measures.map(function (m) { return m.reference + ' from ' + worldDate(m.imposedAt) + (m.liftedAt ? ' to ' + worldDate(m.liftedAt) + ' (lifted by ' + m.liftReference + ')' : ', still in force'); }).join('; ') })
    ]);
    for (var yr = y0; yr <= y1; yr++) {
      var gx = x(Date.UTC(yr, 0, 1));
      chart.appendChild(svg('line', { class: 'grid-line', x1: gx, x2: gx, y1: T, y2: H - B }));
      if (yr < y1) chart.appendChild(svg('text', { x: gx + 3, y: H - 7, text: yr }));
    }
    view.measures.forEach(function (m, i) {
      var a = x(Date.parse(m.imposedAt)), b = x(m.liftedAt ? Date.parse(m.liftedAt) : now);
      var top = T + i * rowH + 18;
      var cls = 'measure' + (m.kind === 'issuance_suspended' ? ' halt' : '') + (m.liftedAt ? '' : ' open');
      chart.appendChild(svg('rect', { class: cls, x: a.toFixed(1), y: top, width: Math.max(2, b - a).toFixed(1), height: 16, rx: 3 }, [
        svg('title', { text: m.reference + ': ' + humanWord(m.kind) })
      ]));
      var label = m.reference + ' - ' + humanWord(m.kind) + (m.eclGroups ? ' (Group ' + m.eclGroups.join(', ') + ')' : '');
      var right = a > W * 0.55;
      chart.appendChild(svg('text', { class: 'label', x: right ? b : a, y: top - 4, 'text-anchor': right ? 'end' : 'start', text: label }));
      var endText = m.liftedAt ? 'lifted ' + worldDate(m.liftedAt) + (m.liftReference ? ' by ' + m.liftReference : '') : 'in force';
      var fits = b + 8 + endText.length * 6.5 < W - R;
      chart.appendChild(svg('text', { x: fits ? b + 6 : b - 6, y: top + 12, 'text-anchor': fits ? 'start' : 'end', text: endText }));
    });
    if (view.measures.some(function (m) { return !m.liftedAt; })) {
      chart.appendChild(svg('line', { class: 'now', x1: x(now), x2: x(now), y1: T, y2: H - B }));
    }
    chart.appendChild(svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    box.appendChild(chart);
  }

  // ------------------------------------------------------------------ permit history
  function dataSummary(e) {
    var d = e.data || {};
    switch (e.type) {
      case 'PermitIssued':
      case 'PermitAmended':
        var items = Array.isArray(d.items) ? d.items.map(function (it) {
          return it.quantity + ' ' + it.unit + ' ' + it.description + ' (' + it.eclItem + ', ' + money.format(it.valueCad) + ')';
        }).join('; ') : '';
        return [items, d.destination ? 'to ' + d.destination + (d.endUser && d.endUser.name ? ', end user ' + d.endUser.name : '') : '',
          d.validFrom ? 'valid ' + d.validFrom + ' to ' + d.expiresOn : ''].filter(Boolean).join('; ');
      case 'PermitReviewOpened': return 'review ' + (d.reviewId || '');
      case 'PermitReviewFindingRecorded':
        return [d.finding, d.theatre ? 'theatre: ' + d.theatre : '', d.assuranceBreached ? 'end-use assurance breached' : '', d.evidenceRef ? 'evidence ' + d.evidenceRef : ''].filter(Boolean).join('; ');
      case 'PermitReviewConcluded': return [d.outcome ? humanWord(d.outcome) : '', d.summary].filter(Boolean).join(': ');
      default: return '';
    }
  }
  function fact(label, value, wide) {
    if (value === null || value === undefined || value === '') return null;
    return h('div', { class: wide ? 'wide' : null }, [h('dt', { text: label }), h('dd', null, [value])]);
  }
  function renderHistory() {
    var out = clear($('history'));
    var n = state.permit;
    if (!n) { out.appendChild(h('p', { class: 'empty', text: 'Search a permit number to see its history.' })); return; }
    var row = state.permitRow;
    out.appendChild(h('h3', { id: 'history-title', text: 'History of ' + n }));
    if (row) {
      out.appendChild(h('p', { class: 'summary-line' }, [
        h('span', { class: 'badge ' + statusClass(row.status), text: row.status }), ' ',
        row.destination + ' - ' + (row.exporter && row.exporter.name ? row.exporter.name : '') + ' - ' + money.format(row.totalValueCad) +
        ' - expires ' + row.expiresOn + (row.lastDecisionRef ? ' - last decision ' + row.lastDecisionRef : '')
      ]));
    }
    var history = state.history;
    if (!history) { out.appendChild(h('p', { class: 'empty', text: 'No history shown (see the status messages above).' })); return; }
    var list = h('ol', { class: 'timeline', 'aria-labelledby': 'history-title' });
    history.events.forEach(function (e, i) {
      var actor = e.actor || {};
      var who = (actor.id || '?') + ' (' + (actor.role || '?') + ')';
      var why = e.reason || (e.data && e.data.reason) || null;
      list.appendChild(h('li', { class: 't-' + e.type, 'data-type': e.type }, [
        h('h3', null, [(i + 1) + '. ' + humanType(e.type), h('span', { class: 'type', text: e.type + ' #' + e.position })]),
        h('dl', { class: 'facts' }, [
          fact('In the world', time(e.effectiveAt, worldDate(e.effectiveAt))),
          fact('Recorded', time(e.recordedAt, recordedDate(e.recordedAt))),
          fact('Who', who),
          fact('Executed by', actor.executor || null),
          fact('Why', why, true),
          fact('Legal basis', e.legalBasis || null),
          fact('Decision', e.decisionRef || null),
          fact('What', dataSummary(e) || null, true)
        ]),
        h('details', null, [h('summary', { text: 'Event data' }), h('pre', { text: JSON.stringify(e.data, null, 2) })])
      ]));
    });
    out.appendChild(list);
  }
  function openPermit(raw) {
    var n = String(raw || '').trim().toUpperCase();
    if (!n) { say('Type a permit number, such as EXP-19-004120.', 'error'); $('permit').focus(); return; }
    $('permit').value = n;
    state.permit = n; state.history = null; state.permitRow = null;
    renderHistory();
    loadHistory(n, state.minPosition, state.generation, true);
  }

  // ------------------------------------------------------------------ live feed
  function setLive(s, text) {
    state.feedState = s;
    $('live').setAttribute('data-state', s);
    $('live-text').textContent = text;
  }
  function stopLive() {
    if (state.feedAbort) state.feedAbort.abort();
    state.feedAbort = null;
    clearTimeout(state.feedTimer); clearInterval(state.pollTimer); clearTimeout(state.refreshTimer);
    state.pollTimer = null;
  }
  function startLive() {
    stopLive();
    connect(state.generation, 0);
  }
  function poll(reason) {
    clearInterval(state.pollTimer);
    state.pollTimer = setInterval(function () { loadAll(0, state.generation); }, 60000);
    setLive('polling', 'Live updates: off (' + reason + '); figures refresh every minute');
  }
  async function connect(generation, failures) {
    if (generation !== state.generation || !state.token) return;
    var abort = new AbortController();
    state.feedAbort = abort;
    var headers = { Authorization: 'Bearer ' + state.token, Accept: 'text/event-stream' };
    if (state.lastEventId !== null) headers['Last-Event-ID'] = state.lastEventId;
    var retryMs = 2000;
    setLive('reconnecting', failures ? 'Live updates: reconnecting' : 'Live updates: connecting');
    try {
      var res = await fetch(API + '/feed', { headers: headers, cache: 'no-store', signal: abort.signal });
      if (!res.ok) {
        var text = await res.text(), body = null;
        try { body = JSON.parse(text); } catch (e) { body = null; }
        var error = new ApiError(res.status, (body && body.code) || res.statusText, (body && (body.detail || body.title)) || text.slice(0, 200));
        if (res.status === 401) { fail('Live feed (GET /feed): the token was refused', error); setLive('off', 'Live updates: off (token refused)'); return; }
        if (res.status === 403) { say('Live feed (GET /feed): ' + describe(error), 'warn'); poll('this role may not read the feed'); return; }
        if (res.status === 404) { fail('Live feed (GET /feed) is not available on this server', error); poll('no feed on this server'); return; }
        throw error;
      }
      if (!res.body) throw new ApiError(0, 'NO_STREAM', 'this browser cannot read a streamed answer');
      failures = 0;
      setLive('connected', 'Live updates: connected' + (state.lastEventId !== null ? ' (from position ' + state.lastEventId + ')' : ''));
      var reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      var parser = sseParser(function (frame) {
        if (frame.retry) retryMs = frame.retry;
        if (frame.event) onFeedEvent(frame.event, generation);
      });
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        parser(chunk.value);
      }
      if (generation !== state.generation) return;
      say('Live feed closed by the server; reconnecting.', 'warn');
    } catch (error) {
      if (abort.signal.aborted || generation !== state.generation) return;
      failures++;
      fail('Live feed (GET /feed)', error);
    }
    var delay = Math.min(30000, retryMs * Math.pow(2, Math.min(failures, 4)));
    setLive('reconnecting', 'Live updates: reconnecting in ' + Math.round(delay / 1000) + ' s');
    state.feedTimer = setTimeout(function () { connect(generation, failures); }, delay);
  }
  /** An SSE parser (the WHATWG event-stream rules) over text chunks. */
  function sseParser(onFrame) {
    var buffer = '', data = [], type = '', id = null;
    return function (chunk) {
      buffer += chunk;
      var match;
      var re = /\r\n|\r|\n/g;
      var start = 0;
      while ((match = re.exec(buffer)) !== null) {
        if (match[0] === '\r' && match.index === buffer.length - 1) break;
        var line = buffer.slice(start, match.index);
        start = re.lastIndex;
        if (line === '') {
          if (id !== null) state.lastEventId = id;
          if (data.length) onFrame({ id: id, event: { type: type || 'message', id: id, data: data.join('\n') } });
          data = []; type = '';
          continue;
        }
        if (line.charAt(0) === ':') continue;
        var colon = line.indexOf(':');
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(value);
        else if (field === 'event') type = value;
        else if (field === 'id' && value.indexOf('\u0000') < 0) id = value;
        else if (field === 'retry' && /^\d+$/.test(value)) onFrame({ retry: Number(value) });
      }
      buffer = buffer.slice(start);
    };
  }
  function onFeedEvent(frame, generation) {
    if (generation !== state.generation) return;
    var event;
    try { event = JSON.parse(frame.data); } catch (e) { say('Live feed: an event could not be read (' + e.message + ')', 'error'); return; }
    var position = Number(frame.id || event.position) || 0;
    if (state.recent.some(function (r) { return r.position === position; })) return;
    state.recent.unshift({ position: position, type: event.type || frame.type, stream: event.stream, effectiveAt: event.effectiveAt, actor: event.actor, data: event.data });
    state.recent.length = Math.min(state.recent.length, 8);
    state.pending.push(event.type || frame.type);
    state.minPosition = Math.max(state.minPosition, position);
    renderRecent();
    setLive('connected', 'Live updates: connected (last event at position ' + position + ')');
    scheduleRefresh(400);
  }
  function scheduleRefresh(delay) {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(function () {
      var pending = state.pending; state.pending = [];
      loadAll(state.minPosition, state.generation).then(function () {
        if (pending.length) say('Updated after ' + pending.length + ' new event' + (pending.length > 1 ? 's' : '') + ' (last: ' + pending[pending.length - 1] + ').', 'ok');
      });
    }, delay);
  }
  function renderRecent() {
    var list = clear($('recent'));
    if (!state.recent.length) { list.appendChild(h('li', { class: 'empty', text: 'No new events since the page opened.' })); return; }
    state.recent.forEach(function (r) {
      var subject = r.data && (r.data.permitNumber || r.data.country || r.data.decisionRef) || r.stream;
      list.appendChild(h('li', null, [
        h('strong', { text: humanType(r.type) }), ' ', subject ? h('code', { text: subject }) : null,
        h('br'), h('span', { class: 'hint', text: '#' + r.position + ' - in the world ' + worldDate(r.effectiveAt) + (r.actor ? ' - ' + r.actor.id + ' (' + r.actor.role + ')' : '') })
      ]));
    });
  }

  // ------------------------------------------------------------------ wiring
  $('signin-form').addEventListener('submit', function (e) { e.preventDefault(); signIn($('token').value, 'with a pasted token', true); });
  $('dev-login').addEventListener('click', devLogin);
  $('sign-out').addEventListener('click', signOut);
  $('refresh').addEventListener('click', function () { say('Refreshing the figures.', 'info'); loadAll(state.minPosition, state.generation); });
  $('country-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var c = $('country').value.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(c)) { say('A destination is a two-letter country code, such as TR.', 'error'); $('country').focus(); return; }
    $('country').value = c;
    state.country = c; state.destination = null;
    renderDestination();
    loadDestination(state.minPosition, state.generation);
  });
  $('permit-form').addEventListener('submit', function (e) { e.preventDefault(); openPermit($('permit').value); });
  Array.prototype.forEach.call(document.querySelectorAll('input[name="bars-by"]'), function (r) {
    r.addEventListener('change', function () { if (r.checked) { state.barsBy = r.value; renderStats(); } });
  });
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (state.token) { renderPerMonth(); renderDestination(); } }, 150);
  });

  try { if (sessionStorage.getItem(TOKEN_KEY + '.no-dev-login')) $('dev-login-box').hidden = true; } catch (e) { /* ignore */ }
  renderIdentity(); renderStats(); renderDestination(); renderHistory(); renderRecent();
  var kept = null;
  try { kept = sessionStorage.getItem(TOKEN_KEY); } catch (e) { say('This browser does not allow session storage: the token cannot be kept.', 'warn'); }
  if (kept) signIn(kept, 'with the token kept for this session');
  else say('Paste a bearer token or use the dev login to see the figures.', 'info');
})();
`;

const BODY = String.raw`
<a class="skip" href="#content">Skip to the figures</a>
<header class="top">
  <div class="wrap">
    <h1>Permit ledger <small>Export permits for military goods: figures, measures and histories</small></h1>
    <p class="live" id="live" data-state="off"><span class="dot" aria-hidden="true"></span><span id="live-text">Live updates: off</span></p>
  </div>
</header>
<main class="wrap">
  <section class="card" aria-labelledby="signin-title">
    <h2 id="signin-title" class="visually-hidden">Sign in</h2>
    <form id="signin-form" class="bar-row hinted" autocomplete="off">
      <div class="field">
        <label for="token">Bearer token</label>
        <input id="token" name="token" class="token" type="password" spellcheck="false" autocomplete="off" aria-describedby="token-hint" placeholder="eyJhbGciOi...">
        <p class="hint" id="token-hint">Kept in this tab's session storage only; never sent anywhere but this service.</p>
      </div>
      <button type="submit">Use token</button>
      <fieldset id="dev-login-box">
        <legend>Dev login (not in production)</legend>
        <div class="bar-row">
          <div class="field">
            <label for="dev-role">Role</label>
            <select id="dev-role">
              <option value="auditor" selected>auditor (figures, histories, live feed)</option>
              <option value="viewer">viewer (figures only)</option>
              <option value="officer">officer</option>
              <option value="minister">minister</option>
            </select>
          </div>
          <button type="button" id="dev-login" class="secondary">Dev login</button>
        </div>
      </fieldset>
    </form>
    <div id="identity" class="identity" hidden>
      <span>Signed in as <strong id="who"></strong> with role <strong id="who-roles"></strong> <span class="hint" id="who-exp"></span></span>
      <button type="button" id="refresh" class="secondary">Refresh figures</button>
      <button type="button" id="sign-out" class="secondary">Sign out</button>
    </div>
  </section>

  <section class="card status" aria-labelledby="status-title">
    <h2 id="status-title">Status</h2>
    <ol id="messages" class="messages" role="log" aria-live="polite" aria-relevant="additions"></ol>
  </section>

  <div id="content" tabindex="-1" hidden>
    <dl class="tiles" aria-label="Totals">
      <div class="tile"><dt>Permits</dt><dd id="tile-permits">-</dd></div>
      <div class="tile"><dt>Total value (CAD)</dt><dd id="tile-value">-</dd></div>
      <div class="tile"><dt>Issued or suspended</dt><dd id="tile-active">-</dd></div>
      <div class="tile"><dt>Destinations</dt><dd id="tile-destinations">-</dd></div>
    </dl>

    <div class="grid">
      <section class="card" aria-labelledby="by-status-title">
        <div class="card-head">
          <h2 id="by-status-title">By status</h2>
          <fieldset class="radio-row">
            <legend class="visually-hidden">Bars show</legend>
            <span id="bars-note" class="hint"></span>
            <input type="radio" id="bars-count" name="bars-by" value="count" checked><label for="bars-count">permits</label>
            <input type="radio" id="bars-value" name="bars-by" value="value"><label for="bars-value">value</label>
          </fieldset>
        </div>
        <table id="by-status" aria-labelledby="by-status-title">
          <thead><tr><th scope="col">Status</th><th scope="col" class="num">Permits</th><th scope="col" class="num">Value (CAD)</th><th scope="col"><span class="visually-hidden">Bar</span></th></tr></thead>
          <tbody id="by-status-body"></tbody>
        </table>
      </section>

      <section class="card" aria-labelledby="by-destination-title">
        <div class="card-head"><h2 id="by-destination-title">By destination</h2></div>
        <table id="by-destination" aria-labelledby="by-destination-title">
          <thead><tr><th scope="col">Destination</th><th scope="col">Statuses</th><th scope="col" class="num">Permits</th><th scope="col" class="num">Value (CAD)</th><th scope="col"><span class="visually-hidden">Bar</span></th></tr></thead>
          <tbody id="by-destination-body"></tbody>
        </table>
      </section>

      <section class="card span-2" aria-labelledby="per-month-title">
        <div class="card-head">
          <h2 id="per-month-title">Permits per status over time</h2>
          <span class="hint">Lifecycle events per month, by the date they took effect in the world</span>
        </div>
        <div id="per-month-chart"></div>
        <ul class="legend" aria-label="Legend">
          <li><span class="swatch k-issued" aria-hidden="true"></span>issued</li>
          <li><span class="swatch k-suspended" aria-hidden="true"></span>suspended</li>
          <li><span class="swatch k-reinstated" aria-hidden="true"></span>reinstated</li>
          <li><span class="swatch k-cancelled" aria-hidden="true"></span>cancelled</li>
          <li><span class="swatch k-expired" aria-hidden="true"></span>expired</li>
        </ul>
        <details>
          <summary>Show the figures as a table</summary>
          <table id="per-month" aria-labelledby="per-month-title">
            <thead><tr><th scope="col">Month</th><th scope="col" class="num">Issued</th><th scope="col" class="num">Suspended</th><th scope="col" class="num">Reinstated</th><th scope="col" class="num">Cancelled</th><th scope="col" class="num">Expired</th></tr></thead>
            <tbody id="per-month-body"></tbody>
          </table>
        </details>
      </section>

      <section class="card span-2" aria-labelledby="measures-title">
        <div class="card-head">
          <h2 id="measures-title">Destination measures: <span id="measures-country">TR</span></h2>
          <form id="country-form" class="bar-row hinted" role="search" aria-label="Destination">
            <div class="field">
              <label for="country">Country code</label>
              <input id="country" class="code" value="TR" maxlength="2" autocomplete="off" spellcheck="false" aria-describedby="country-hint">
              <span class="hint" id="country-hint">ISO 3166 alpha-2, such as TR</span>
            </div>
            <button type="submit">Show measures</button>
          </form>
        </div>
        <p id="in-force" class="in-force"></p>
        <div id="measures-chart"></div>
        <table id="measures" aria-labelledby="measures-title">
          <thead><tr><th scope="col">Reference</th><th scope="col">Measure</th><th scope="col">Imposed</th><th scope="col">Lifted</th><th scope="col">Lifted by</th><th scope="col">Reason</th></tr></thead>
          <tbody id="measures-body"></tbody>
        </table>
      </section>

      <section class="card span-2" aria-labelledby="history-section-title">
        <div class="card-head">
          <h2 id="history-section-title">Permit history</h2>
          <form id="permit-form" class="bar-row hinted" role="search" aria-label="Permit">
            <div class="field">
              <label for="permit">Permit number</label>
              <input id="permit" class="permit" list="permit-numbers" autocomplete="off" spellcheck="false" placeholder="EXP-19-004120" aria-describedby="permit-hint">
              <span class="hint" id="permit-hint">Needs the auditor, officer or minister role</span>
              <datalist id="permit-numbers"></datalist>
            </div>
            <button type="submit">Open history</button>
          </form>
        </div>
        <div id="history"></div>
      </section>

      <section class="card span-2" aria-labelledby="recent-title">
        <h2 id="recent-title">Live events</h2>
        <ul id="recent" class="recent"></ul>
      </section>
    </div>
  </div>
</main>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The page's own policy: only its inline script and style (by hash), and API calls to this origin. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Permit ledger - dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;

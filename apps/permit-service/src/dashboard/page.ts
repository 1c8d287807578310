import { createHash } from 'node:crypto';
import { DASHBOARD_SCRIPT } from './client.bundle.js';

/**
 * The dashboard page served at `/`: one HTML document with its CSS and JS inline, so nothing is fetched
 * from elsewhere. It holds no token: the reader pastes one (kept in sessionStorage) or, outside
 * production, uses the dev login (POST /api/v1/dev/token). Every figure comes from the public API with
 * that token; the live feed (GET /api/v1/feed, SSE) is read with fetch() and a streamed body reader
 * because EventSource cannot send an Authorization header.
 *
 * The script is the TypeScript of ./client, bundled into one script at build (scripts/build-dashboard.mjs).
 * Data is always inserted as text (textContent, createElement), never as HTML. The CSP allows exactly
 * this script and this style by their SHA-256 hashes, computed here from the text the page serves.
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
  `script-src ${sha256(DASHBOARD_SCRIPT)}`,
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
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;

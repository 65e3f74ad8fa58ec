// Détente live dashboard: tables, a chart and alerts, kept current from the API's SSE stream.
//
// Everything comes from the JSON API of the page's own server (docs/api.md). The page starts
// from a snapshot (/v1/actors, /v1/dyads, /v1/global, /v1/movers, /v1/alerts), then applies
// `index` and `alert` events from /v1/stream. While the stream is down (or the server has no
// stream) it polls the snapshot instead. Optional endpoints that answer 404 hide their panel.

const API = "v1"; // relative to the page's base (/dashboard → /v1/...)
const TOP_ACTORS = 10;
const TOP_DYADS = 8;
const TOP_MOVERS = 5;
const MAX_ALERTS = 30;
const POLL_MS = 5000; // snapshot refresh while the stream is down
const LIVE_REFRESH_MS = 60000; // snapshot refresh while live (movers and Δ are not streamed)
const STREAM_RETRY_MS = 30000; // reopen a stream the server refused (e.g. 404, 503)

const state = {
  actors: new Map(), // actor id -> row
  dyads: new Map(), // "a|b" -> row
  global: null,
  alerts: [], // newest first
  movers: null, // {rises, falls} from /v1/movers
  selected: null, // {kind: "actor" | "dyad", key, label}
  // Set to false once the server shows it lacks the route (older API): never asked again.
  moversRoute: true,
  alertsRoute: true,
  historyRoute: { actor: true, dyad: true },
  mode: "connecting",
  lastChange: null, // Date of the last change the page applied
  loaded: false, // a first snapshot has been applied
};

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

// -- fetching ---------------------------------------------------------------------------

async function getJSON(path) {
  try {
    const response = await fetch(`${API}/${path}`, { headers: { Accept: "application/json" } });
    const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
    return { status: response.status, body };
  } catch (error) {
    return { status: 0, body: null, error };
  }
}

const items = (body) => (Array.isArray(body) ? body : body?.items ?? []);

// A 404 whose detail is FastAPI's generic "Not Found" means the route itself is missing.
const routeMissing = (reply) => reply.status === 404 && reply.body?.detail === "Not Found";

// -- rows -------------------------------------------------------------------------------

const window24 = (windows) => windows?.["24h"] ?? {};
// Rows rank by the lower bound of the 24 h index's interval, as the API's lists do: steady
// evidence above a lucky statement or two. Records from before intervals rank by the index.
const lowOf = (windows, index) => window24(windows).low ?? index;

function actorFromBody(body) {
  const index = body.index ?? window24(body.windows).index ?? null;
  return {
    id: body.actor,
    name: body.name ?? body.actor,
    index,
    low: lowOf(body.windows, index),
    change: typeof body.change === "number" ? body.change : body.change?.index ?? null,
    statements: window24(body.windows).statements ?? body.statements ?? 0,
    asOf: body.as_of ?? null,
  };
}

function dyadFromBody(body) {
  const actors = [...body.actors].sort();
  const index = body.index ?? window24(body.windows).index ?? null;
  return {
    key: actors.join("|"),
    actors,
    names: body.names ?? actors.map(nameOf),
    index,
    low: lowOf(body.windows, index),
    statements: window24(body.windows).statements ?? body.statements ?? 0,
    asOf: body.as_of ?? null,
  };
}

const nameOf = (id) => state.actors.get(id)?.name ?? id;

// -- applying stream events -------------------------------------------------------------

// An `index` event carries an index update of the worker (subject, subject_kind, actors,
// windows, as_of, …); an API body (`actor` or `actors` + `names`) is accepted too.
function applyIndex(update) {
  const kind = update.subject_kind ?? (update.actor ? "actor" : update.actors ? "dyad" : "global");
  const index = window24(update.windows).index ?? update.index ?? null;
  const low = lowOf(update.windows, index);
  const statements = window24(update.windows).statements ?? update.statements ?? 0;
  const asOf = update.as_of ?? null;
  let key;
  if (kind === "actor") {
    const id = update.actor ?? update.actors[0];
    const previous = state.actors.get(id);
    state.actors.set(id, {
      id,
      name: update.name ?? previous?.name ?? id,
      index,
      low,
      change: previous?.change ?? null,
      statements,
      asOf,
    });
    if (!previous && !update.name) fetchActorName(id);
    key = id;
  } else if (kind === "dyad") {
    const row = dyadFromBody(update);
    state.dyads.set(row.key, { ...row, index, low, statements, asOf });
    key = row.key;
  } else {
    state.global = { index, asOf };
  }
  noteChange();
  if (state.selected && state.selected.kind === kind && state.selected.key === key) {
    const day = window24(update.windows);
    addChartPoint(asOf, index, day.low ?? null, day.high ?? null);
  }
  scheduleRender(kind === "global" ? null : `${kind}:${key}`);
}

async function fetchActorName(id) {
  const reply = await getJSON(`actors/${encodeURIComponent(id)}`);
  if (reply.status === 200 && state.actors.has(id)) {
    state.actors.get(id).name = reply.body.name ?? id;
    state.actors.get(id).change = actorFromBody(reply.body).change;
    scheduleRender();
  }
}

function applyAlert(alert) {
  const id = alertId(alert);
  if (state.alerts.some((a) => alertId(a) === id)) return;
  state.alerts.unshift(alert);
  state.alerts.length = Math.min(state.alerts.length, MAX_ALERTS);
  noteChange();
  scheduleRender(state.loaded ? `alert:${id}` : null); // no flash for the first page of alerts
}

const alertId = (a) => a.alert_id ?? `${a.subject}@${a.as_of}`;

function noteChange() {
  state.lastChange = new Date();
}

// -- snapshot ---------------------------------------------------------------------------

async function loadSnapshot() {
  const [actors, dyads, global, movers, alerts] = await Promise.all([
    getJSON(`actors?limit=100`),
    getJSON(`dyads?limit=100`),
    getJSON(`global`),
    state.moversRoute ? getJSON(`movers?kind=actor&limit=${TOP_MOVERS}`) : null,
    state.alertsRoute ? getJSON(`alerts?limit=${MAX_ALERTS}`) : null,
  ]);
  if (actors.status !== 200 || dyads.status !== 200) {
    if (state.mode !== "live") setMode("offline");
    return false;
  }
  if (state.mode === "offline") setMode("polling");
  const actorRows = new Map(items(actors.body).map((b) => [b.actor, actorFromBody(b)]));
  const dyadRows = new Map(items(dyads.body).map((b) => [dyadFromBody(b).key, dyadFromBody(b)]));
  const changed = [
    ...changedKeys(state.actors, actorRows, "actor"),
    ...changedKeys(state.dyads, dyadRows, "dyad"),
  ];
  state.actors = actorRows;
  state.dyads = dyadRows;
  if (global.status === 200) state.global = { index: global.body.index, asOf: global.body.as_of };
  if (changed.length || !state.loaded) noteChange();
  for (const key of changed) flashKeys.add(key);

  if (movers && routeMissing(movers)) state.moversRoute = false;
  else if (movers?.status === 200) state.movers = movers.body;

  if (alerts && routeMissing(alerts)) state.alertsRoute = false;
  else if (alerts?.status === 200) {
    for (const alert of items(alerts.body).reverse()) applyAlert(alert);
  }

  if (!state.selected && state.actors.size) {
    const top = ranked(state.actors)[0];
    select({ kind: "actor", key: top.id, label: top.name });
  } else if (state.selected && state.mode !== "live") {
    loadHistory(); // no stream to extend the chart: reload it with the snapshot
  }
  state.loaded = true;
  scheduleRender();
  return true;
}

// "kind:key" of the rows that are new or different in `after` (none on the first load).
function changedKeys(before, after, kind) {
  if (!state.loaded) return [];
  return [...after]
    .filter(([key, row]) => JSON.stringify(before.get(key)) !== JSON.stringify(row))
    .map(([key]) => `${kind}:${key}`);
}

// -- stream, with polling as the fallback -----------------------------------------------

let pollTimer = null;

function setMode(mode) {
  state.mode = mode;
  const badge = $("connection");
  badge.dataset.mode = mode;
  badge.textContent = {
    connecting: "connecting…",
    live: "live (stream)",
    polling: `polling every ${POLL_MS / 1000} s`,
    offline: "API unreachable, retrying",
  }[mode];
}

function poll(every) {
  clearInterval(pollTimer);
  pollTimer = setInterval(loadSnapshot, every);
}

function connect() {
  if (!("EventSource" in window)) {
    setMode("polling");
    poll(POLL_MS);
    return;
  }
  const stream = new EventSource(`${API}/stream`);
  stream.addEventListener("open", () => {
    setMode("live");
    poll(LIVE_REFRESH_MS);
    loadSnapshot(); // catch up on anything missed while disconnected
  });
  stream.addEventListener("index", (event) => applyIndex(JSON.parse(event.data)));
  stream.addEventListener("alert", (event) => applyAlert(JSON.parse(event.data)));
  stream.addEventListener("reset", () => loadSnapshot()); // the server lost our place
  stream.addEventListener("error", () => {
    if (state.mode !== "polling") {
      setMode("polling");
      poll(POLL_MS);
    }
    if (stream.readyState === EventSource.CLOSED) {
      // Refused (no /v1/stream, or too many clients): the browser will not retry by itself.
      setTimeout(connect, STREAM_RETRY_MS);
    }
  });
}

// -- rendering --------------------------------------------------------------------------

let renderPending = false;
const flashKeys = new Set();

function scheduleRender(flashKey) {
  if (flashKey) flashKeys.add(flashKey);
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    render();
    flashKeys.clear();
  });
}

function ranked(map) {
  const key = (row) => row.id ?? row.key;
  return [...map.values()].sort(
    (a, b) =>
      (a.low === null) - (b.low === null) ||
      (b.low ?? 0) - (a.low ?? 0) ||
      key(a).localeCompare(key(b)),
  );
}

function render() {
  renderActors();
  renderDyads();
  renderMovers();
  renderAlerts();
  renderStatus();
}

function renderStatus() {
  $("global-index").textContent = formatIndex(state.global?.index);
  const times = [...state.actors.values(), ...state.dyads.values()]
    .map((row) => row.asOf)
    .concat(state.global?.asOf ?? [])
    .filter(Boolean)
    .sort();
  setTime($("as-of"), times.at(-1) ?? null);
  setTime($("updated-at"), state.lastChange?.toISOString() ?? null, "ago");
}

function renderActors() {
  const rows = ranked(state.actors).slice(0, TOP_ACTORS);
  const body = $("top-actors").tBodies[0];
  body.replaceChildren(
    ...rows.map((row) => {
      const tr = selectableRow({ kind: "actor", key: row.id, label: row.name }, "actor-row");
      tr.dataset.actor = row.id;
      tr.append(
        cell(row.name, "actor-name"),
        indexCell(row.index, "actor-index"),
        cell(formatChange(row.change), "actor-change", `num ${changeClass(row.change)}`),
        cell(String(row.statements), "actor-statements", "num"),
        timeCell(row.asOf),
      );
      return tr;
    }),
  );
  $("actors-empty").hidden = rows.length > 0;
}

function renderDyads() {
  const rows = ranked(state.dyads).slice(0, TOP_DYADS);
  const body = $("top-dyads").tBodies[0];
  body.replaceChildren(
    ...rows.map((row) => {
      const names = row.actors.map((id, i) => state.actors.get(id)?.name ?? row.names[i] ?? id);
      const label = names.join(" – ");
      const tr = selectableRow({ kind: "dyad", key: row.key, label }, "dyad-row");
      tr.dataset.dyad = row.key;
      tr.append(
        cell(label, "dyad-name"),
        indexCell(row.index, "dyad-index"),
        cell(String(row.statements), "dyad-statements", "num"),
        timeCell(row.asOf),
      );
      return tr;
    }),
  );
  $("dyads-empty").hidden = rows.length > 0;
}

function renderMovers() {
  let movers = state.movers ?? { rises: [], falls: [] };
  let note = "";
  if (!state.moversRoute) {
    // No /v1/movers: rank the actors by their 24h change, when the API gives one.
    const withChange = [...state.actors.values()].filter((row) => typeof row.change === "number");
    const byChange = withChange.sort((a, b) => b.change - a.change);
    movers = {
      rises: byChange.filter((row) => row.change > 0).slice(0, TOP_MOVERS),
      falls: byChange.filter((row) => row.change < 0).reverse().slice(0, TOP_MOVERS),
    };
    if (!withChange.length) note = "This API reports no 24 h changes yet.";
  }
  for (const [testid, list] of [["movers-rises", movers.rises], ["movers-falls", movers.falls]]) {
    $(testid).replaceChildren(
      ...(list ?? []).map((item) => {
        const li = el("li", "", "mover");
        const change = moverChange(item);
        li.append(
          el("span", moverName(item), "name"),
          el("span", formatChange(change), `num ${changeClass(change)}`),
        );
        return li;
      }),
    );
  }
  const empty = !movers.rises?.length && !movers.falls?.length;
  $("movers-note").textContent = note || (empty ? "No moves in the last 24 hours." : "");
}

// Movers may be API bodies (actor/name or actors/names) or bare subjects; be liberal.
function moverName(item) {
  if (item.name) return item.name;
  if (item.names) return item.names.join(" – ");
  const subject = item.subject ?? item.actor ?? item.id ?? "";
  const id = subject.replace(/^actor:/, "");
  return id.startsWith("dyad:") ? id.slice(5).split("|").map(nameOf).join(" – ") : nameOf(id);
}

const moverChange = (item) => item.change ?? item.delta ?? item.rise ?? null;

function renderAlerts() {
  $("alerts").replaceChildren(
    ...state.alerts.map((alert) => {
      const li = el("li", "", "alert");
      li.dataset.testid = "alert-item";
      li.dataset.subject = alert.subject ?? "";
      const who = (alert.actors ?? []).map(nameOf).join(" – ") || alert.subject;
      li.append(
        timeEl(alert.as_of ?? alert.raised_at),
        el("strong", who),
        el(
          "span",
          `${alert.window ?? "24h"} index ${formatIndex(alert.value)}, ` +
            `${formatChange(alert.rise)} over its baseline ${formatIndex(alert.baseline)} ` +
            `(z ${Number(alert.z ?? 0).toFixed(1)}, ${alert.statements ?? "?"} statements)`,
        ),
      );
      if (flashKeys.has(`alert:${alertId(alert)}`)) li.classList.add("flash");
      return li;
    }),
  );
  $("alerts-note").textContent =
    !state.alertsRoute
      ? "This API has no /v1/alerts yet; alerts from the stream still show here."
      : state.alerts.length
        ? ""
        : "No alerts yet.";
}

function selectableRow(subject, testid) {
  const tr = el("tr");
  tr.dataset.testid = testid;
  tr.tabIndex = 0;
  const selected = state.selected?.kind === subject.kind && state.selected?.key === subject.key;
  tr.setAttribute("aria-selected", String(selected));
  if (flashKeys.has(`${subject.kind}:${subject.key}`)) tr.classList.add("flash");
  tr.addEventListener("click", () => select(subject));
  tr.addEventListener("keydown", (event) => event.key === "Enter" && select(subject));
  return tr;
}

function el(tag, text = "", className = "") {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function cell(text, testid, className = "") {
  const td = el("td", text, className);
  td.dataset.testid = testid;
  return td;
}

// The index as a number and a meter: green when conciliatory, red when hardline.
function indexCell(index, testid) {
  const td = cell("", testid, "num index");
  const meter = el("meter");
  Object.assign(meter, { min: 0, max: 100, low: 40, high: 60, optimum: 0, value: index ?? 0 });
  td.append(el("span", formatIndex(index)), meter);
  return td;
}

function timeCell(iso) {
  const td = el("td");
  td.append(timeEl(iso));
  return td;
}

function timeEl(iso) {
  const node = el("time");
  setTime(node, iso, "short");
  return node;
}

// Index times (`as_of`) end the clock hour of the subject's latest article, so they can lie
// a little ahead of now: they are shown as times, not as "… ago". Wall-clock times of the
// page itself are shown with how long ago they were.
function setTime(node, iso, style = "full") {
  if (!iso) {
    node.textContent = "–";
    node.removeAttribute("datetime");
    return;
  }
  const date = new Date(iso);
  node.dateTime = date.toISOString();
  node.title = formatUTC(date);
  node.textContent = {
    short: formatShortUTC(date),
    full: formatUTC(date),
    ago: `${formatUTC(date)} (${formatAgo(date)})`,
  }[style];
}

const formatIndex = (value) => (typeof value === "number" ? value.toFixed(1) : "–");

function formatChange(value) {
  if (typeof value !== "number") return "–";
  return `${value > 0 ? "+" : value < 0 ? "−" : "±"}${Math.abs(value).toFixed(1)}`;
}

const changeClass = (value) => (value > 0 ? "up" : value < 0 ? "down" : "");

const formatUTC = (date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;

// "14:00 UTC" today, "27 Nov 14:00 UTC" on another day.
function formatShortUTC(date) {
  const time = date.toISOString().slice(11, 16);
  if (date.toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10)) {
    return `${time} UTC`;
  }
  const day = date.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
  return `${day} ${time} UTC`;
}

function formatAgo(date) {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (Math.abs(seconds) < 60) return "just now";
  const units = [["day", 86400], ["h", 3600], ["min", 60]];
  const [unit, size] = units.find(([, size]) => Math.abs(seconds) >= size);
  const count = Math.floor(Math.abs(seconds) / size);
  const label = unit === "day" && count !== 1 ? "days" : unit;
  return seconds > 0 ? `${count} ${label} ago` : `in ${count} ${label}`;
}

// -- the chart --------------------------------------------------------------------------

let chart = null;
let chartData = [[], [], [], []]; // [unix seconds], [24h index], [its 90 % low], [its 90 % high]
let historyRequest = 0;

function select(subject) {
  state.selected = subject;
  $("chart-subject").textContent = subject.label;
  loadHistory();
  scheduleRender();
}

async function loadHistory() {
  const subject = state.selected;
  const panel = $("chart-panel");
  if (!subject || !state.historyRoute[subject.kind] || !window.uPlot) {
    panel.hidden = true;
    return;
  }
  const request = ++historyRequest;
  const path =
    subject.kind === "actor"
      ? `actors/${encodeURIComponent(subject.key)}/history?window=24h`
      : `dyads/${subject.key.split("|").map(encodeURIComponent).join("/")}/history?window=24h`;
  const reply = await getJSON(path);
  if (request !== historyRequest) return; // a newer selection won
  if (reply.status === 404) {
    // No history for this subject, or (generic "Not Found") no history route at all.
    if (routeMissing(reply)) state.historyRoute[subject.kind] = false;
    panel.hidden = true;
    return;
  }
  if (reply.status !== 200) return; // keep what is drawn; the next refresh retries
  const points = (reply.body.points ?? []).filter((p) => p.as_of);
  const number = (value) => (typeof value === "number" ? value : null);
  // x, the index, and the bounds of its 90 % interval (null before intervals existed).
  chartData = [
    points.map((p) => Date.parse(p.as_of) / 1000),
    points.map((p) => number(p.index)),
    points.map((p) => number(p.low)),
    points.map((p) => number(p.high)),
  ];
  panel.hidden = false;
  $("chart-note").textContent = points.length ? "" : "No history yet for this subject.";
  drawChart();
}

// Time-axis labels in UTC, 24-hour: "16:00", or the day ("25 Nov") at midnight.
function axisTime(seconds) {
  const date = new Date(seconds * 1000);
  const time = date.toISOString().slice(11, 16);
  if (time !== "00:00") return time;
  return date.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
}

function addChartPoint(asOf, index, low = null, high = null) {
  if (!chart || !asOf) return;
  const x = Date.parse(asOf) / 1000;
  const [xs, ys, lows, highs] = chartData;
  if (xs.length && x < xs.at(-1)) return;
  if (xs.length && x === xs.at(-1)) {
    ys[ys.length - 1] = index;
    lows[lows.length - 1] = low;
    highs[highs.length - 1] = high;
  } else {
    xs.push(x);
    ys.push(index);
    lows.push(low);
    highs.push(high);
  }
  chart.setData(chartData);
}

function drawChart() {
  const host = document.getElementById("chart");
  const width = Math.max(host.clientWidth, 300);
  if (chart) {
    chart.setData(chartData);
    return;
  }
  chart = new window.uPlot(
    {
      width,
      height: 240,
      scales: { x: { time: true }, y: { range: [0, 100] } },
      tzDate: (seconds) => window.uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      axes: [{ values: (u, splits) => splits.map(axisTime) }, { label: "index", size: 50 }],
      series: [
        { label: "time (UTC)" },
        // Points always drawn: an hour with statements between empty hours has no line.
        { label: "24h index", stroke: "#c0392b", width: 2, points: { show: true, size: 4 } },
        { label: "90 % low", stroke: "rgba(192, 57, 43, 0.25)", width: 1, points: { show: false } },
        { label: "90 % high", stroke: "rgba(192, 57, 43, 0.25)", width: 1, points: { show: false } },
      ],
      // The interval as a band between its bounds: how sure the index is, hour by hour.
      bands: [{ series: [3, 2], fill: "rgba(192, 57, 43, 0.12)" }],
      legend: { live: true },
    },
    chartData,
    host,
  );
  new ResizeObserver(() => chart.setSize({ width: Math.max(host.clientWidth, 300), height: 240 })).observe(host);
}

// -- start ------------------------------------------------------------------------------

setMode("connecting");
setInterval(() => scheduleRender(), 30000); // keep the "… ago" texts fresh
loadSnapshot().then(connect);

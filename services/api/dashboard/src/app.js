// Détente live dashboard: tables, a chart and alerts, kept current from the API's SSE stream.
//
// Everything comes from the JSON API of the page's own server (docs/api.md). The page starts
// from a snapshot (/v1/actors, /v1/dyads, /v1/global, /v1/movers, /v1/alerts), then applies
// `index` and `alert` events from /v1/stream. While the stream is down (or the server has no
// stream) it polls the snapshot instead. Optional endpoints that answer 404 hide their panel.
//
// Modules: api.js (fetching), state.js (what the page knows), lists.js (tables, movers,
// alerts), chart.js (the history chart), subject.js (the selected subject's figures and
// directions), search.js (the search box), articles.js (the articles behind a picked hour).

import { API, getJSON, items, pairPath, routeMissing } from "./api.js";
import { hideArticles, showArticles } from "./articles.js";
import { addChartPoint, drawChart } from "./chart.js";
import { $ } from "./format.js";
import { flashKeys, onRowSelect, scheduleRender } from "./lists.js";
import { initSearch, setChoices } from "./search.js";
import {
  MAX_ALERTS,
  POLL_MS,
  TOP_MOVERS,
  actorFromBody,
  dyadFromBody,
  figures,
  nameOf,
  pairLabel,
  ranked,
  state,
} from "./state.js";
import { loadFigures } from "./subject.js";

const LIVE_REFRESH_MS = 60000; // snapshot refresh while live (movers and Δ are not streamed)
const STREAM_RETRY_MS = 30000; // reopen a stream the server refused (e.g. 404, 503)
const FIGURES_DELAY_MS = 1000; // reload the selected subject's figures at most this often
const COLORS = { pair: "#c0392b", forward: "#2c5282", backward: "#b7791f" };

// -- applying stream events -------------------------------------------------------------

// An `index` event carries an index update of the worker (subject, subject_kind, actors,
// windows, as_of, …); an API body (`actor` or `actors` + `names`) is accepted too.
function applyIndex(update) {
  const kind = update.subject_kind ?? (update.actor ? "actor" : update.actors ? "dyad" : "global");
  const now = figures(update);
  let key;
  if (kind === "actor") {
    const id = update.actor ?? update.actors[0];
    const previous = state.actors.get(id);
    state.actors.set(id, { id, name: update.name ?? previous?.name ?? id, ...now, change: previous?.change ?? null });
    if (!previous && !update.name) fetchActorName(id);
    key = id;
  } else if (kind === "dyad") {
    const row = dyadFromBody(update);
    state.dyads.set(row.key, { ...row, ...now });
    key = row.key;
  } else if (kind === "directed") {
    // One direction of a pair (actors: from, to): only the selected pair's chart shows it.
    key = update.actors.join(">");
  } else {
    state.global = { index: now.index, asOf: now.asOf };
  }
  noteChange();
  const selected = state.selected;
  if (selected && kind === "directed" && selected.kind === "dyad" && [...update.actors].sort().join("|") === selected.key) {
    addChartPoint(key, now.asOf, now.index);
    refreshFigures();
  } else if (selected && selected.kind === kind && selected.key === key) {
    addChartPoint(key, now.asOf, now.index, now.low, now.high);
    refreshFigures();
  }
  if (kind !== "directed") scheduleRender(kind === "global" ? null : `${kind}:${key}`);
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

  if (!state.loaded) loadChoices();
  if (!state.selected && state.actors.size) {
    const top = ranked(state.actors)[0];
    select({ kind: "actor", key: top.id, label: top.name });
  } else if (state.selected && state.mode !== "live") {
    loadHistory(); // no stream to extend the chart: reload it with the snapshot
    refreshFigures();
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

// Every actor and pair for the search box (the lists above hold only the top ones).
async function loadChoices() {
  const [actors, dyads] = await Promise.all([
    getJSON("actors?sort=name&limit=1000"),
    getJSON("dyads?sort=name&limit=1000"),
  ]);
  const actorBodies = actors.status === 200 ? items(actors.body) : [];
  const dyadRows = dyads.status === 200 ? items(dyads.body).map(dyadFromBody) : [];
  const known = new Map(actorBodies.map((b) => [b.actor, b.name ?? b.actor]));
  for (const row of state.actors.values()) if (!known.has(row.id)) known.set(row.id, row.name);
  const pairs = new Map(dyadRows.map((row) => [row.key, row]));
  for (const row of state.dyads.values()) if (!pairs.has(row.key)) pairs.set(row.key, row);
  setChoices(
    [...known].map(([id, name]) => ({ kind: "actor", key: id, label: name, ids: [id] })),
    [...pairs.values()].map((row) => ({ kind: "dyad", key: row.key, label: pairLabel(row), ids: row.actors })),
  );
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

// -- the selected subject: figures, chart, articles -------------------------------------

let historyRequest = 0;
let figuresTimer = null;

function select(subject) {
  state.selected = subject;
  $("chart-subject").textContent = subject.label;
  $("subject-figures").textContent = "";
  $("directions").replaceChildren();
  hideArticles();
  loadFigures(subject);
  loadHistory();
  scheduleRender();
}

function refreshFigures() {
  if (figuresTimer) return;
  figuresTimer = setTimeout(() => {
    figuresTimer = null;
    if (state.selected) loadFigures(state.selected);
  }, FIGURES_DELAY_MS);
}

// The series of a subject: its own index (with its interval), and for a pair each direction.
function seriesOf(subject) {
  const base = (path) => `${path}/history?window=24h`;
  if (subject.kind === "actor") {
    const path = base(`actors/${encodeURIComponent(subject.key)}`);
    return [{ key: subject.key, label: "24h index", color: COLORS.pair, band: true, path }];
  }
  const [a, b] = subject.key.split("|");
  const direction = (from, to, color) => ({
    key: `${from}>${to}`,
    label: `${nameOf(from)} → ${nameOf(to)}`,
    color,
    band: false,
    path: `${base(`dyads/${pairPath([from, to])}`)}&directed=true`,
  });
  return [
    { key: subject.key, label: "pair, 24h index", color: COLORS.pair, band: true, path: base(`dyads/${pairPath([a, b])}`) },
    direction(a, b, COLORS.forward),
    direction(b, a, COLORS.backward),
  ];
}

async function loadHistory() {
  const subject = state.selected;
  const panel = $("chart-panel");
  if (!subject || !state.historyRoute[subject.kind] || !window.uPlot) {
    panel.hidden = true;
    return;
  }
  const request = ++historyRequest;
  const series = seriesOf(subject);
  const replies = await Promise.all(series.map((s) => getJSON(s.path)));
  if (request !== historyRequest) return; // a newer selection won
  const [main] = replies;
  if (routeMissing(main)) {
    state.historyRoute[subject.kind] = false; // no history route at all
    panel.hidden = true;
    return;
  }
  // A series without history (404: no index for it, e.g. a direction nobody took) is empty.
  if (replies.some((reply) => reply.status !== 200 && reply.status !== 404)) return; // retry later
  const histories = replies.map((reply) => (reply.status === 200 ? reply.body.points ?? [] : []));
  panel.hidden = false;
  const none = histories.every((points) => !points.length);
  $("chart-note").textContent = none
    ? "No history yet for this subject."
    : "Click a point (or focus the chart and use ← →) to list the articles of that hour.";
  const specs = series.map(({ path, ...spec }) => spec);
  drawChart(document.getElementById("chart"), specs, histories, pickHour);
}

// The articles behind an hour of the chart: of the actor, or of the pair and its directions.
function pickHour(end) {
  const subject = state.selected;
  if (!subject) return;
  const subjects =
    subject.kind === "actor"
      ? [`actor:${subject.key}`]
      : [`dyad:${subject.key}`, ...seriesOf(subject).slice(1).map((s) => `dyad:${s.key}`)];
  showArticles(subjects, subject.label, end);
}

// -- start ------------------------------------------------------------------------------

onRowSelect(select);
initSearch(select, loadChoices);
setMode("connecting");
setInterval(() => scheduleRender(), 30000); // keep the "… ago" texts fresh
loadSnapshot().then(connect);

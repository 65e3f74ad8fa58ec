// The lists of the page (top actors, top pairs, movers, alerts) and its status line, drawn
// from `state`. Each index shows beside it the evidence behind it.

import {
  $,
  cell,
  changeClass,
  el,
  formatChange,
  formatEvidence,
  formatIndex,
  formatInterval,
  indexCell,
  setTime,
  timeCell,
  timeEl,
} from "./format.js";
import { TOP_ACTORS, TOP_DYADS, TOP_MOVERS, nameOf, pairLabel, ranked, state } from "./state.js";

let renderPending = false;
export const flashKeys = new Set();
let onSelect = () => {};

/** Rows call `select(subject)` when chosen. */
export function onRowSelect(select) {
  onSelect = select;
}

export function scheduleRender(flashKey) {
  if (flashKey) flashKeys.add(flashKey);
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    render();
    flashKeys.clear();
  });
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
        indexCell(row.index, "actor-index", row.low, row.high),
        cell(formatChange(row.change), "actor-change", `num ${changeClass(row.change)}`),
        ...evidenceCells(row, "actor"),
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
      const label = pairLabel(row);
      const tr = selectableRow({ kind: "dyad", key: row.key, label }, "dyad-row");
      tr.dataset.dyad = row.key;
      tr.append(
        cell(label, "dyad-name"),
        indexCell(row.index, "dyad-index", row.low, row.high),
        ...evidenceCells(row, "dyad"),
        timeCell(row.asOf),
      );
      return tr;
    }),
  );
  $("dyads-empty").hidden = rows.length > 0;
}

// The evidence beside a row's index: statements and articles in its 24 h window.
const evidenceCells = (row, kind) => [
  cell(String(row.statements), `${kind}-statements`, "num"),
  cell(row.articles === null ? "–" : String(row.articles), `${kind}-articles`, "num"),
];

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
        if (typeof item.statements === "number") {
          li.append(el("span", formatEvidence(item.statements, item.articles), "evidence"));
        }
        if (typeof item.index === "number") {
          const interval = typeof item.low === "number" ? ` (90 %: ${formatInterval(item.low, item.high)})` : "";
          li.title = `now ${formatIndex(item.index)}${interval}, was ${formatIndex(item.previous)}`;
        }
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
  tr.addEventListener("click", () => onSelect(subject));
  tr.addEventListener("keydown", (event) => event.key === "Enter" && onSelect(subject));
  return tr;
}

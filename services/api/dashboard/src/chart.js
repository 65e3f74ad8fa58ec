// The history chart: one or more series of the 24 h index (a subject; for a pair also each
// direction), the first with its 90 % interval as a band. A click on the chart (or the arrow
// keys while it has focus) picks the nearest hour and hands it to `onPick`.

import { axisTime } from "./format.js";

const HEIGHT = 240;
const BAND_FILL = "rgba(192, 57, 43, 0.12)";
const BOUND_STROKE = "rgba(192, 57, 43, 0.25)";

let chart = null;
let host = null;
let specs = []; // [{key, label, color, band}]
let points = []; // per spec: Map(unix seconds -> [index, low, high])
let xs = [];
let picked = null; // index into xs of the picked hour
let onPick = () => {};

const number = (value) => (typeof value === "number" ? value : null);

// Every series on the union of their hours; a series without a value there has a gap.
function columns() {
  const all = new Set();
  for (const series of points) for (const x of series.keys()) all.add(x);
  xs = [...all].sort((a, b) => a - b);
  const data = [xs];
  specs.forEach((spec, i) => {
    const value = (x, field) => points[i].get(x)?.[field] ?? null;
    data.push(xs.map((x) => value(x, 0)));
    if (spec.band) data.push(xs.map((x) => value(x, 1)), xs.map((x) => value(x, 2)));
  });
  return data;
}

function options(width) {
  const series = [{ label: "time (UTC)" }];
  const bands = [];
  for (const spec of specs) {
    // Points always drawn: an hour with statements between empty hours has no line.
    series.push({ label: spec.label, stroke: spec.color, width: 2, points: { show: true, size: 5 } });
    if (spec.band) {
      const low = series.length;
      series.push({ label: "90 % low", stroke: BOUND_STROKE, width: 1, points: { show: false } });
      series.push({ label: "90 % high", stroke: BOUND_STROKE, width: 1, points: { show: false } });
      // The interval as a band between its bounds: how sure the index is, hour by hour.
      bands.push({ series: [low + 1, low], fill: BAND_FILL });
    }
  }
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: true }, y: { range: [0, 100] } },
    tzDate: (seconds) => window.uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
    axes: [{ values: (u, splits) => splits.map(axisTime) }, { label: "index", size: 50 }],
    series,
    bands,
    legend: { live: true },
  };
}

const width = () => Math.max(host.clientWidth, 300);

/** Draws `history` (per spec, the API's points) in `target`, replacing what was drawn. */
export function drawChart(target, newSpecs, histories, pick) {
  host = target;
  onPick = pick;
  const sameSeries = JSON.stringify(newSpecs) === JSON.stringify(specs);
  specs = newSpecs;
  points = histories.map(
    (history) =>
      new Map(
        history
          .filter((p) => p.as_of)
          .map((p) => [Date.parse(p.as_of) / 1000, [number(p.index), number(p.low), number(p.high)]]),
      ),
  );
  picked = null;
  if (chart && sameSeries) {
    chart.setData(columns());
    return;
  }
  chart?.destroy();
  chart = new window.uPlot(options(width()), columns(), host);
  chart.over.addEventListener("click", () => {
    const idx = chart.cursor.idx;
    if (idx === null || idx === undefined) return;
    // The nearest hour with a value: most hours of a young subject are empty, a few pixels
    // apart, and a click on a point must not land on the empty hour beside it.
    const near = [...xs.keys()].filter(hasValue).sort((a, b) => Math.abs(a - idx) - Math.abs(b - idx));
    if (near.length) pickAt(near[0]);
  });
  if (!host.dataset.ready) {
    host.dataset.ready = "true";
    new ResizeObserver(() => chart?.setSize({ width: width(), height: HEIGHT })).observe(host);
    host.addEventListener("keydown", onKey);
  }
}

export const hasChart = () => chart !== null;

/** A live value of one series (`key` of its spec) at `asOf`. */
export function addChartPoint(key, asOf, index, low = null, high = null) {
  const at = specs.findIndex((spec) => spec.key === key);
  if (!chart || at < 0 || !asOf) return;
  points[at].set(Date.parse(asOf) / 1000, [number(index), number(low), number(high)]);
  chart.setData(columns());
}

function pickAt(idx) {
  picked = Math.max(0, Math.min(idx, xs.length - 1));
  host.dataset.picked = String(xs[picked]);
  chart.setCursor({ left: chart.valToPos(xs[picked], "x"), top: HEIGHT / 4 });
  onPick(xs[picked]);
}

// Whether any series has a value at the hour `idx`.
const hasValue = (idx) => points.some((series) => typeof series.get(xs[idx])?.[0] === "number");

// Keyboard: ← and → pick the hour with a value before or after; Enter the latest one.
function onKey(event) {
  if (!chart || !["ArrowLeft", "ArrowRight", "Enter"].includes(event.key)) return;
  event.preventDefault();
  const filled = [...xs.keys()].filter(hasValue);
  if (!filled.length) return;
  let idx = filled.at(-1);
  if (picked !== null && event.key === "ArrowLeft") idx = filled.filter((i) => i < picked).at(-1) ?? filled[0];
  if (picked !== null && event.key === "ArrowRight") idx = filled.find((i) => i > picked) ?? idx;
  pickAt(idx);
}

// DOM helpers and how numbers, times and evidence read on the page.

export const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

export function el(tag, text = "", className = "") {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function cell(text, testid, className = "") {
  const td = el("td", text, className);
  td.dataset.testid = testid;
  return td;
}

// The index as a number and a meter: green when conciliatory, red when hardline; its 90 %
// interval in the tooltip.
export function indexCell(index, testid, low = null, high = null) {
  const td = cell("", testid, "num index");
  const meter = el("meter");
  Object.assign(meter, { min: 0, max: 100, low: 40, high: 60, optimum: 0, value: index ?? 0 });
  td.append(el("span", formatIndex(index)), meter);
  if (typeof low === "number" && typeof high === "number") td.title = `90 % interval ${formatInterval(low, high)}`;
  return td;
}

export function timeCell(iso) {
  const td = el("td");
  td.append(timeEl(iso));
  return td;
}

export function timeEl(iso) {
  const node = el("time");
  setTime(node, iso, "short");
  return node;
}

// Index times (`as_of`) end the clock hour of the subject's latest article, so they can lie
// a little ahead of now: they are shown as times, not as "… ago". Wall-clock times of the
// page itself are shown with how long ago they were.
export function setTime(node, iso, style = "full") {
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

export const formatIndex = (value) => (typeof value === "number" ? value.toFixed(1) : "–");

export const formatInterval = (low, high) => `${formatIndex(low)}–${formatIndex(high)}`;

export function formatChange(value) {
  if (typeof value !== "number") return "–";
  return `${value > 0 ? "+" : value < 0 ? "−" : "±"}${Math.abs(value).toFixed(1)}`;
}

export const changeClass = (value) => (value > 0 ? "up" : value < 0 ? "down" : "");

const plural = (count, one) => `${count} ${one}${count === 1 ? "" : "s"}`;

// "41 statements · 9 articles" (articles only when the body has them).
export function formatEvidence(statements, articles) {
  const parts = [plural(statements ?? 0, "statement")];
  if (typeof articles === "number") parts.push(plural(articles, "article"));
  return parts.join(" · ");
}

// A window's figure with its evidence: "60.0 (24.9–90.2) · 1 statement · 1 article".
export function formatFigure(window) {
  if (!window || typeof window.index !== "number") return `– · ${formatEvidence(0, window?.articles)}`;
  const interval =
    typeof window.low === "number" && typeof window.high === "number"
      ? ` (${formatInterval(window.low, window.high)})`
      : "";
  return `${formatIndex(window.index)}${interval} · ${formatEvidence(window.statements, window.articles)}`;
}

export const formatUTC = (date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;

// "14:00 UTC" today, "27 Nov 14:00 UTC" on another day.
export function formatShortUTC(date) {
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

// Time-axis labels in UTC, 24-hour: "16:00", or the day ("25 Nov") at midnight.
export function axisTime(seconds) {
  const date = new Date(seconds * 1000);
  const time = date.toISOString().slice(11, 16);
  if (time !== "00:00") return time;
  return date.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
}

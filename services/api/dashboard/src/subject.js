// The selected subject's figures: its 24 h index with interval and evidence, and for a pair
// what each side does toward the other (`directions` of /v1/dyads/{a}/{b}).

import { getJSON, pairPath } from "./api.js";
import { $, el, formatFigure } from "./format.js";

const WINDOW = "24h";
let request = 0;

/** Loads and shows the figures of `subject`; resolves to its directions ([] for an actor). */
export async function loadFigures(subject) {
  const mine = ++request;
  const path =
    subject.kind === "actor"
      ? `actors/${encodeURIComponent(subject.key)}`
      : `dyads/${pairPath(subject.key.split("|"))}`;
  const reply = await getJSON(path);
  if (mine !== request) return null; // a newer selection won
  if (reply.status !== 200) {
    $("subject-figures").textContent = "";
    $("directions").replaceChildren();
    return [];
  }
  showFigures(reply.body);
  return reply.body.directions ?? [];
}

export function showFigures(body) {
  const figures = $("subject-figures");
  figures.textContent = `${WINDOW} index ${formatFigure(body.windows?.[WINDOW])}`;
  const directions = body.directions ?? [];
  $("directions").replaceChildren(...directions.map(directionItem));
}

// "Russia → Ukraine 78.0 (62.0–88.0) · 41 statements · 9 articles".
function directionItem(direction) {
  const li = el("li", "", "direction");
  li.dataset.testid = "direction";
  li.dataset.source = direction.source;
  li.dataset.target = direction.target;
  const [source, target] = direction.names ?? [direction.source, direction.target];
  li.append(
    el("span", `${source} → ${target}`, "who"),
    el("span", formatFigure(direction.windows?.[WINDOW]), "figure"),
  );
  return li;
}

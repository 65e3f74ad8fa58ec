// The search box: an input with a datalist of every actor and pair the API knows. Picking a
// suggestion, or typing a name or id and pressing Enter, opens that subject's chart.

import { $, el } from "./format.js";

let choices = []; // [{kind, key, label, ids}]
let onChoose = () => {};

/** Wires the box; `refresh` is called (at most every 30 s) when the box gets focus. */
export function initSearch(choose, refresh) {
  onChoose = choose;
  const input = $("search");
  let refreshed = 0;
  input.addEventListener("focus", () => {
    if (Date.now() - refreshed > 30000) {
      refreshed = Date.now();
      refresh();
    }
  });
  // A suggestion picked from the list replaces the text at once: open it.
  input.addEventListener("input", (event) => {
    $("search-note").textContent = "";
    if (event.inputType && event.inputType !== "insertReplacementText") return;
    const exact = find(input.value, true);
    if (exact) choose(exact);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const found = find(input.value, false);
    if (found) choose(found);
    else if (input.value.trim()) $("search-note").textContent = `No actor or pair matches “${input.value.trim()}”.`;
  });
}

/** Replaces the suggestions: actors first, then pairs, each by label. */
export function setChoices(actors, pairs) {
  const byLabel = (a, b) => a.label.localeCompare(b.label);
  choices = [...actors.sort(byLabel), ...pairs.sort(byLabel)];
  $("search-options").replaceChildren(
    ...choices.map((choice) => {
      const option = el("option");
      option.value = choice.label;
      option.label = choice.kind === "actor" ? choice.key : `pair ${choice.ids.join(" · ")}`;
      return option;
    }),
  );
}

const fold = (text) => text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();

// An exact label or id ("russia", "ukraine|russia"); else, unless `exactOnly`, the first
// whose label or id contains the text (an actor before a pair).
function find(text, exactOnly) {
  const query = fold(text);
  if (!query) return null;
  const sortedIds = query.split(/\s*[|–/]\s*/).sort().join("|");
  const exact = choices.find((c) => fold(c.label) === query || c.key === query || c.key === sortedIds);
  if (exact || exactOnly) return exact ?? null;
  return choices.find((c) => fold(c.label).includes(query) || c.key.includes(query)) ?? null;
}

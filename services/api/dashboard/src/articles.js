// The articles behind a picked hour of the chart: those that add to the selected subject
// (GET /v1/articles?subject=…&since=…&until=…), each with the evidence sentences of the
// actors whose statements count toward it.

import { getJSON, items, routeMissing } from "./api.js";
import { $, el, formatUTC, timeEl } from "./format.js";
import { nameOf } from "./state.js";

const HOUR = 3600;
const LIMIT = 50;
let request = 0;
let routeKnownMissing = false;

const hourLabel = (end) =>
  `${formatUTC(new Date((end - HOUR) * 1000))} – ${formatUTC(new Date(end * 1000)).slice(11)}`;

/** Lists the articles of `subjects` (API subject strings) in the hour ending at `end`. */
export async function showArticles(subjects, label, end) {
  const panel = $("articles-panel");
  const list = $("articles");
  const note = $("articles-note");
  panel.hidden = false;
  $("articles-hour").textContent = `${label}, ${hourLabel(end)}`;
  if (routeKnownMissing) {
    list.replaceChildren();
    note.textContent = "This API cannot list articles yet.";
    return;
  }
  const mine = ++request;
  const query = new URLSearchParams(subjects.map((s) => ["subject", s]));
  query.set("since", new Date((end - HOUR) * 1000).toISOString());
  query.set("until", new Date(end * 1000).toISOString());
  query.set("limit", String(LIMIT));
  note.textContent = "Loading…";
  const reply = await getJSON(`articles?${query}`);
  if (mine !== request) return; // a newer pick won
  if (routeMissing(reply) || reply.status === 405) routeKnownMissing = true;
  if (reply.status !== 200) {
    list.replaceChildren();
    note.textContent = routeKnownMissing
      ? "This API cannot list articles yet."
      : "The articles could not be loaded; pick the hour again.";
    return;
  }
  const found = items(reply.body);
  list.replaceChildren(...found.map(articleItem));
  const total = reply.body.total ?? found.length;
  note.textContent = !found.length
    ? "No article of this hour is still held for it (the API keeps articles for a limited time)."
    : total > found.length
      ? `The newest ${found.length} of ${total} articles.`
      : "";
}

export function hideArticles() {
  request++;
  $("articles-panel").hidden = true;
  $("articles").replaceChildren();
}

function articleItem(article) {
  const li = el("li", "", "article");
  li.dataset.testid = "article-item";
  li.dataset.article = article.id;
  const head = el("div", "", "article-head");
  head.append(timeEl(article.published_at), el("strong", article.title || article.id));
  li.append(head);
  // The actors that count toward the subject; any others of the article are left aside.
  const counted = new Set(article.counted ?? article.actors.map((a) => a.actor));
  const stances = article.actors.filter((a) => counted.has(a.actor));
  const others = article.actors.length - stances.length;
  // Targets are ids; the article names them among its actors, else the page's lists do.
  const names = new Map([...(article.mentioned ?? []), ...article.actors].map((a) => [a.actor, a.name]));
  const name = (id) => names.get(id) ?? nameOf(id);
  for (const stance of stances) {
    const who = el("div", "", "stance");
    who.dataset.testid = "article-stance";
    who.dataset.actor = stance.actor;
    const verdict = el("span", stance.stance, `verdict ${stance.stance}`);
    verdict.title = `p(hardline) ${stance.p_hardline.toFixed(2)}, p(own stance) ${(stance.p_stance ?? 1).toFixed(2)}`;
    const toward = stance.targets?.length ? ` toward ${stance.targets.map(name).join(", ")}` : "";
    who.append(el("span", `${stance.name}${toward}: `, "who"), verdict);
    const sentences = el("ul", "", "evidence");
    for (const sentence of stance.evidence ?? []) {
      const item = el("li", sentence);
      item.dataset.testid = "evidence";
      sentences.append(item);
    }
    who.append(sentences);
    li.append(who);
  }
  if (others > 0) li.append(el("p", `${others} other actor${others === 1 ? "" : "s"} in the article not counted here.`, "note"));
  // Stance records arrive one actor at a time: say so while some are still on their way.
  if (article.complete === false) {
    const arriving = el("p", "Classified just now: more of its stances are still arriving.", "note");
    arriving.dataset.testid = "article-incomplete";
    li.append(arriving);
  }
  return li;
}

// What the page knows, shared by its modules: rows of the lists, alerts, the selection.

export const TOP_ACTORS = 10;
export const TOP_DYADS = 8;
export const TOP_MOVERS = 5;
export const MAX_ALERTS = 30;
export const POLL_MS = 5000; // snapshot refresh while the stream is down

export const state = {
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

export const nameOf = (id) => state.actors.get(id)?.name ?? id;

const window24 = (windows) => windows?.["24h"] ?? {};
// Rows rank by the lower bound of the 24 h index's interval, as the API's lists do: steady
// evidence above a lucky statement or two. Records from before intervals rank by the index.
const lowOf = (windows, index) => window24(windows).low ?? index;

// The 24 h figures of an API body or a stream update: index, interval and evidence.
export function figures(body) {
  const day = window24(body.windows);
  const index = day.index ?? body.index ?? null;
  return {
    index,
    low: lowOf(body.windows, index),
    high: day.high ?? null,
    statements: day.statements ?? body.statements ?? 0,
    articles: day.articles ?? null,
    asOf: body.as_of ?? null,
  };
}

export function actorFromBody(body) {
  return {
    id: body.actor,
    name: body.name ?? body.actor,
    ...figures(body),
    change: typeof body.change === "number" ? body.change : body.change?.index ?? null,
  };
}

export function dyadFromBody(body) {
  const actors = [...body.actors].sort();
  return {
    key: actors.join("|"),
    actors,
    names: body.names ?? actors.map(nameOf),
    ...figures(body),
  };
}

export function ranked(map) {
  const key = (row) => row.id ?? row.key;
  return [...map.values()].sort(
    (a, b) =>
      (a.low === null) - (b.low === null) ||
      (b.low ?? 0) - (a.low ?? 0) ||
      key(a).localeCompare(key(b)),
  );
}

export const pairLabel = (row) =>
  row.actors.map((id, i) => state.actors.get(id)?.name ?? row.names[i] ?? id).join(" – ");

// The JSON API of the page's own server (docs/api.md), relative to the page's base
// (/dashboard → /v1/...).

export const API = "v1";

export async function getJSON(path) {
  try {
    const response = await fetch(`${API}/${path}`, { headers: { Accept: "application/json" } });
    const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
    return { status: response.status, body };
  } catch (error) {
    return { status: 0, body: null, error };
  }
}

export const items = (body) => (Array.isArray(body) ? body : body?.items ?? []);

// A 404 whose detail is FastAPI's generic "Not Found" means the route itself is missing.
export const routeMissing = (reply) => reply.status === 404 && reply.body?.detail === "Not Found";

// Path segments of a subject: an actor id, or a pair "a|b" as "a/b" (either order).
export const pairPath = (ids) => ids.map(encodeURIComponent).join("/");

// Builds the dashboard into the API package: our own files from src/ (HTML, CSS and the ES
// modules of the page) plus uPlot's distribution files from node_modules (installed by
// `npm ci` from the committed lock file).
// Nothing is fetched at run time: the API serves this folder as it is.
//
//   npm ci && npm run build     → ../src/detente_api/static/dashboard/ (git-ignored)

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "detente_api", "static", "dashboard");
const uplot = join(here, "node_modules", "uplot");

if (!existsSync(join(uplot, "dist"))) {
  console.error("uplot is not installed: run `npm ci` in services/api/dashboard first");
  process.exit(1);
}

// Our ES modules go as they are (the browser loads app.js and what it imports, all from
// assets/): no bundler needed.
const modules = readdirSync(join(here, "src")).filter((name) => name.endsWith(".js"));
const copies = [
  [join(here, "src", "index.html"), join(out, "index.html")],
  ...modules.map((name) => [join(here, "src", name), join(out, "assets", name)]),
  [join(here, "src", "style.css"), join(out, "assets", "style.css")],
  [join(uplot, "dist", "uPlot.iife.min.js"), join(out, "assets", "vendor", "uPlot.iife.min.js")],
  [join(uplot, "dist", "uPlot.min.css"), join(out, "assets", "vendor", "uPlot.min.css")],
  // uPlot is MIT-licensed: its notice travels with the copy.
  [join(uplot, "LICENSE"), join(out, "assets", "vendor", "uPlot.LICENSE.txt")],
];

rmSync(out, { recursive: true, force: true });
for (const [from, to] of copies) {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
}
const uplotVersion = JSON.parse(readFileSync(join(uplot, "package.json"), "utf8")).version;
const manifest = { built_at: new Date().toISOString(), uplot: uplotVersion };
writeFileSync(join(out, "build.json"), `${JSON.stringify(manifest, null, 2)}\n`);
// Build output, never committed, whatever the repository's own ignore files say.
writeFileSync(join(out, ".gitignore"), "*\n");
console.log(`dashboard built into ${out} (uPlot ${uplotVersion})`);

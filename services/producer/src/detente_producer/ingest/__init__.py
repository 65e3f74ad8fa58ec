"""`detente-ingest`: polls RSS/Atom feeds, fetches each new item's page politely, extracts
its main text and sends it to `articles` as an article event (docs/ingest.md).

Modules, one concern each: `settings` (environment), `feeds` (the TOML of feeds), `urls`
(canonical URLs and article ids), `politeness` (per-host pacing, robots.txt), `fetch` (HTTP),
`extract` (feed items and page text), `language`, `state` (what was sent, in a compacted
topic), `metrics`, `failures` (log once per change), `service` (the polling loop), `cli`.
"""

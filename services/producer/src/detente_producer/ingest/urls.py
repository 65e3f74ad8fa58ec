"""Canonical URLs and the article ids made from them.

One story reached through two feeds, with tracking parameters, another scheme or a
fragment, must get one id: the worker counts an id once, so the id is what deduplicates.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that say who sent the reader, not which page it is.
_TRACKING = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref", "cmpid"}
_TRACKING_PREFIXES = ("utm_", "at_", "itm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
ID_PREFIX = "web-"


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING or lowered.startswith(_TRACKING_PREFIXES)


def normalise_url(url: str) -> str:
    """The URL as the id sees it: lower-case host, no default port, no fragment, no
    tracking parameters, the others sorted, `/` for an empty path."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True))
    kept = urlencode([(k, v) for k, v in query if not _is_tracking(k)])
    return urlunsplit((scheme, host, parts.path or "/", kept, ""))


def article_id(url: str) -> str:
    """`web-` and 24 hex digits of the SHA-256 of the normalised URL without its scheme
    (http and https copies of a page are one story)."""
    normalised = normalise_url(url).split("://", 1)[-1]
    return ID_PREFIX + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:24]


def host_of(url: str) -> str:
    """scheme://host[:port], the unit of politeness (pacing and robots.txt)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"

"""GET /dashboard and its assets, from a bundle folder made here (no npm needed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from detente_api.routes import dashboard

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD_SRC = ROOT / "services" / "api" / "dashboard" / "src"


@pytest.fixture
def dashboard_client(make_client: Callable[..., TestClient]) -> TestClient:
    client = make_client()
    app = client.app
    if not any(getattr(r, "path", None) == "/dashboard" for r in app.routes):  # type: ignore[attr-defined]
        app.include_router(dashboard.router)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "dashboard"
    (root / "assets" / "vendor").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>Détente</title>", encoding="utf-8")
    (root / "assets" / "app.js").write_text("export {};\n")
    (root / "assets" / "style.css").write_text("body {}\n")
    (root / "assets" / "vendor" / "lib.min.js").write_text("var lib;\n")
    (root / "assets" / "vendor" / "LICENSE.txt").write_text("MIT\n")
    (tmp_path / "secret.txt").write_text("outside the bundle\n")
    monkeypatch.setattr(dashboard, "BUNDLE_DIR", root)
    return root


def test_the_page_is_served_with_a_policy_that_keeps_it_on_this_server(dashboard_client, bundle):
    response = dashboard_client.get("/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Détente" in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert response.headers["cache-control"] == "no-cache"


def test_the_page_with_a_trailing_slash_redirects_to_the_page(dashboard_client, bundle):
    # The page's links are relative to /dashboard, so /dashboard/ must not serve it as is.
    response = dashboard_client.get("/dashboard/", follow_redirects=False)
    assert response.status_code in (307, 308)
    assert response.headers["location"].endswith("/dashboard")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("vendor/lib.min.js", "text/javascript; charset=utf-8"),
        ("vendor/LICENSE.txt", "text/plain; charset=utf-8"),
    ],
)
def test_assets_have_their_content_types(dashboard_client, bundle, path, content_type):
    response = dashboard_client.get(f"/dashboard/assets/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == (bundle / "assets" / path).read_bytes()


@pytest.mark.parametrize(
    "path",
    ["missing.js", "vendor", "../index.html", "..%2Findex.html", "..%2F..%2Fsecret.txt"],
)
def test_nothing_outside_the_assets_folder_is_served(dashboard_client, bundle, path):
    response = dashboard_client.get(f"/dashboard/assets/{path}")
    assert response.status_code == 404
    assert "outside the bundle" not in response.text


def test_a_missing_bundle_is_a_503_that_says_how_to_build_it(
    dashboard_client, tmp_path, monkeypatch
):
    monkeypatch.setattr(dashboard, "BUNDLE_DIR", tmp_path / "not-built")
    for path in ("/dashboard", "/dashboard/assets/app.js"):
        response = dashboard_client.get(path)
        assert response.status_code == 503
        assert "make dashboard" in response.json()["detail"]


def test_the_page_is_in_the_openapi_document_and_its_assets_are_not(dashboard_client):
    paths = dashboard_client.get("/openapi.json").json()["paths"]
    assert "/dashboard" in paths
    assert not any(p.startswith("/dashboard/assets") for p in paths)


def test_the_page_source_loads_only_files_of_its_own_bundle():
    """No CDN: every script and stylesheet is a relative path into the built assets."""
    html = (DASHBOARD_SRC / "index.html").read_text(encoding="utf-8")
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references
    local = [ref for ref in references if not ref.startswith("data:")]
    assert all(ref.startswith("dashboard/assets/") for ref in local), references
    for source in DASHBOARD_SRC.iterdir():
        assert not re.search(r"https?://|//cdn", source.read_text(encoding="utf-8")), source

"""The dashboard in a real headless Chromium against a real stack: broker, worker and API.

An article produced to Kafka must show up on the open page (through /v1/stream, or the
polling fallback while the API has no stream), and a screenshot is saved for people to see.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from detente.events import Article
from detente.topics import TopicNames

from harness import ROOT, Services, http_get, produce, wait_for

pytestmark = pytest.mark.e2e

SCREENSHOT_COPY = ROOT / "build" / "e2e" / "dashboard.png"
BUNDLE = ROOT / "services" / "api" / "src" / "detente_api" / "static" / "dashboard"

# Invented for this test, in the style of a wire report.
BEFORE = Article(
    id="e2e-moscow-rejects-talks",
    published_at=datetime.now(UTC),
    source="e2e test wire",
    title="Moscow rejects NATO offer of talks and threatens retaliation",
    text=(
        "Russia on Tuesday rejected a NATO offer of new talks on military exercises and "
        "threatened retaliation against any deployment near its borders. Foreign Minister "
        "Sergei Lavrov said Moscow would not accept what he called ultimatums and warned "
        "that Russia would respond with force. NATO said it remained open to dialogue and "
        "urged Moscow to lower tensions."
    ),
)
AFTER = Article(
    id="e2e-finland-estonia-cooperate",
    published_at=datetime.now(UTC),
    source="e2e test wire",
    title="Finland and Estonia agree to deepen cooperation on Baltic energy links",
    text=(
        "Finland and Estonia agreed on Wednesday to deepen their cooperation on energy links "
        "across the Gulf of Finland. Finland welcomed the agreement and said dialogue with "
        "its neighbours remained the best way forward. Estonia praised the compromise, "
        "thanked Finland for its patience and offered to host the next round of talks."
    ),
)


def by_testid(testid: str, **data: str) -> str:
    """A CSS selector for a data-testid, optionally narrowed by data-* attributes."""
    return f'[data-testid="{testid}"]' + "".join(f'[data-{k}="{v}"]' for k, v in data.items())


def text_of(driver: WebDriver, selector: str) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, selector)
    return found[0].text if found else ""


def cells(driver: WebDriver, selector: str) -> dict[str, str] | None:
    """The texts of a row's cells by data-testid, read in one go: rows are re-rendered live,
    so an element found a moment ago may be gone."""
    script = """
        const row = document.querySelector(arguments[0]);
        if (!row) return null;
        const found = row.querySelectorAll("[data-testid]");
        return Object.fromEntries([...found].map((c) => [c.dataset.testid, c.textContent.trim()]));
    """
    result: dict[str, str] | None = driver.execute_script(script, selector)
    return result


def time_of(driver: WebDriver, testid: str) -> str | None:
    """The machine-readable time (ISO, to the millisecond) of a <time> element."""
    return driver.find_element(By.CSS_SELECTOR, by_testid(testid)).get_attribute("datetime")


def api_paths(api: str) -> set[str]:
    status, schema = http_get(f"{api}/openapi.json")
    assert status == 200
    return set(schema["paths"])


def test_a_produced_article_shows_up_on_the_live_dashboard(
    bootstrap: str,
    topics: TopicNames,
    services: Services,
    api: str,
    browser: Chrome,
    tmp_path: Path,
) -> None:
    assert (BUNDLE / "index.html").is_file(), "dashboard bundle missing: run `make dashboard`"
    services.worker()
    paths = api_paths(api)
    patient = WebDriverWait(
        browser, 120, poll_frequency=0.5, ignored_exceptions=[StaleElementReferenceException]
    )

    try:
        # Something to show when the page opens: Russia's index, from a first article.
        produce(
            bootstrap, topics.articles, [(BEFORE.id.encode(), BEFORE.model_dump_json().encode())]
        )
        wait_for(lambda: (http_get(f"{api}/v1/actors/russia")[1] or {}).get("index") is not None,
                 120, "Russia's index in the API")  # fmt: skip

        browser.get(f"{api}/dashboard")
        assert browser.title.startswith("Détente")
        patient.until(
            lambda d: d.find_elements(By.CSS_SELECTOR, by_testid("actor-row", actor="russia"))
        )
        assert not browser.find_elements(By.CSS_SELECTOR, by_testid("actor-row", actor="finland"))
        # The page settles on the stream when the API has one, else on polling.
        patient.until(lambda d: text_of(d, by_testid("connection")) not in ("", "connecting…"))
        mode = browser.find_element(By.CSS_SELECTOR, by_testid("connection")).get_attribute(
            "data-mode"
        )
        print(f"dashboard feed mode: {mode}")
        assert mode == ("live" if "/v1/stream" in paths else "polling")
        updated_before = time_of(browser, "updated-at")

        # The article that must change the page: two actors it has never shown.
        produce(bootstrap, topics.articles, [(AFTER.id.encode(), AFTER.model_dump_json().encode())])
        finland = by_testid("actor-row", actor="finland")
        patient.until(lambda d: d.find_elements(By.CSS_SELECTOR, finland))
        patient.until(
            lambda d: d.find_elements(
                By.CSS_SELECTOR, by_testid("dyad-row", dyad="estonia|finland")
            )
        )
    except Exception:
        print(services.logs())
        raise

    row = cells(browser, finland)
    assert row is not None and row["actor-name"] == "Finland"
    assert 0.0 <= float(row["actor-index"]) <= 100.0
    api_index = http_get(f"{api}/v1/actors/finland")[1]["index"]
    assert float(row["actor-index"]) == pytest.approx(api_index, abs=0.05)
    assert text_of(browser, by_testid("as-of")) not in ("", "–")
    assert time_of(browser, "updated-at") != updated_before

    # The history chart shows when the API has the endpoint, and is hidden until then.
    chart_panel = browser.find_element(By.CSS_SELECTOR, by_testid("chart-panel"))
    if "/v1/actors/{actor}/history" in paths:
        patient.until(lambda d: d.find_element(By.CSS_SELECTOR, finland).click() or True)
        patient.until(lambda d: chart_panel.is_displayed())
        patient.until(lambda d: text_of(d, by_testid("chart-subject")) == "Finland")
        assert browser.find_elements(By.CSS_SELECTOR, f"{by_testid('history-chart')} canvas")
    else:
        assert not chart_panel.is_displayed()

    # No script error and no blocked request (the page's policy allows only this server).
    console = browser.get_log("browser")
    errors = [e for e in console if e["level"] == "SEVERE" and e.get("source") != "network"]
    assert not errors, errors

    shot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(shot))
    SCREENSHOT_COPY.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT_COPY)
    print(f"dashboard screenshot: {shot} (copied to {SCREENSHOT_COPY})")

"""The Prometheus rules: `promtool check` and `promtool test rules` (deploy/prometheus/tests),
plus the conventions every alert follows (labels, annotations, runbook, tests)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS / "tests").glob("*.yml"))
ALERTS_DOC = ROOT / "docs" / "alerts.md"
RUNBOOK_BASE = "https://detente.invalid/docs/alerts.md#"
SEVERITIES = {"info", "warning", "critical"}
CATEGORIES = {"tension", "pipeline", "api"}


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed; on Debian/Ubuntu: `apt-get install -y {package}` "
            f"(CI installs it before the tests)",
            pytrace=False,
        )
    return path


def run(*args: str) -> str:
    command = [tool("promtool", "prometheus"), *args]
    done = subprocess.run(command, cwd=PROMETHEUS, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (
        f"`{' '.join(command[1:])}` failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout + done.stderr


def alerts() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def test_rule_files_are_valid():
    assert RULE_FILES, "no rule files in deploy/prometheus/rules"
    out = run("check", "rules", *(str(p.relative_to(PROMETHEUS)) for p in RULE_FILES))
    print(out)


def test_scrape_config_is_valid():
    print(run("check", "config", "prometheus.yml"))


def test_rule_unit_tests_pass():
    assert TEST_FILES, "no promtool tests in deploy/prometheus/tests"
    print(run("test", "rules", *(str(p.relative_to(PROMETHEUS)) for p in TEST_FILES)))


def test_every_alert_has_a_firing_and_a_quiet_case():
    cases: dict[str, dict[str, int]] = {}
    for path in TEST_FILES:
        for group in yaml.safe_load(path.read_text())["tests"]:
            for case in group.get("alert_rule_test", []):
                kind = "firing" if case.get("exp_alerts") else "quiet"
                counts = cases.setdefault(case["alertname"], {"firing": 0, "quiet": 0})
                counts[kind] += 1
    missing = {
        rule["alert"]: cases.get(rule["alert"], {})
        for rule in alerts()
        if not cases.get(rule["alert"], {}).get("firing")
        or not cases.get(rule["alert"], {}).get("quiet")
    }
    assert not missing, f"alerts without both firing and quiet promtool cases: {missing}"


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    slugs = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        slugs.add(slug)
    return slugs


def test_every_alert_has_severity_summary_description_and_a_runbook_section():
    sections = anchors(ALERTS_DOC.read_text())
    for rule in alerts():
        name = rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, name
        assert rule["labels"]["category"] in CATEGORIES, name
        notes = rule["annotations"]
        assert notes.get("summary") and notes.get("description"), name
        assert "{{ $labels." in notes["description"], f"{name}: description names no label"
        url = notes["runbook_url"]
        assert url == RUNBOOK_BASE + name.lower(), f"{name}: runbook_url {url}"
        assert name.lower() in sections, f"docs/alerts.md has no section for {name}"


def test_tension_alerts_name_the_subject():
    for rule in alerts():
        if rule["labels"]["category"] == "tension":
            assert "$labels.subject" in rule["annotations"]["summary"], rule["alert"]
            assert "$labels.subject" in rule["annotations"]["description"], rule["alert"]


def test_alertmanager_example_routes_each_category():
    config = yaml.safe_load((PROMETHEUS / "alertmanager.yml").read_text())
    receivers = {r["name"] for r in config["receivers"]}
    routes = [config["route"], *config["route"].get("routes", [])]
    assert {r["receiver"] for r in routes} <= receivers
    for receiver in config["receivers"]:
        assert receiver.get("webhook_configs"), receiver["name"]

    amtool = shutil.which("amtool")
    if amtool is None:
        pytest.skip("amtool (apt-get install prometheus-alertmanager) not installed")
    path = str(PROMETHEUS / "alertmanager.yml")
    checked = subprocess.run(
        [amtool, "check-config", path], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for rule in alerts():
        labels = [f"alertname={rule['alert']}", *(f"{k}={v}" for k, v in rule["labels"].items())]
        routed = subprocess.run(
            [amtool, "config", "routes", "test", f"--config.file={path}", *labels],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        expected = "analysts" if rule["labels"]["category"] == "tension" else "oncall"
        assert routed.stdout.strip() == expected, (rule["alert"], routed.stdout, routed.stderr)

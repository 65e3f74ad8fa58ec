"""deploy/compose.yaml, the laptop stack: structure, pins, hardening, and its wiring to the
Prometheus and Grafana configuration (there is no Docker engine here to run it)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import ROOT, known_setting, settings_classes

from detente.topics import TopicNames, topic_specs

DEPLOY = ROOT / "deploy"
PINNED = re.compile(r"^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$")
BUILT = {
    "topics": "producer",
    "producer": "producer",
    "ingest": "producer",
    "worker": "worker",
    "api": "api",
}
# Services built from another target than their Dockerfile's default, and the image name
# (and settings class) that target stands for.
TARGETS = {"ingest": "ingest"}


def image_name(service: str) -> str:
    return f"detente-{TARGETS.get(service, BUILT[service])}"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def host_path(volume: str) -> tuple[Path, str]:
    source, target, *_ = volume.split(":")
    return (DEPLOY / source).resolve(), target


def test_services_and_images(services: dict[str, Any]) -> None:
    assert set(services) == {*BUILT, "kafka", "prometheus", "grafana"}
    for name, service in services.items():
        if name in BUILT:
            build = service["build"]
            assert (DEPLOY / build["context"]).resolve() == ROOT
            assert build["dockerfile"] == f"services/{BUILT[name]}/Dockerfile"
            assert (ROOT / build["dockerfile"]).is_file()
            assert service["image"] == f"{image_name(name)}:dev"
            assert build.get("target") == TARGETS.get(name), name
        else:
            assert PINNED.match(service["image"]), f"{name}: pin {service['image']} by digest"
    assert services["kafka"]["image"].startswith("apache/kafka:")


def test_kafka_is_kraft_without_auto_create(services: dict[str, Any]) -> None:
    env = services["kafka"]["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "healthcheck" in services["kafka"]


def test_start_order(services: dict[str, Any]) -> None:
    assert services["topics"]["entrypoint"] == ["detente-topics"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in ("worker", "api", "ingest", "producer"):
        condition = services[name]["depends_on"]["topics"]["condition"]
        assert condition == "service_completed_successfully", name
    producer = services["producer"]
    assert producer["restart"] == "no" and services["topics"]["restart"] == "no"
    assert producer["command"][-1] == "/app/data/sample/articles.jsonl"


def test_detente_containers_are_hardened(services: dict[str, Any]) -> None:
    for name in BUILT:
        service = services[name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "/tmp" in service["tmpfs"], name
    worker = services["worker"]
    data_dir = worker["environment"]["DETENTE_DATA_DIR"]
    assert any(t.split(":")[0] == data_dir for t in worker["tmpfs"]), "worker data dir"


def test_the_ingester_reads_a_feeds_file_that_loads(services: dict[str, Any]) -> None:
    from detente_producer.ingest.feeds import load_feeds

    ingest = services["ingest"]
    mounts = dict(host_path(v) for v in ingest["volumes"])
    by_target = {target: source for source, target in mounts.items()}
    feeds_file = by_target[ingest["environment"]["DETENTE_FEEDS"]]
    assert load_feeds(feeds_file), f"{feeds_file}: no feeds"


def test_ports_are_local_only(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name}: {port} is published on all addresses"


def test_settings_are_known_and_parse(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    classes = settings_classes()
    for name in BUILT:
        settings_class = classes[image_name(name)]
        env = services[name]["environment"]
        for key in env:
            parts = key.removeprefix("DETENTE_").lower().split("__")
            assert known_setting(settings_class, parts), f"{name}: {key} is not a setting"
        for key in list(os.environ):
            if key.startswith("DETENTE_"):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, str(value))
        settings_class()
    partitions = {
        int(services[n]["environment"]["DETENTE_PARTITIONS"]) for n in ("topics", "worker")
    }
    assert partitions == {max(s.partitions for s in topic_specs(TopicNames("")))}


def _scrape_jobs(config: dict[str, Any]) -> dict[str, list[str]]:
    return {
        job["job_name"]: [t for sc in job.get("static_configs", []) for t in sc["targets"]]
        for job in config["scrape_configs"]
    }


def test_prometheus_scrapes_the_services_with_the_rules_job_names(services: dict[str, Any]):
    mounts = dict(host_path(v) for v in services["prometheus"]["volumes"] if v.startswith("./"))
    by_target = {target: source for source, target in mounts.items()}
    config_path = by_target["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    jobs = _scrape_jobs(config)
    worker_port = services["worker"]["environment"]["DETENTE_METRICS_PORT"]
    api_port = services["api"]["environment"]["DETENTE_PORT"]
    assert jobs["detente-worker"] == [f"worker:{worker_port}"]
    assert jobs["detente-api"] == [f"api:{api_port}"]
    ingest_port = services["ingest"]["environment"]["DETENTE_METRICS_PORT"]
    assert jobs["detente-ingest"] == [f"ingest:{ingest_port}"]
    assert services["ingest"]["environment"]["DETENTE_METRICS_HOST"] == "0.0.0.0"
    rules_dir = by_target["/etc/prometheus/rules"]
    assert rules_dir == DEPLOY / "prometheus" / "rules"
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    local = DEPLOY / "prometheus" / "prometheus.yml"
    if not local.exists():
        pytest.skip("deploy/prometheus/prometheus.yml not written yet")
    local_jobs = _scrape_jobs(yaml.safe_load(local.read_text(encoding="utf-8")))
    assert set(local_jobs) == set(jobs), "compose and `make up` Prometheus use the same jobs"


def test_grafana_provisioning(services: dict[str, Any]) -> None:
    volumes = [host_path(v) for v in services["grafana"]["volumes"] if v.startswith("./")]
    by_target = {target: source for source, target in volumes}
    datasource_file = by_target["/etc/grafana/provisioning/datasources/detente.yml"]
    (datasource,) = yaml.safe_load(datasource_file.read_text(encoding="utf-8"))["datasources"]
    prometheus_port = services["prometheus"]["ports"][0].rsplit(":", 1)[1]
    assert datasource["url"] == f"http://prometheus:{prometheus_port}"
    providers_dir = by_target["/etc/grafana/provisioning/dashboards"]
    if not providers_dir.is_dir():
        pytest.skip("deploy/grafana/provisioning/dashboards/ not written yet")
    dashboards_target = next(t for s, t in volumes if s == DEPLOY / "grafana" / "dashboards")
    paths = {
        provider["options"]["path"]
        for file in providers_dir.glob("*.y*ml")
        for provider in yaml.safe_load(file.read_text(encoding="utf-8"))["providers"]
    }
    assert dashboards_target in paths, f"dashboards mounted at {dashboards_target}, read at {paths}"
    for file in (DEPLOY / "grafana" / "provisioning" / "datasources").glob("*.y*ml"):
        for other in yaml.safe_load(file.read_text(encoding="utf-8"))["datasources"]:
            assert other["uid"] == datasource["uid"], "dashboards refer to the same uid"

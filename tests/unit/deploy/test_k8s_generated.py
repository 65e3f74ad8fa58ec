"""Generated manifests stay generated: KafkaTopics from detente.topics, PrometheusRules from
deploy/prometheus/rules/. Each test regenerates and compares with what is committed, then
checks what the overlays actually deploy against the source of truth."""

from __future__ import annotations

import re

import pytest
from deploy_support import OVERLAYS, by_kind, load_tool

from detente.topics import TopicNames, topic_specs

topics_tool = load_tool("gen_kafka_topics")
rules_tool = load_tool("gen_prometheus_rules")


def test_kafka_topics_manifest_is_generated_from_detente_topics() -> None:
    committed = topics_tool.OUTPUT.read_text(encoding="utf-8")
    assert committed == topics_tool.render(), (
        "k8s/components/strimzi/kafka-topics.yaml is stale: run "
        ".venv/bin/python deploy/k8s-tools/gen_kafka_topics.py"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployed_topics_match_detente_topics(built: dict, overlay: str) -> None:
    deployed = {
        t["spec"]["topicName"]: t["spec"] for t in by_kind(built[overlay], "KafkaTopic").values()
    }
    expected = {s.name: s for s in topic_specs(TopicNames(""), topics_tool.PARTITIONS)}
    assert set(deployed) == set(expected)
    for name, spec in expected.items():
        assert deployed[name]["partitions"] == spec.partitions, name
        assert deployed[name]["config"] == spec.config, name
    for topic in by_kind(built[overlay], "KafkaTopic").values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] in by_kind(built[overlay], "Kafka")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_worker_replicas_and_partitions(built: dict, overlay: str) -> None:
    """Workers share partitions in one group: replicas beyond the partition count idle, and
    the tables' changelog topics must have as many partitions as the topics they follow."""
    objects = built[overlay]
    topics = {t["spec"]["topicName"]: t["spec"] for t in by_kind(objects, "KafkaTopic").values()}
    keyed = {topics[n]["partitions"] for n in ("articles", "index-contributions")}
    assert len(keyed) == 1
    (partitions,) = keyed
    worker = by_kind(objects, "Deployment")["detente-worker"]
    config = by_kind(objects, "ConfigMap")["detente-worker"]["data"]
    assert int(config["DETENTE_PARTITIONS"]) == partitions
    assert 1 <= worker["spec"]["replicas"] <= partitions
    if overlay == "prod":
        assert worker["spec"]["replicas"] == partitions == 6


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_replication_fits_the_cluster(built: dict, overlay: str) -> None:
    objects = built[overlay]
    brokers = sum(
        pool["spec"]["replicas"]
        for pool in by_kind(objects, "KafkaNodePool").values()
        if "broker" in pool["spec"]["roles"]
    )
    config = by_kind(objects, "Kafka")["detente"]["spec"]["kafka"]["config"]
    assert 1 <= config["min.insync.replicas"] <= config["default.replication.factor"] <= brokers
    assert config["offsets.topic.replication.factor"] <= brokers
    worker_rf = int(
        by_kind(objects, "ConfigMap")["detente-worker"]["data"]["DETENTE_REPLICATION_FACTOR"]
    )
    assert worker_rf == config["default.replication.factor"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_topic_has_a_writer_with_acls(built: dict, overlay: str) -> None:
    """A topic added to detente.topics needs ACLs, or its producer is refused at run time."""
    grants: dict[str, set[str]] = {}
    for user in by_kind(built[overlay], "KafkaUser").values():
        for acl in user["spec"]["authorization"]["acls"]:
            resource = acl["resource"]
            if resource["type"] == "topic" and resource["patternType"] == "literal":
                grants.setdefault(resource["name"], set()).update(acl["operations"])
    for spec in topic_specs(TopicNames("")):
        assert {"Write", "Describe"} <= grants.get(spec.name, set()), f"nobody writes {spec.name}"
    unknown = set(grants) - {s.name for s in topic_specs(TopicNames(""))}
    assert not unknown, f"ACLs for topics that detente.topics does not define: {unknown}"


def test_prometheus_rules_manifest_is_generated_from_rule_files() -> None:
    if not rules_tool.rule_files():
        pytest.skip(
            "no rule files in deploy/prometheus/rules/ yet: the PrometheusRule manifest is empty"
        )
    committed = rules_tool.OUTPUT.read_text(encoding="utf-8")
    assert committed == rules_tool.render(), (
        "k8s/components/monitoring/prometheus-rules.yaml is stale: run "
        ".venv/bin/python deploy/k8s-tools/gen_prometheus_rules.py"
    )


def test_rules_name_jobs_that_the_service_monitors_produce(built: dict) -> None:
    """The Prometheus Operator names a ServiceMonitor's job after the Service: rules that
    match on job= must use those names, or they never fire in Kubernetes."""
    rules = by_kind(built["prod"], "PrometheusRule")
    if not rules:
        pytest.skip("no PrometheusRule yet (no rule files in deploy/prometheus/rules/)")
    services = set(by_kind(built["prod"], "Service"))
    monitored = {
        name
        for name, service in by_kind(built["prod"], "Service").items()
        for monitor in by_kind(built["prod"], "ServiceMonitor").values()
        if monitor["spec"]["selector"]["matchLabels"].items()
        <= service["metadata"]["labels"].items()
    }
    assert monitored == {"detente-api", "detente-worker", "detente-ingest"} <= services
    for rule in rules.values():
        for group in rule["spec"]["groups"]:
            for item in group["rules"]:
                for op, value in re.findall(r'\bjob\s*(=~|=)\s*"([^"]*)"', item["expr"]):
                    names = value.split("|") if op == "=~" else [value]
                    for job in names:
                        assert job in monitored, f"{group['name']}: job {job!r} is never scraped"

"""Kubernetes manifests: every overlay builds, validates against the API schemas offline and
keeps the security and operability properties the deployment relies on.

Core objects are checked with kubernetes-validate (the Kubernetes OpenAPI schemas it ships,
strict: unknown fields fail); Strimzi and Prometheus Operator objects against their CRD
schemas by deploy/k8s-tools/crd-validate (Node.js, `npm ci` there first).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

import kubernetes_validate
import pytest
import yaml
from deploy_support import (
    K8S,
    OVERLAYS,
    ROOT,
    TOOLS,
    by_kind,
    find_tool,
    known_setting,
    pod_spec,
    settings_classes,
    workloads,
)

# The oldest minor a managed cluster is likely to run, and the newest schemas shipped.
K8S_VERSIONS = ("1.33.0", kubernetes_validate.latest_version())
CUSTOM_GROUPS = ("kafka.strimzi.io", "monitoring.coreos.com")
SERVICES = ("detente-api", "detente-worker", "detente-producer", "detente-ingest")


def is_custom(obj: dict[str, Any]) -> bool:
    return obj["apiVersion"].split("/")[0] in CUSTOM_GROUPS


def describe(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds_with_namespace(built: dict, overlay: str) -> None:
    objects = built[overlay]
    assert objects, f"{overlay} built no object"
    namespaces = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    assert len(namespaces) == 1, f"{overlay}: expected one Namespace, got {namespaces}"
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") in namespaces, describe(obj)


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_core_objects_match_kubernetes_openapi_schema(built: dict, overlay: str, version: str):
    errors = []
    for obj in built[overlay]:
        if is_custom(obj):
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{describe(obj)}: no schema for {obj['apiVersion']} in {version}")
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path)
            errors.append(f"{describe(obj)}: {path}: {exc.message}")
    assert not errors, f"{overlay} against Kubernetes {version}:\n" + "\n".join(errors)


def test_custom_resources_match_crd_schemas(built: dict) -> None:
    node = find_tool("node", "apt-get install -y nodejs (Node.js >= 20)")
    if not (TOOLS / "crd-validate" / "node_modules" / "@kubernetes-models").is_dir():
        pytest.fail(
            "the CRD schemas are not installed; run: npm ci --prefix deploy/k8s-tools/crd-validate",
            pytrace=False,
        )
    custom = [o for overlay in OVERLAYS for o in built[overlay] if is_custom(o)]
    kinds = {o["kind"] for o in custom}
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "ServiceMonitor"} <= kinds
    result = subprocess.run(
        [node, str(TOOLS / "crd-validate" / "validate.mjs")],
        input=json.dumps(custom),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode in (0, 1), result.stderr
    failures = [
        f"{r['kind']}/{r['name']}: {'; '.join(r['errors'])}"
        for r in json.loads(result.stdout)
        if r["errors"]
    ]
    assert not failures, "custom resources do not match their CRD schemas:\n" + "\n".join(failures)
    assert len(json.loads(result.stdout)) == len(custom)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_locked_down(built: dict, overlay: str) -> None:
    for workload in workloads(built[overlay]):
        name = describe(workload)
        spec = pod_spec(workload)
        security = spec["securityContext"]
        assert spec["automountServiceAccountToken"] is False, name
        assert security["runAsNonRoot"] is True, name
        assert security["runAsUser"] >= 10000, name
        assert security["seccompProfile"]["type"] == "RuntimeDefault", name
        assert not spec.get("hostNetwork") and not spec.get("hostPID"), name
        service_account = by_kind(built[overlay], "ServiceAccount")[spec["serviceAccountName"]]
        assert service_account["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert not context["capabilities"].get("add"), name
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), (name, kind)
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp must be an emptyDir"


def _env(obj_list: list[dict], workload: dict) -> dict[str, Any]:
    """The container's environment: its ConfigMaps' data, then its env entries."""
    container = pod_spec(workload)["containers"][0]
    config_maps = by_kind(obj_list, "ConfigMap")
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]]["data"])
    for entry in container.get("env", []):
        env[entry["name"]] = entry.get("value", entry.get("valueFrom"))
    return env


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_worker_data_dir_is_a_writable_empty_dir(built: dict, overlay: str) -> None:
    worker = by_kind(built[overlay], "Deployment")["detente-worker"]
    env = _env(built[overlay], worker)
    spec = pod_spec(worker)
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m for m in spec["containers"][0]["volumeMounts"]}
    data = mounts[env["DETENTE_DATA_DIR"]]
    assert "emptyDir" in volumes[data["name"]] and not data.get("readOnly")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes(built: dict, overlay: str) -> None:
    deployments = by_kind(built[overlay], "Deployment")
    api = deployments["detente-api"]["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in api["ports"]}
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert ports[api[probe]["httpGet"]["port"]] == 8000
    for name in ("detente-worker", "detente-ingest"):
        deployment = deployments[name]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        metrics_port = int(_env(built[overlay], deployment)["DETENTE_METRICS_PORT"])
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert ports[container[probe]["httpGet"]["port"]] == metrics_port, (name, probe)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_autoscales_and_has_a_disruption_budget(built: dict, overlay: str) -> None:
    objects = built[overlay]
    hpa = by_kind(objects, "HorizontalPodAutoscaler")["detente-api"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "detente-api",
    }
    assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]
    assert "replicas" not in by_kind(objects, "Deployment")["detente-api"]["spec"]
    pdb = by_kind(objects, "PodDisruptionBudget")["detente-api"]["spec"]
    api_labels = by_kind(objects, "Deployment")["detente-api"]["spec"]["template"]["metadata"]
    assert pdb["selector"]["matchLabels"].items() <= api_labels["labels"].items()


def _selects(selector: dict, labels: dict) -> bool:
    if not selector:
        return True
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        value = labels.get(expression["key"])
        if expression["operator"] == "In" and value not in expression["values"]:
            return False
        if expression["operator"] == "NotIn" and value in expression["values"]:
            return False
        if expression["operator"] == "Exists" and expression["key"] not in labels:
            return False
    return True


def _policies_for(objects: list[dict], labels: dict, policy_type: str) -> list[dict]:
    return [
        p["spec"]
        for p in by_kind(objects, "NetworkPolicy").values()
        if policy_type in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], labels)
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies(built: dict, overlay: str) -> None:
    objects = built[overlay]
    for workload in workloads(objects):
        labels = (
            workload["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
            if workload["kind"] == "CronJob"
            else workload["spec"]["template"]["metadata"]["labels"]
        )
        name = labels["app.kubernetes.io/name"]
        ingress = _policies_for(objects, labels, "Ingress")
        egress = _policies_for(objects, labels, "Egress")
        # Default deny: some policy selects every pod for both directions.
        assert ingress and egress, f"{name} is not covered by a deny-all policy"
        ingress_rules = [rule for p in ingress for rule in p.get("ingress", [])]
        allowed_ports = {port["port"] for rule in ingress_rules for port in rule["ports"]}
        if name == "detente-api":
            assert allowed_ports == {8000, 9100}
            env = _env(objects, workload)
            assert env["DETENTE_METRICS_ON"] == "admin", "metrics off the public port"
            assert env["DETENTE_DOCS_ON"] in ("admin", "off"), "docs off the public port"
            assert int(env["DETENTE_ADMIN_PORT"]) == 9100
            for rule in ingress_rules:
                if any(port["port"] == 9100 for port in rule["ports"]):
                    assert rule["from"] and all(
                        peer["podSelector"]["matchLabels"]
                        == {"app.kubernetes.io/name": "prometheus"}
                        for peer in rule["from"]
                    ), "the API's admin port admits Prometheus only"
                    assert {port["port"] for port in rule["ports"]} == {9100}
        elif name in ("detente-worker", "detente-ingest"):
            metrics_port = int(_env(objects, workload)["DETENTE_METRICS_PORT"])
            assert allowed_ports == {metrics_port}
            for rule in ingress_rules:
                peers = rule["from"]
                assert peers and all(
                    peer["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}
                    for peer in peers
                ), f"{name} admits Prometheus only"
        else:
            assert not ingress_rules, f"{name} must not be reachable"
        # Egress: cluster DNS and Kafka's TLS listener, nothing else; the ingester also
        # reaches web servers outside the cluster, never the private ranges.
        egress_rules = [rule for p in egress for rule in p.get("egress", [])]
        destinations = set()
        for rule in egress_rules:
            assert rule.get("to"), f"{name}: an egress rule without 'to' opens everything"
            for port in rule["ports"]:
                destinations.add((port["protocol"], port["port"]))
            for peer in rule["to"]:
                if "ipBlock" in peer:
                    assert name == "detente-ingest", f"{name} reaches outside the cluster"
                    assert {"10.0.0.0/8", "169.254.0.0/16"} <= set(peer["ipBlock"]["except"])
        expected = {("UDP", 53), ("TCP", 53), ("TCP", 9093)}
        if name == "detente-ingest":
            expected |= {("TCP", 80), ("TCP", 443)}
        assert destinations == expected, (name, destinations)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_metrics_are_scraped_on_the_admin_port(built: dict, overlay: str) -> None:
    objects = built[overlay]
    api = by_kind(objects, "Deployment")["detente-api"]
    container = pod_spec(api)["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": 8000, "metrics": int(_env(objects, api)["DETENTE_ADMIN_PORT"])}
    service = by_kind(objects, "Service")["detente-api"]["spec"]
    targets = {port["name"]: port["targetPort"] for port in service["ports"]}
    assert targets == {"http": "http", "metrics": "metrics"}
    (endpoint,) = by_kind(objects, "ServiceMonitor")["detente-api"]["spec"]["endpoints"]
    assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"
    # Faust's web server is never opened in the cluster; the worker's metrics bind for
    # Prometheus.
    worker = _env(objects, by_kind(objects, "Deployment")["detente-worker"])
    assert worker["DETENTE_WEB_ENABLED"] == "false" and "DETENTE_WEB_HOST" not in worker
    assert worker["DETENTE_METRICS_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_credentials_are_referenced_never_committed(built: dict, overlay: str) -> None:
    objects = built[overlay]
    assert not by_kind(objects, "Secret"), "Secrets are created out of band, never committed"
    users = by_kind(objects, "KafkaUser")
    for workload in workloads(objects):
        env = _env(objects, workload)
        username = env["DETENTE_KAFKA__SASL_USERNAME"]
        assert username in users, f"{describe(workload)}: no KafkaUser {username}"
        reference = env["DETENTE_KAFKA__SASL_PASSWORD"]
        assert reference == {"secretKeyRef": {"name": username, "key": "password"}}
        volumes = {v["name"]: v for v in pod_spec(workload)["volumes"]}
        mounts = pod_spec(workload)["containers"][0]["volumeMounts"]
        ca_dir = env["DETENTE_KAFKA__SSL_CAFILE"].rsplit("/", 1)[0]
        (ca_mount,) = [m for m in mounts if m["mountPath"] == ca_dir]
        assert volumes[ca_mount["name"]]["secret"]["secretName"] == "detente-cluster-ca-cert"
    for config_map in by_kind(objects, "ConfigMap").values():
        for key in config_map["data"]:
            assert not re.search(r"PASSWORD|SECRET|TOKEN", key), f"{key} in a ConfigMap"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_is_known_and_parses(
    built: dict, overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic-settings ignores unknown variables: a typo would silently use a default."""
    classes = settings_classes()
    for workload in workloads(built[overlay]):
        name = pod_spec(workload)["serviceAccountName"]
        settings_class = classes[name]
        env = _env(built[overlay], workload)
        for key in env:
            if key.startswith("DETENTE_"):
                parts = key.removeprefix("DETENTE_").lower().split("__")
                assert known_setting(settings_class, parts), f"{name}: {key} is not a setting"
        for key in list(os.environ):
            if key.startswith("DETENTE_"):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value if isinstance(value, str) else "from-a-secret")
        settings = settings_class()
        assert settings.kafka.sasl_password.get_secret_value() == "from-a-secret"
        assert settings.kafka.security_protocol == "SASL_SSL"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images(built: dict, overlay: str) -> None:
    for workload in workloads(built[overlay]):
        for container in pod_spec(workload)["containers"]:
            image = container["image"]
            repository, _, tag = image.rpartition(":")
            assert repository.rsplit("/", 1)[-1] in SERVICES, image
            assert tag and tag != "latest", f"{image}: pin a tag"
            if overlay == "prod":
                assert "/" in repository, f"{image}: prod pulls from a registry"
                assert container["imagePullPolicy"] == "Always"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_worker_stops_on_its_own_before_the_grace_period_ends(
    built: dict, overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past terminationGracePeriodSeconds the kubelet kills the worker; its own bound
    (detente_worker/shutdown.py) must run out first, with time left to exit."""
    worker = by_kind(built[overlay], "Deployment")["detente-worker"]
    env = _env(built[overlay], worker)
    monkeypatch.delenv("DETENTE_STOP_TIMEOUT_SECONDS", raising=False)
    if "DETENTE_STOP_TIMEOUT_SECONDS" in env:
        monkeypatch.setenv("DETENTE_STOP_TIMEOUT_SECONDS", env["DETENTE_STOP_TIMEOUT_SECONDS"])
    stop_timeout = settings_classes()["detente-worker"]().stop_timeout_seconds
    assert stop_timeout + 10 <= pod_spec(worker)["terminationGracePeriodSeconds"]


def test_worker_is_a_deployment_without_rocksdb(built: dict) -> None:
    """The choice documented in k8s/base/worker.yaml: memory:// tables, state in changelogs."""
    for overlay in OVERLAYS:
        objects = built[overlay]
        assert not by_kind(objects, "StatefulSet")
        worker = by_kind(objects, "Deployment")["detente-worker"]
        assert _env(objects, worker)["DETENTE_STORE"] == "memory://"
    worker_deps = (ROOT / "services" / "worker" / "pyproject.toml").read_text()
    assert "rocksdict" not in worker_deps and "rocksdb" not in worker_deps, (
        "the worker now ships a RocksDB driver: revisit the Deployment vs StatefulSet choice"
    )


def test_base_has_one_file_per_service() -> None:
    for service in ("api", "worker", "producer", "ingest"):
        text = (K8S / "base" / f"{service}.yaml").read_text(encoding="utf-8")
        kinds = {doc["kind"] for doc in yaml.safe_load_all(text) if doc}
        assert {"ServiceAccount", "ConfigMap"} <= kinds, service
        assert kinds & {"Deployment", "CronJob"}, service

"""deploy/k8s/*.yaml, offline: valid against the Kubernetes schemas (kubernetes-validate,
strict: no unknown fields), and consistent with the code and the images they run.

No cluster is needed. What a schema cannot see is checked here: selectors that select the
pods, probes on the endpoints the servers really have, ports the images listen on, the image
user, requests/limits equal on both servers, and an HPA that scales the right Deployment.
"""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from loadtests.core.profiles import KINDS
from shared.settings import PROJECT_ROOT, Settings

K8S = PROJECT_ROOT / "deploy" / "k8s"
# The oldest and newest Kubernetes the manifests must be valid for (autoscaling/v2 is GA
# since 1.23; the package bundles schemas up to its newest release).
VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
IMAGE_UID = 10001  # USER in flask_app/Dockerfile and bento_app/Dockerfile
DEFAULTS = Settings()
PORTS = {"flask": DEFAULTS.flask_port, "bento": DEFAULTS.bento_port}
LIVENESS = {"flask": "/healthz", "bento": "/livez"}


def documents() -> list[tuple[Path, dict]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def resources(target: str) -> dict[str, dict]:
    name = f"credit-risk-{target}"
    found = {doc["kind"]: doc for _, doc in documents() if doc["metadata"]["name"] == name}
    assert set(found) == {"Deployment", "Service", "HorizontalPodAutoscaler"}, name
    return found


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_there_are_manifests_for_both_servers():
    kinds = sorted((doc["kind"], doc["metadata"]["name"]) for _, doc in documents())
    assert kinds == sorted(
        (kind, f"credit-risk-{target}")
        for kind in ("Deployment", "Service", "HorizontalPodAutoscaler")
        for target in ("flask", "bento")
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_document_is_valid_for_kubernetes(version):
    for path, doc in documents():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path.name} {doc['kind']}/{doc['metadata']['name']} ({version}): {exc}")


def test_a_broken_manifest_is_rejected():
    """The validator really validates (a wrong type and an unknown field both fail)."""
    _, deployment = next((p, d) for p, d in documents() if d["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)
    unknown = yaml.safe_load(yaml.safe_dump(deployment))
    unknown["spec"]["template"]["spec"]["containers"][0]["healthCheck"] = "/healthz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(unknown, VERSIONS[-1], strict=True)


@pytest.mark.parametrize("target", ["flask", "bento"])
def test_service_selects_the_pods_on_the_server_port(target):
    found = resources(target)
    deployment, service = found["Deployment"], found["Service"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    ports = {p["name"]: p["containerPort"] for p in container(deployment)["ports"]}
    assert ports == {"http": PORTS[target]}
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] == "http"
    assert service_port["port"] == PORTS[target]


@pytest.mark.parametrize("target", ["flask", "bento"])
def test_probes_hit_the_servers_health_endpoints(target):
    spec = container(resources(target)["Deployment"])
    probes = {
        kind: spec[kind]["httpGet"] for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert (
        probes["readinessProbe"]["path"] == KINDS[target].health_path
    )  # what the real-server tests poll
    assert probes["livenessProbe"]["path"] == LIVENESS[target]
    assert probes["startupProbe"]["path"] == LIVENESS[target]
    assert {p["port"] for p in probes.values()} == {"http"}
    startup = spec["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60  # time to load the model


@pytest.mark.parametrize("target", ["flask", "bento"])
def test_pods_run_the_projects_image_as_its_non_root_user(target):
    deployment = resources(target)["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    spec = container(deployment)
    assert spec["image"].rsplit(":", 1)[0] == f"credit-risk-{target}"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == IMAGE_UID
    assert spec["securityContext"]["allowPrivilegeEscalation"] is False
    assert spec["securityContext"]["capabilities"]["drop"] == ["ALL"]
    if spec["securityContext"].get("readOnlyRootFilesystem"):
        assert "/tmp" in {m["mountPath"] for m in spec.get("volumeMounts", [])}
    env = {e["name"]: e["value"] for e in spec["env"]}
    assert env[f"CREDIT_{target.upper()}_WORKERS"] == "1"  # scale with pods, not workers


def _quantity(value: str) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * factor
    return float(value)


def test_both_servers_get_the_same_requests_and_limits():
    specs = {t: container(resources(t)["Deployment"])["resources"] for t in ("flask", "bento")}
    assert specs["flask"] == specs["bento"]
    res = specs["flask"]
    for kind in ("cpu", "memory"):
        assert _quantity(res["requests"][kind]) <= _quantity(res["limits"][kind])


@pytest.mark.parametrize("target", ["flask", "bento"])
def test_hpa_scales_the_deployment_on_cpu(target):
    found = resources(target)
    hpa = found["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": found["Deployment"]["metadata"]["name"],
    }
    assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]
    assert found["Deployment"]["spec"]["replicas"] == hpa["minReplicas"]
    (metric,) = hpa["metrics"]
    assert metric["resource"]["name"] == "cpu"
    # Utilization is a share of the CPU request: without one the HPA cannot scale.
    assert "cpu" in container(found["Deployment"])["resources"]["requests"]

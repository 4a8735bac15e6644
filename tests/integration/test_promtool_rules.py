"""The generated rules, rule tests and Alertmanager snippet, checked by the real tools.

``promtool check rules`` parses and lints every generated file (plain and the operator
object's ``spec``); ``promtool test rules`` runs the generated tests of every demo and
example SLO (each SLO with its own rules file, so a simulated day evaluates only its own
rules); ``amtool check-config`` reads the Alertmanager snippet inside a minimal config.
The tools are Debian's (prometheus 2.42, prometheus-alertmanager 0.25), which ``make
test`` installs; when one is missing these tests fail, they never skip.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from sloscope.demo.spec_files import demo_specs_dir
from sloscope.engine.windows import AlertPolicy, AlertWindow, TrafficGuard, bundled_policies
from sloscope.generate.alertmanager import alertmanager_snippet
from sloscope.generate.prometheus.rules import generate_rules, render_rules
from sloscope.generate.rule_tests.document import generate_rule_tests, render_rule_tests
from sloscope.spec.load import load_paths
from sloscope.spec.model import SLO, Service

ROOT = Path(__file__).resolve().parents[2]
POLICIES = bundled_policies()
SPEC_FILES = {
    "demo-checkout": Path(str(demo_specs_dir().joinpath("checkout.yaml"))),
    "demo-identity": Path(str(demo_specs_dir().joinpath("identity.yaml"))),
    "demo-search": Path(str(demo_specs_dir().joinpath("search.yaml"))),
    "example-openslo-checkout": ROOT / "examples" / "openslo" / "checkout.yaml",
    "example-sloth-search": ROOT / "examples" / "sloth" / "search.yml",
    "example-sloth-identity-k8s": ROOT / "examples" / "sloth" / "identity-k8s.yaml",
    "example-grouped-gateway": ROOT / "examples" / "grouped" / "gateway.yaml",
}


def _guarded(service: Service, slo: SLO) -> AlertPolicy:
    """The spec's policy under sloscope.yaml's default guard, as the workspace resolves it."""
    return POLICIES[slo.alerting.policy]._replace(guard=TrafficGuard(100, 5))


OPTIONS: dict[str, Any] = {
    "exhausted_alert": True,
    "dashboard_url": "https://grafana.example.com/d/slo?var-id={id}",
    "extra_labels": {"team": "sre"},
    "policy_of": _guarded,
}


def _tool(name: str, package: str) -> str:
    found = shutil.which(name) or (
        f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
    )
    if found is None:
        pytest.fail(
            f"{name} is not installed; run 'make services' (or 'sudo apt-get install {package}')",
            pytrace=False,
        )
    return found


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def _services(key: str) -> tuple[Service, ...]:
    loaded = load_paths([SPEC_FILES[key]])
    loaded.raise_for_errors()
    return loaded.services


def _slo_params() -> list[Any]:
    params = []
    for key in sorted(SPEC_FILES):
        for service in _services(key):
            for slo in service.slos:
                single = replace(service, slos=(slo,))
                params.append(pytest.param(single, id=f"{key}:{slo.name}"))
    return params


@pytest.mark.integration
@pytest.mark.parametrize("key", sorted(SPEC_FILES))
@pytest.mark.parametrize("options", [{}, OPTIONS], ids=["defaults", "all-options"])
def test_promtool_check_rules_passes_for_plain_and_operator_rules(
    key: str, options: dict[str, Any], tmp_path: Path
) -> None:
    promtool = _tool("promtool", "prometheus")
    doc = generate_rules(_services(key), POLICIES, **options)
    plain = tmp_path / "rules.yaml"
    plain.write_text(render_rules(doc), encoding="utf-8")
    operator = yaml.safe_load(render_rules(doc, "operator", name=key))
    spec = tmp_path / "operator-spec.yaml"
    spec.write_text(yaml.safe_dump(operator["spec"]), encoding="utf-8")
    result = _run([promtool, "check", "rules", str(plain), str(spec)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    count = sum(len(group["rules"]) for group in doc["groups"])
    assert result.stdout.count(f"SUCCESS: {count} rules found") == 2


def _write_pair(services: list[Service], folder: Path, **options: Any) -> Path:
    rules = generate_rules(services, POLICIES, **options)
    (folder / "rules.yaml").write_text(render_rules(rules), encoding="utf-8")
    tests = generate_rule_tests(services, POLICIES, "rules.yaml", **options)
    assert tests.warnings == ()
    assert tests["tests"], "no test generated"
    path = folder / "tests.yaml"
    path.write_text(render_rule_tests(tests), encoding="utf-8")
    return path


@pytest.mark.integration
@pytest.mark.parametrize("service", _slo_params())
@pytest.mark.parametrize("guarded", [False, True], ids=["bare", "guard"])
def test_promtool_passes_the_generated_tests_of_every_demo_and_example_slo(
    service: Service, guarded: bool, tmp_path: Path
) -> None:
    """Bare (the SRE workbook's rules) and under the default guard, whose tests add a
    quiet and a busy minute of failures where the guard changes the outcome."""
    promtool = _tool("promtool", "prometheus")
    tests = _write_pair([service], tmp_path, **({"policy_of": _guarded} if guarded else {}))
    result = _run([promtool, "test", "rules", tests.name], tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "SUCCESS" in result.stdout


@pytest.mark.integration
def test_promtool_passes_the_tests_with_every_option(tmp_path: Path) -> None:
    promtool = _tool("promtool", "prometheus")
    # One SLO (a calendar month, dashboard from the template): each test group evaluates
    # the rules of every SLO in the file, so more SLOs would only cost time.
    [identity] = _services("demo-identity")
    services = [replace(identity, slos=(identity.slos[2],))]
    tests = _write_pair(services, tmp_path, **OPTIONS)
    result = _run([promtool, "test", "rules", tests.name], tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.integration
def test_generated_tests_catch_a_page_threshold_that_is_too_high(tmp_path: Path) -> None:
    """The tests can fail: with both page rows at 20x (not 13.44x and 5.6x), the 14.78x
    burn no longer pages and promtool says so."""
    promtool = _tool("promtool", "prometheus")
    [service] = _services("demo-search")
    tests = _write_pair([replace(service, slos=service.slos[:1])], tmp_path)
    rules = tmp_path / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    assert "(13.44 * 0.001)" in text
    assert "(5.6 * 0.001)" in text
    text = text.replace("(13.44 * 0.001)", "(20 * 0.001)").replace("(5.6 * 0.001)", "(20 * 0.001)")
    rules.write_text(text, encoding="utf-8")
    result = _run([promtool, "test", "rules", tests.name], tmp_path)
    assert result.returncode == 1
    assert "alertname: SLOErrorBudgetBurnPage, time: 1h5m," in result.stdout + result.stderr


@pytest.mark.integration
def test_amtool_accepts_the_alertmanager_snippet_in_a_full_config(tmp_path: Path) -> None:
    amtool = _tool("amtool", "prometheus-alertmanager")
    config = yaml.safe_load(alertmanager_snippet())
    config["route"]["receiver"] = "default"
    config["receivers"] = [{"name": "default"}, {"name": "pager"}, {"name": "tickets"}]
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = _run([amtool, "check-config", str(path)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert " - 1 inhibit rules" in result.stdout
    assert " - 3 receivers" in result.stdout


FAST = AlertPolicy(
    "fast",
    (AlertWindow("page", 2, 3600, 60), AlertWindow("ticket", 10, 86400, 7200)),
)


@pytest.mark.integration
@pytest.mark.parametrize("guard", [TrafficGuard(), TrafficGuard(100, 5)], ids=["bare", "guard"])
def test_a_1m_short_window_alerts_and_its_generated_tests_pass(
    guard: TrafficGuard, tmp_path: Path
) -> None:
    """An event SLI's 1h/1m page row alerts (one owner decides, as for the dashboards);
    its tests sample every 15s so a 1m ``rate()`` has samples in Prometheus 2 and 3."""
    promtool = _tool("promtool", "prometheus")
    [checkout] = _services("demo-checkout")
    service = replace(checkout, slos=(checkout.slos[0],))
    tests = _write_pair([service], tmp_path, policy_of=lambda svc, slo: FAST._replace(guard=guard))
    assert "ratio_rate1m" in (tmp_path / "rules.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(tests.read_text(encoding="utf-8"))
    assert {t["interval"] for t in doc["tests"]} == {"15s"}
    assert any("all bad" in t["name"] for t in doc["tests"]) == guard.active
    result = _run([promtool, "test", "rules", tests.name], tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

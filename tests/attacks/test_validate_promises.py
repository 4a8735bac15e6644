"""validate exit 0 means the rest accepts the project: validate-ok ⇒ every generator
writes its files ⇒ ``promtool check rules`` accepts the rules (and the per-SLO rules of
the rule tests). Checked on the good corpus and on specs hypothesis makes up, with names,
label names and annotation keys drawn from hostile alphabets and lengths.

promtool is Debian's (installed by ``make services``); without it these tests fail.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sloscope.spec.outputs import MAX_FILE_NAME_BYTES
from sloscope.workspace import Workspace

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("prometheus", "prometheus-tests", "grafana", "alertmanager", "openslo")
CONFIG = """\
budget_policies:
  - name: strict
    steps: [{consumed: 25, action: notify}, {consumed: 75, action: freeze}]
"""


def _promtool() -> str:
    found = shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None
    )
    if found is None:
        pytest.fail("promtool is not installed; run 'make services'", pytrace=False)
    return found


def promise_holds(root: Path, promtool: str) -> bool:
    """Assert validate-ok ⇒ generate-ok ⇒ promtool-ok for the workspace at ``root``;
    whether validate accepted it (False: nothing was promised)."""
    ws = Workspace.open(root)
    if ws.validate().errors:
        return False
    rule_files: list[Path] = []
    out = root / "out"
    out.mkdir()
    for kind in KINDS:
        generated = ws.generate(
            kind, exhausted_alert=True, dashboard_url="https://g/d/{dashboard_uid}"
        )
        for name, text in generated.files.items():
            assert len(name.encode()) <= MAX_FILE_NAME_BYTES, name
            path = out / kind / name
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if kind == "prometheus" or name.endswith(".rules.yaml"):
                rule_files.append(path)
    result = subprocess.run(
        [promtool, "check", "rules", *map(str, rule_files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return True


def test_the_good_corpus_validates_generates_and_passes_promtool(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tests" / "specs" / "good", tmp_path / "slos")
    (tmp_path / "sloscope.yaml").write_text(CONFIG, encoding="utf-8")
    assert promise_holds(tmp_path, _promtool())


# --- specs made up by hypothesis ---------------------------------------------------------

#: Hostile characters (space, newline, tab, ESC, NUL, non-ASCII, '/', ':') among plain ones.
_CHARS = st.sampled_from([*"abcxyz09-_.", " ", "\n", "\t", "\x1b", "\x00", "é", "/", ":"])
_valid_names = st.from_regex(r"[a-z][a-z0-9.-]{0,10}[a-z0-9]", fullmatch=True)
_long_names = st.text(st.sampled_from("abc"), min_size=100, max_size=127)  # file names
_hostile = st.text(_CHARS, min_size=1, max_size=12)


def _mostly(plausible: st.SearchStrategy[str], hostile: st.SearchStrategy[str]) -> Any:
    """``hostile`` one time in eight (one_of picks a branch uniformly), so about half of
    the made-up specs pass validate and go on to generate and promtool."""
    return st.one_of(*[plausible] * 7, hostile)


_names = _mostly(st.one_of(_valid_names, _valid_names, _long_names), _hostile)
_keys = _mostly(
    st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), st.text(_CHARS, min_size=1, max_size=10)
)
_regexes = _mostly(
    st.sampled_from(["5..", "\\pN+", "[[:digit:]]+", "(x+x+)+y|x{30}z", "a|b"]),
    st.sampled_from(["(?=5)", "\\Z", "(5)\\1"]),
)


_plausible_names = st.one_of(_valid_names, _valid_names, _long_names)
_plausible_keys = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
_plausible_regexes = st.sampled_from(["5..", "\\pN+", "[[:digit:]]+", "(x+x+)+y|x{30}z", "a|b"])


@st.composite
def _specs(
    draw: st.DrawFn,
    _names: st.SearchStrategy[str] = _names,
    _keys: st.SearchStrategy[str] = _keys,
    _regexes: st.SearchStrategy[str] = _regexes,
) -> dict[str, Any]:
    journey = draw(_names)
    slos = []
    for index in range(draw(st.integers(1, 2))):
        slos.append(
            {
                "name": draw(_names) + str(index),
                "journey": journey,
                "objective": draw(st.sampled_from([90, 99, 99.5, 99.9])),
                "window": draw(st.sampled_from(["7d", "28d", "30d"])),
                "labels": draw(st.dictionaries(_keys, st.text(_CHARS, max_size=5), max_size=1)),
                "sli": {
                    "ratio": {
                        "good": f'req_total{{code=~"{draw(_regexes)}"}}'.replace("\\", "\\\\"),
                        "total": "req_total",
                    }
                },
                "alerting": {
                    "labels": draw(st.dictionaries(_keys, st.just("x"), max_size=1)),
                    "annotations": draw(st.dictionaries(_keys, st.just("y"), max_size=1)),
                },
            }
        )
    return {
        "apiVersion": "sloscope/v1",
        "kind": "Service",
        "metadata": {
            "name": draw(_names),
            "owner": "team",
            "labels": draw(st.dictionaries(_keys, st.just("z"), max_size=1)),
        },
        "spec": {"journeys": [{"name": journey}], "slos": slos},
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=_specs())
def test_whatever_validate_accepts_generates_and_passes_promtool(spec: dict[str, Any]) -> None:
    _check(spec)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=_specs(_plausible_names, _plausible_keys, _plausible_regexes))
def test_plausible_specs_validate_generate_and_pass_promtool_unless_a_name_is_too_long(
    spec: dict[str, Any],
) -> None:
    accepted = _check(spec)
    too_long = any(
        len(spec["metadata"]["name"]) + len(slo["name"]) + 12 > 255 for slo in spec["spec"]["slos"]
    )
    assert accepted != too_long


def _check(spec: dict[str, Any]) -> bool:
    promtool = _promtool()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "slos").mkdir()
        (root / "slos" / "service.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
        return promise_holds(root, promtool)

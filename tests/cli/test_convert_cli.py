"""``sloscope convert`` as a user runs it: files per service, warnings as comments, exit 2
on specs that do not load."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import CliRunner

MIGRATE = Path(__file__).parent.parent / "specs" / "migrate"


def test_convert_writes_native_specs_that_validate(sloscope: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "converted"
    result = sloscope(
        "convert",
        str(MIGRATE / "sloth" / "routing.yml"),
        str(MIGRATE / "pyrra" / "ratio-grouping.yaml"),
        "--out",
        str(out),
        "-w",
        str(tmp_path),
    )
    assert result.code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["checkout.yaml", "storefront.yaml"]
    assert "group_by:\n    - handler" in (out / "storefront.yaml").read_text()
    check = sloscope("validate", str(out), "-w", str(tmp_path))
    assert check.code == 0, check.stderr
    assert "2 service(s), 3 SLO(s): 0 error(s)" in check.stderr


def test_convert_to_openslo_prints_to_stdout(sloscope: CliRunner, tmp_path: Path) -> None:
    result = sloscope(
        "convert",
        str(MIGRATE / "sloth" / "k8s-routing.yaml"),
        "--to",
        "openslo",
        "-w",
        str(tmp_path),
    )
    assert result.code == 0, result.stderr
    assert "apiVersion: openslo/v1" in result.stdout
    assert "sloscope.dev/alert-name: InventoryStockReadsBurn" in result.stdout


def test_convert_of_a_spec_that_does_not_load_exits_2(sloscope: CliRunner, tmp_path: Path) -> None:
    bad = MIGRATE / "slo-generator" / "bad" / "slo_frontend_cloud_monitoring.yaml"
    result = sloscope("convert", str(bad), "-w", str(tmp_path))
    assert result.code == 2
    assert "slo-generator backend 'cloud_monitoring/prod'" in result.stderr


def test_misspelt_keys_are_warnings_and_strict_validation_fails_on_them(
    sloscope: CliRunner, tmp_path: Path
) -> None:
    typos = str(MIGRATE / "openslo" / "v1-dangling-refs-and-typos.yaml")
    lenient = sloscope("validate", typos, "-w", str(tmp_path))
    assert lenient.code == 0, lenient.stderr
    assert "unknown key 'descripton' in spec; ignored (hint: did you mean 'description'?)" in (
        lenient.stderr
    )
    assert sloscope("validate", "--strict", typos, "-w", str(tmp_path)).code == 1

"""Loading spec files: good specs load cleanly, each bad spec gives its one exact error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sloscope.errors import Problem, SpecError
from sloscope.spec.load import LoadResult, load_paths, load_text

ROOT = Path(__file__).resolve().parents[3]
SPECS = ROOT / "tests" / "specs"
EXPECT = re.compile(rb"^# expect (\d+):(\d+) (.+)$", re.MULTILINE)


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _bad_cases() -> list[tuple[str, str, int, int, str]]:
    """(path to load, file named in the error, line, column, message) from each bad file."""
    cases = []
    for file in sorted((SPECS / "bad").rglob("*.y*ml")):
        match = EXPECT.search(file.read_bytes())
        if match is None:
            continue  # a helper file of a folder case (duplicate-service/a.yaml)
        target = file.parent if file.parent.name != "bad" else file
        line, column = int(match.group(1)), int(match.group(2))
        cases.append((_relative(target), _relative(file), line, column, match.group(3).decode()))
    return cases


BAD = _bad_cases()


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Problems name files as given; relative names keep the expectations readable.
    monkeypatch.chdir(ROOT)


def test_every_bad_spec_file_names_its_expected_error() -> None:
    files = {p.name for p in (SPECS / "bad").rglob("*.y*ml")}
    assert len(BAD) == len(files) - 1  # all but the helper a.yaml of duplicate-service/
    assert len(BAD) >= 24


@pytest.mark.parametrize(
    ("target", "file", "line", "column", "message"), BAD, ids=[c[1] for c in BAD]
)
def test_bad_spec_gives_one_error_at_its_exact_position(
    target: str, file: str, line: int, column: int, message: str
) -> None:
    result = load_paths([target])
    assert len(result.errors) == 1, [str(p) for p in result.errors]
    error = result.errors[0]
    where = f"{file}:{line}:{column}" if line else file
    assert str(error).startswith(f"{where}: error: "), str(error)
    assert message in str(error)


def test_every_good_spec_loads_without_errors() -> None:
    result = load_paths([SPECS / "good"])
    assert result.errors == ()
    assert [s.name for s in result.services] == [
        "checkout",
        "search",
        "web",
        "payments",
        "home-wifi",
        "myservice",
    ]
    assert sum(len(s.slos) for s in result.services) == 11


def test_good_specs_are_read_in_sorted_order_including_subfolders() -> None:
    result = load_paths(["tests/specs/good"])
    assert result.files == (
        "tests/specs/good/native-checkout.yaml",
        "tests/specs/good/openslo-inline.yaml",
        "tests/specs/good/openslo-multifile/service.yaml",
        "tests/specs/good/openslo-multifile/slo.yaml",
        "tests/specs/good/sloth-k8s.yaml",
        "tests/specs/good/sloth-plain.yml",
    )


def test_examples_load_without_errors() -> None:
    result = load_paths([ROOT / "examples" / "openslo", ROOT / "examples" / "sloth"])
    assert result.errors == ()
    slos = {s.name: [o.name for o in s.slos] for s in result.services}
    assert slos == {
        "checkout": ["place-order-availability", "place-order-latency"],
        "identity": ["login-availability"],
        "search": ["search-availability", "search-latency"],
    }


def test_a_file_over_10_mib_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    # 50 MB of valid YAML: parsing it would take minutes, refusing it takes no time.
    line = b"# padding padding padding padding padding padding padding padding padding\n"
    with big.open("wb") as out:
        out.write(b"apiVersion: sloscope/v1\n")
        out.write(line * (50_000_000 // len(line)))
    result = load_paths([big])
    assert len(result.errors) == 1
    assert str(result.errors[0]) == (
        f"{big}: error: file is 47.7 MiB, larger than the 10 MiB a spec file may be "
        "(hint: spec files are small YAML files; split it or check that the path is a spec)"
    )


def test_every_problem_of_every_file_is_reported_in_one_run() -> None:
    result = load_paths(["tests/specs/bad"])
    rendered = [str(p) for p in result.errors]
    for target, file, line, column, message in BAD:
        if target != file:
            continue  # folder cases: which file comes first differs in the combined run
        where = f"{file}:{line}:{column}" if line else file
        assert any(r.startswith(f"{where}: error: ") and message in r for r in rendered), file


def test_missing_path_and_empty_folder_are_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = load_paths([tmp_path / "nope.yaml", tmp_path / "empty"])
    assert [p.message for p in result.errors] == [
        "no such file or folder",
        "folder has no spec files",
    ]


def test_hidden_folders_are_skipped_and_a_file_given_twice_is_read_once(
    tmp_path: Path,
) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ci.yml").write_text("on: push\n")
    spec = tmp_path / "a.yaml"
    spec.write_text(
        "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: a}\nspec: {slos: []}\n"
    )
    result = load_paths([tmp_path, spec])
    assert result.files == (str(spec),)
    assert result.errors == ()


def test_load_text_reads_every_document_and_names_the_file() -> None:
    text = (
        "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: a}\nspec: {slos: []}\n"
        "---\n"
        "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: b}\nspec: {slos: []}\n"
    )
    result = load_text(text, "stdin.yaml")
    assert [s.name for s in result.services] == ["a", "b"]
    assert result.errors == ()
    assert [str(w) for w in result.warnings] == [
        "stdin.yaml:4:14: warning: service 'a' declares no SLOs",
        "stdin.yaml:9:14: warning: service 'b' declares no SLOs",
    ]


def test_load_text_refuses_nul_bytes_as_a_binary_file() -> None:
    result = load_text("a: 1\x00", "x.yaml")
    assert result.errors[0].message == "binary file (it contains NUL bytes), not a YAML spec"


def test_documents_before_a_syntax_error_still_load() -> None:
    text = (
        "apiVersion: sloscope/v1\nkind: Service\nmetadata: {name: a}\nspec: {slos: []}\n---\nx: [\n"
    )
    result = load_text(text, "x.yaml")
    assert [s.name for s in result.services] == ["a"]
    assert len(result.errors) == 1


def test_raise_for_errors_carries_every_problem() -> None:
    result = load_text("kind: Service\n", "x.yaml")
    with pytest.raises(SpecError) as caught:
        result.raise_for_errors()
    assert caught.value.problems == result.problems
    assert "x.yaml:1:1: error: document has no apiVersion" in str(caught.value)


def test_raise_for_errors_is_silent_with_only_warnings() -> None:
    result = LoadResult(
        services=(),
        problems=(Problem("x.yaml", 1, 1, "look", severity="warning"),),
        files=("x.yaml",),
    )
    result.raise_for_errors()
    assert result.errors == ()
    assert len(result.warnings) == 1


def test_an_unknown_openslo_version_lists_the_supported_ones() -> None:
    result = load_text("apiVersion: openslo/v2\nkind: SLO\n", "x.yaml")
    assert str(result.errors[0]) == (
        "x.yaml:1:13: error: unknown apiVersion 'openslo/v2' (hint: supported OpenSLO "
        "versions: openslo/v1alpha, openslo/v1, openslo.com/v2alpha)"
    )


def test_an_apiversion_that_is_a_list_is_an_unknown_apiversion_not_a_crash() -> None:
    result = load_text("apiVersion: [sloscope/v1]\nkind: Service\n", "x.yaml")
    assert [str(p).split(" (hint")[0] for p in result.problems] == [
        "x.yaml:1:13: error: unknown apiVersion ['sloscope/v1']"
    ]

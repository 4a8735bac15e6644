"""The telemetry's figures of the org report and of an incident's impact are reused
within the step (ServerContext.org_report, ServerContext.impact): a second request
reads no telemetry, while the records around them (incidents, deployments) are read on
every request, and a recorded step of an incident measures its impact afresh."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sloscope.records.incidents import advance_incident, record_deployment
from sloscope.records.org import org_report
from sloscope.report.org.render import org_rows
from sloscope.workspace import Workspace
from tests.server.conftest import AT, NOW, Serve, Served


@pytest.fixture
def counted(
    serve: Serve, recorded_root: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Served, list[int]]:
    """A server over the recorded workspace, and a list that grows by one each time it
    opens its telemetry source."""
    served = serve(public_read=True)
    opened: list[int] = []
    workspace = served.ctx.workspace
    original = workspace.source

    def source() -> object:
        opened.append(1)
        return original()

    monkeypatch.setattr(workspace, "source", source)
    return served, opened


def _impact(html: str) -> list[str]:
    start = html.index('id="impact-h"')
    section = html[start : html.find("</section>", start)]
    return re.findall(r"\d+\.\d%", section)


def test_a_second_incident_page_in_the_step_reads_no_telemetry_and_a_new_step_does(
    counted: tuple[Served, list[int]], recorded_root: Path
) -> None:
    served, reads = counted
    first = served.client.get("/incidents/2").text
    assert len(reads) == 1
    assert "29.8%" in _impact(first)
    again = served.client.get("/incidents/2").text
    assert len(reads) == 1
    assert _impact(again) == _impact(first)
    # The API's impact (no burn-down) is measured once too, apart from the page's.
    api = [served.client.get("/api/v1/incidents/2").json() for _ in range(2)]
    assert len(reads) == 2
    assert api[0] == api[1]
    assert api[0]["impact"][0]["budget_consumed"] == pytest.approx(0.298, abs=5e-4)
    # Mitigated: the record shows at once, and the impact is measured again, up to the
    # mitigation (fewer minutes of errors, less budget).
    advance_incident(
        Workspace.open(recorded_root), 2, "mitigated", at=AT - 1200, by="ana", note="rolled back"
    )
    mitigated = served.client.get("/incidents/2").text
    assert len(reads) == 3
    assert "rolled back" in mitigated
    assert _impact(mitigated) != _impact(first)
    # The next step measures an open incident up to its new end.
    served.client.get("/incidents/2")
    assert len(reads) == 3
    served.ctx.clock = lambda: float(NOW + 60)
    served.client.get("/incidents/2")
    assert len(reads) == 4


def test_a_second_org_report_reads_no_telemetry_but_shows_new_records(
    counted: tuple[Served, list[int]], recorded_root: Path
) -> None:
    served, reads = counted
    first = served.client.get("/org").text
    assert len(reads) == 1
    api = served.client.get("/api/v1/report/org", params={"to": str(NOW)})
    assert api.status_code == 200
    assert len(reads) == 1  # the same step and range as the page: the same figures
    ws = Workspace.open(recorded_root)
    record_deployment(ws, "checkout", version="v9", at=AT - 7200, by="ci", now=NOW)
    advance_incident(ws, 2, "resolved", at=AT - 600, by="ana")
    second = served.client.get("/org").text
    assert len(reads) == 1
    assert second != first
    figures = org_report(ws, begin=NOW - 7 * 86_400, end=NOW)
    for name, value in org_rows(figures):
        assert f"<tr><td>{name}</td><td>{value}</td></tr>" in second
    # Another range is another lookback: measured apart.
    served.client.get("/org", params={"from": "2026-11-19T00:00:00Z"})
    assert len(reads) == 2


def test_new_telemetry_forgets_the_cached_figures(
    counted: tuple[Served, list[int]], recorded_root: Path
) -> None:
    served, reads = counted
    served.client.get("/org")
    served.client.get("/incidents/2")
    assert len(reads) == 2
    served.ctx.telemetry_changed()
    served.client.get("/org")
    served.client.get("/incidents/2")
    assert len(reads) == 4

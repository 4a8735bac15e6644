"""The dashboard's pages over the state store's records: alerts (and silencing one),
incidents, gate decisions and the audit log, the org report, and the SLO page's
annotations, alert history and group choice. Markup in any record is shown as text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sloscope.records.incidents import record_deployment
from sloscope.workspace import Workspace
from tests.cli.conftest import CliRunner
from tests.server.conftest import AT, DEPLOYED_AT, GROUPED, NOW, SCRIPT, Serve, Served

NEW_PAGES = ("/alerts", "/incidents", "/incidents/1", "/incidents/2", "/gates", "/org")
SLO_PAGE = "/services/checkout/slos/orders-availability"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _login(served: Served, scope: str) -> None:
    answer = served.client.post("/login", data={"token": served.tokens[scope]})
    assert answer.status_code == 200


def _key(html: str, service: str, severity: str) -> str:
    """The dedup key of the alert row of ``service`` with ``severity`` in a table."""
    rows = re.findall(r'(<tr data-alert="([0-9a-f]{64})".*?</tr>)', html, flags=re.S)
    for text, key in rows:
        if f">{service} / " in text and f">{severity}</td>" in text:
            return key
    raise AssertionError(f"no {severity} alert of {service} in the page")


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


@pytest.mark.parametrize("path", [*NEW_PAGES, SLO_PAGE])
def test_every_page_needs_a_read_session_unless_public_read(
    serve: Serve, recorded_root: Path, path: str
) -> None:
    served = serve()
    answer = served.client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
    _login(served, "read")
    assert served.client.get(path).status_code == 200


@pytest.mark.parametrize("path", [*NEW_PAGES, SLO_PAGE])
def test_a_service_named_script_renders_as_text_on_every_page(
    serve: Serve, recorded_root: Path, path: str
) -> None:
    html = serve(public_read=True).client.get(path).text
    assert SCRIPT not in html
    assert "<script>" not in html
    assert ESCAPED in html or "\\u003cscript\\u003e" in html
    # No page runs a script of its own but the static charts.
    scripts = re.findall(r"<script[^>]*>", html)
    assert set(scripts) <= {
        '<script src="/static/vendor/uplot/uPlot.iife.min.js">',
        '<script src="/static/charts.js">',
        '<script type="application/json" id="chart-marks">',
    }


def test_the_navigation_links_every_page(serve: Serve, recorded_root: Path) -> None:
    html = serve(public_read=True).client.get("/gates").text
    nav = html[html.index('<nav aria-label="Main">') : html.index("</nav>")]
    for href in ("/", "/alerts", "/silences", "/incidents", "/gates", "/org"):
        assert f'href="{href}"' in nav
    assert 'href="/gates" aria-current="page"' in nav


def test_the_alerts_page_lists_firing_alerts_with_slo_severity_burn_and_start(
    serve: Serve, recorded_root: Path
) -> None:
    html = serve(public_read=True).client.get("/alerts").text
    firing = _section(html, "firing-h")
    assert firing.count("<tr data-alert=") == 3
    assert f'href="{SLO_PAGE}"' in firing
    assert "47.62x" in firing  # the page's burn rate when it fired
    assert "2026-11-20T12:00:00Z" in firing
    assert "No firing alert is silenced." in _section(html, "silenced-h")
    history = _section(html, "history-h")
    assert history.count('data-change="firing"') == 3
    # Public read may look, not act: the silence form needs a write session.
    assert "Silence this alert" not in html


def test_a_write_session_silences_a_firing_alert_and_it_shows_as_silenced(
    serve: Serve, recorded_root: Path
) -> None:
    served = serve()
    _login(served, "write")
    html = served.client.get("/alerts").text
    assert html.count("Silence this alert") == 3
    key = _key(html, "checkout", "page")
    answer = served.client.post(
        f"/alerts/{key}/silence",
        data={"duration": "1h", "comment": f"on it {SCRIPT}"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/alerts"
    after = served.client.get("/alerts").text
    silenced = _section(after, "silenced-h")
    assert f'data-alert="{key}" data-state="silenced"' in silenced
    assert "silence 1" in silenced
    assert _section(after, "firing-h").count("<tr data-alert=") == 2
    # The silence is the alert's exactly: its service, SLO and severity, by the session.
    listed = served.client.get("/api/v1/silences", headers=served.auth("read")).json()
    (silence,) = listed["items"]
    assert silence["matchers"] == [
        "service=checkout",
        "slo=orders-availability",
        "severity=page",
    ]
    assert silence["author"] == "write-bot-0"
    assert silence["comment"] == f"on it {SCRIPT}"
    assert silence["ends_at"] == "2026-11-20T13:00:30Z"


def test_silencing_needs_a_write_session_and_a_firing_alert(
    serve: Serve, recorded_root: Path
) -> None:
    served = serve()
    _login(served, "read")
    key = _key(served.client.get("/alerts").text, "checkout", "ticket")
    form = {"duration": "1h", "comment": "c"}
    assert served.client.post(f"/alerts/{key}/silence", data=form).status_code == 403
    anonymous = serve(public_read=True)
    assert anonymous.client.post(f"/alerts/{key}/silence", data=form).status_code == 401
    _login(served, "write")
    elsewhere = served.client.post(
        f"/alerts/{key}/silence", data=form, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    missing = served.client.post(f"/alerts/{'0' * 64}/silence", data=form)
    assert missing.status_code == 404
    assert served.client.post(f"/alerts/{key}/silence", data={"duration": "1h"}).status_code == 422
    bad = served.client.post(f"/alerts/{key}/silence", data={"duration": "soon", "comment": "c"})
    assert bad.status_code == 400
    assert served.client.post("/alerts/not-a-key/silence", data=form).status_code == 422


def test_a_write_session_acknowledges_a_firing_alert_and_it_shows_acknowledged(
    serve: Serve, recorded_root: Path
) -> None:
    public = serve(public_read=True).client.get("/alerts").text
    assert ">Acknowledge</button>" not in public  # reading is not acting
    served = serve()  # the second server: its tokens are named *-bot-1
    _login(served, "write")
    html = served.client.get("/alerts").text
    assert html.count(">Acknowledge</button>") == 3
    key = _key(html, "checkout", "page")
    answer = served.client.post(
        f"/alerts/{key}/ack", data={"comment": f"mine {SCRIPT}"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/alerts"
    after = served.client.get("/alerts").text
    row = re.search(rf'<tr data-alert="{key}".*?</tr>', after, flags=re.S)
    assert row is not None
    assert "by write-bot-1 at 2026-11-20T12:00:30Z" in row.group(0)
    assert "Acknowledge</button>" not in row.group(0)
    assert after.count(">Acknowledge</button>") == 2
    api = served.client.get(f"/api/v1/alerts/{key}", headers=served.auth("read")).json()
    assert (api["acked_by"], api["acked_at"]) == ("write-bot-1", "2026-11-20T12:00:30Z")
    audit = served.client.get("/api/v1/audit", headers=served.auth("read")).json()["items"]
    assert (audit[0]["kind"], audit[0]["reason"]) == ("ack", f"mine {SCRIPT}")
    assert SCRIPT not in served.client.get("/gates").text  # the audit table escapes it


def test_acknowledging_needs_a_write_session_the_same_origin_and_a_firing_alert(
    serve: Serve, recorded_root: Path
) -> None:
    served = serve()
    _login(served, "read")
    key = _key(served.client.get("/alerts").text, "checkout", "ticket")
    assert served.client.post(f"/alerts/{key}/ack").status_code == 403
    anonymous = serve(public_read=True)
    assert anonymous.client.post(f"/alerts/{key}/ack").status_code == 401
    _login(served, "write")
    elsewhere = served.client.post(f"/alerts/{key}/ack", headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    assert served.client.post(f"/alerts/{'0' * 64}/ack").status_code == 404
    assert served.client.post("/alerts/not-a-key/ack").status_code == 422
    api = served.client.get(f"/api/v1/alerts/{key}", headers=served.auth("read")).json()
    assert api["acked_at"] is None


def test_the_incidents_list_links_each_incident_and_its_slos(
    serve: Serve, recorded_root: Path
) -> None:
    html = serve(public_read=True).client.get("/incidents").text
    assert html.count("<tr data-incident=") == 2
    # Newest opened first: incident 1 opened at 11:45, incident 2 (recorded later) at 11:30.
    assert html.index('data-incident="1"') < html.index('data-incident="2"')
    assert 'href="/incidents/2"' in html
    assert f'href="{SLO_PAGE}"' in html
    only = serve(public_read=True).client.get("/incidents", params={"state": "open"}).text
    assert only.count("<tr data-incident=") == 1


def test_the_incident_page_shows_timeline_impact_and_the_postmortem_as_text(
    serve: Serve, recorded_root: Path
) -> None:
    served = serve(public_read=True)
    html = served.client.get("/incidents/2").text
    impact = _section(html, "impact-h")
    assert 'data-impact="orders-availability"' in impact
    assert "29.8%" in impact  # of the error budget
    assert "3.0" in impact  # minutes of full outage
    timeline = _section(html, "timeline-h")
    kinds = re.findall(r'data-kind="(\w+)"', timeline)
    assert kinds == ["deploy", "incident", "incident", "alert", "alert", "exception"]
    assert "rollback release of v1.5.0 by release-bot: roll back " + ESCAPED in timeline
    postmortem = html[html.index('<pre class="postmortem">') : html.index("</pre>")]
    assert "# Postmortem: incident 2: orders fail " + ESCAPED in postmortem
    assert "| orders-availability | 29.8% | 3.0 |" in postmortem
    assert "<" not in postmortem[1:].replace("&lt;", "")  # no markup inside, only text
    # An incident of a service no longer in the specs still shows its record.
    gone = served.client.get("/incidents/1")
    assert gone.status_code == 200
    assert "Impact and postmortem unavailable" in gone.text
    assert served.client.get("/incidents/99").status_code == 404
    assert served.client.get("/incidents/0").status_code == 422


def test_the_gates_page_lists_decisions_and_the_audit_log(
    serve: Serve, recorded_root: Path
) -> None:
    html = serve(public_read=True).client.get("/gates").text
    gates = _section(html, "gates-h")
    assert re.findall(r'data-decision="(\w+)"', gates) == ["warn", "freeze"]  # newest first
    assert "v1.5.0" in gates
    assert "rollback: roll back " + ESCAPED in gates
    assert "release-bot" in gates
    assert "exception &#39;rollback&#39; was not needed" in gates
    audit = _section(html, "audit-h")
    assert audit.count("<tr data-audit=") == 2
    assert "exception" in audit
    assert "override" in audit


def test_the_gates_page_pages_through_a_long_audit_log(serve: Serve, recorded_root: Path) -> None:
    from sloscope.store.audit import AuditLog

    served = serve(public_read=True)
    with served.ctx.store.transaction() as session:
        for n in range(60):
            AuditLog(session).append(
                at=AT + n, kind="override", service="checkout", by=f"u{n}", reason="r"
            )
    first = served.client.get("/gates").text
    assert _section(first, "audit-h").count("<tr data-audit=") == 50
    assert ">u59<" in first
    assert ">u9<" not in first
    assert 'href="?gates_page=1&amp;audit_page=2"' in first
    second = served.client.get("/gates", params={"audit_page": 2}).text
    assert _section(second, "audit-h").count("<tr data-audit=") == 12
    assert ">u9<" in second
    assert ">u10<" not in second
    assert "Older" not in _section(second, "audit-h")
    assert served.client.get("/gates", params={"audit_page": 0}).status_code == 422


def test_the_org_page_shows_the_org_reports_figures_and_charts(
    serve: Serve, recorded_root: Path
) -> None:
    from sloscope.records.org import org_report
    from sloscope.report.org.render import org_rows

    served = serve(public_read=True)
    html = served.client.get("/org").text
    figures = org_report(Workspace.open(recorded_root), begin=NOW - 7 * 86_400, end=NOW)
    for name, value in org_rows(figures):
        assert f"<tr><td>{name}</td><td>{value}</td></tr>".replace("%", "%") in html
    assert html.count("<svg") == 3
    assert "Services without SLOs: " + ESCAPED in html
    ranged = served.client.get("/org", params={"from": "2026-11-19T00:00:00Z"}).text
    assert "2026-11-19T00:00:00Z to 2026-11-20T12:00:30Z" in ranged
    assert served.client.get("/org", params={"from": "yesterday-ish"}).status_code == 400
    assert served.client.get("/org", params={"from": "2026-01-01T00:00:00Z"}).status_code == 400


def test_the_slo_page_marks_deployments_and_incidents_and_lists_its_alert_history(
    serve: Serve, recorded_root: Path
) -> None:
    served = serve(public_read=True)
    html = served.client.get(SLO_PAGE).text
    marks = re.findall(r'<tr data-mark="(\w+)">', html)
    assert marks == ["deploy", "incident"]
    assert (
        f'{{"at": {DEPLOYED_AT}, "href": null, "kind": "deploy", "label": "deploy v1.4.0"}}' in html
    )
    history = _section(html, "history-h")
    assert re.findall(r'data-change="(\w+)"', history) == ["firing", "firing"]
    # A deployment outside the chart's window (before the 7d window began) is not drawn.
    record_deployment(
        Workspace.open(recorded_root),
        "checkout",
        version="v0",
        at=AT - 8 * 86_400,
        by="ci",
        now=NOW,
    )
    assert re.findall(r'<tr data-mark="(\w+)">', served.client.get(SLO_PAGE).text) == marks


def test_an_ungrouped_slo_has_no_group_choice_and_an_unknown_group_is_404(
    serve: Serve, recorded_root: Path
) -> None:
    served = serve(public_read=True)
    assert 'name="group"' not in served.client.get(SLO_PAGE).text
    missing = served.client.get(SLO_PAGE, params={"group": '{route="/x"}'})
    assert missing.status_code == 404


def test_the_page_of_a_grouped_slo_shows_the_group_the_user_picks(
    serve: Serve, served_root: Path
) -> None:
    (served_root / "slos" / "edge.yaml").write_text(GROUPED, encoding="utf-8")
    served = serve(public_read=True)
    page = "/services/edge/slos/by-code"
    first = served.client.get(page).text
    options = re.findall(r'<option value="([^"]*)"( selected)?>', first)
    assert options == [("{code=&#34;200&#34;}", " selected"), ("{code=&#34;500&#34;}", "")]
    assert "shown for group <strong>{code=&#34;200&#34;}</strong> (2 groups)" in first
    assert "<dt>SLI</dt><dd>100%</dd>" in first.replace(".00%", "%")
    chosen = served.client.get(page, params={"group": '{code="500"}'}).text
    assert "shown for group <strong>{code=&#34;500&#34;}</strong>" in chosen
    assert '<option value="{code=&#34;500&#34;}" selected>' in chosen
    assert "<dt>SLI</dt><dd>0%</dd>" in chosen.replace(".00%", "%")
    # The charts fetch the history of the group the page shows.
    assert 'data-group="{code=&#34;500&#34;}"' in chosen
    assert 'data-group="{code=&#34;200&#34;}"' in first


def test_a_groups_history_is_its_own_and_ends_at_its_report_figures(
    serve: Serve, served_root: Path, sloscope: CliRunner
) -> None:
    (served_root / "slos" / "edge.yaml").write_text(GROUPED, encoding="utf-8")
    served = serve(public_read=True)
    url = "/api/v1/services/edge/slos/by-code/history"

    def history(**params: str) -> dict[str, Any]:
        answer = served.client.get(url, params={"at": str(AT), "width": "2000", **params})
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    run = sloscope("report", "-w", str(served_root), "--at", str(AT), "--service", "edge", "--json")
    assert run.code == 0, run.stderr
    entries = {json.dumps(e["group"]): e for e in json.loads(run.stdout)["slos"]}
    overall = history()
    assert overall["group"] is None
    for code in ("200", "500"):
        one = history(group=f'{{code="{code}"}}')
        entry = entries[json.dumps({"code": code})]
        assert one["group"] == f'{{code="{code}"}}'
        assert one["sli"][-1] == pytest.approx(entry["sli"], abs=1e-8)
        assert one["budget_consumed"][-1] == pytest.approx(
            entry["error_budget"]["consumed"], abs=1e-6
        )
        assert one["burn_rates"]["5m"][-1] == pytest.approx(entry["burn_rates"]["5m"], abs=1e-4)
        assert one["sli"][-1] != overall["sli"][-1]
    # 10% of the requests failed over the last 30 minutes: the 500s group failed all of
    # its requests, the 200s none, the SLO over both a tenth.
    assert entries[json.dumps({"code": "500"})]["sli"] == 0.0
    assert entries[json.dumps({"code": "200"})]["sli"] == 1.0
    assert 0.0 < overall["sli"][-1] < 1.0


def test_the_history_of_an_unknown_group_is_a_404_problem(serve: Serve, served_root: Path) -> None:
    (served_root / "slos" / "edge.yaml").write_text(GROUPED, encoding="utf-8")
    served = serve(public_read=True)
    for url, group in (
        ("/api/v1/services/edge/slos/by-code/history", '{code="404"}'),
        (f"/api/v1{SLO_PAGE}/history", '{code="200"}'),  # an ungrouped SLO has no group
    ):
        answer = served.client.get(url, params={"group": group})
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert f"has no group {group!r}" in answer.json()["detail"]
    detail = served.client.get(
        "/api/v1/services/edge/slos/by-code/history", params={"group": '{code="404"}'}
    ).json()["detail"]
    assert 'its groups: {code="200"}, {code="500"}' in detail

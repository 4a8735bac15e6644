"""The dashboard's pages as HTML: login and session, filters, escaping, silence forms."""

from __future__ import annotations

import re

from tests.server.conftest import Serve, Served

SCRIPT = "<script>alert(1)</script>"


def _login(served: Served, scope: str) -> None:
    answer = served.client.post(
        "/login", data={"token": served.tokens[scope], "next": "/silences"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/silences"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("sloscope_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert served.tokens[scope] not in cookie


def test_pages_send_a_visitor_without_a_session_to_the_login_form(served: Served) -> None:
    answer = served.client.get(
        "/services/checkout/slos/orders-availability", follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/login?next=%2Fservices%2Fcheckout%2Fslos%2Forders-availability"
    )


def test_a_wrong_token_in_the_login_form_sets_no_cookie(served: Served) -> None:
    answer = served.client.post("/login", data={"token": "slo_wrong"}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?failed=true")
    assert "set-cookie" not in answer.headers


def test_login_never_redirects_to_another_site(served: Served) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = served.client.post(
            "/login",
            data={"token": served.tokens["read"], "next": target},
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/"


def test_the_overview_lists_every_slo_with_its_state_and_escapes_markup(serve: Serve) -> None:
    served = serve(public_read=True)
    page = served.client.get("/")
    assert page.status_code == 200
    html = page.text
    assert html.count('data-slo="') == 3
    assert "orders-availability" in html
    assert "charge-availability" in html
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Health and gate state each in a word, not only a colour.
    assert re.search(
        r'data-health="paging">\s*<td data-label="Status"><span class="state state-freeze">Paging<',
        html,
    )
    assert html.count(">No data</span>") == 4
    assert "<script" not in html.replace('<script src="/static/', "")


def test_the_overview_filters_by_service_owner_and_status(serve: Serve) -> None:
    served = serve(public_read=True)
    by_service = served.client.get("/", params={"service": "payments"}).text
    assert by_service.count('data-slo="') == 1
    by_owner = served.client.get("/", params={"owner": "team-payments"}).text
    assert by_owner.count('data-slo="') == 2
    by_status = served.client.get("/", params={"status": "nodata"}).text
    assert by_status.count('data-slo="') == 2  # the SLOs without data
    paging = served.client.get("/", params={"status": "paging"}).text
    assert paging.count('data-slo="') == 1
    assert "No SLO matches" in served.client.get("/", params={"service": "nope"}).text


def test_the_slo_page_shows_figures_reasons_runbook_and_chart_holders(serve: Serve) -> None:
    served = serve(public_read=True)
    html = served.client.get("/services/checkout/slos/orders-availability").text
    assert "99.9%" in html
    assert 'href="https://runbooks.example.com/checkout"' in html
    assert 'data-src="/api/v1/services/checkout/slos/orders-availability/history"' in html
    for chart in ("chart-sli", "chart-budget", "chart-burn"):
        assert f'id="{chart}"' in html
    assert '<script src="/static/vendor/uplot/uPlot.iife.min.js"></script>' in html
    assert "Exhausted in" in html
    missing = served.client.get("/services/checkout/slos/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_a_write_session_creates_and_expires_a_silence_through_the_forms(served: Served) -> None:
    _login(served, "write")
    created = served.client.post(
        "/silences",
        data={"matchers": f"service=checkout\nslo={SCRIPT}", "duration": "1h", "comment": SCRIPT},
        follow_redirects=False,
    )
    assert created.status_code == 303
    page = served.client.get("/silences").text
    assert page.count('data-silence="') == 1
    assert SCRIPT not in page
    assert "&lt;script&gt;" in page
    assert "write-bot-0" in page
    silence_id = re.search(r'data-silence="(\d+)"', page).group(1)  # type: ignore[union-attr]
    served.client.post(f"/silences/{silence_id}/expire", follow_redirects=False)
    assert 'data-silence="' not in served.client.get("/silences").text


def test_a_read_session_sees_silences_but_may_not_change_them(served: Served) -> None:
    _login(served, "read")
    page = served.client.get("/silences").text
    assert "Create silence" not in page
    refused = served.client.post(
        "/silences", data={"matchers": "a=b", "duration": "1h", "comment": "c"}
    )
    assert refused.status_code == 403


def test_a_form_posted_from_another_site_is_refused(served: Served) -> None:
    _login(served, "write")
    answer = served.client.post(
        "/silences",
        data={"matchers": "a=b", "duration": "1h", "comment": "c"},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403


def test_logging_out_ends_the_session(served: Served) -> None:
    _login(served, "read")
    assert served.client.get("/", follow_redirects=False).status_code == 200
    old = served.client.cookies["sloscope_session"]
    served.client.post("/logout", follow_redirects=False)
    assert served.client.get("/", follow_redirects=False).status_code == 303
    # The session is gone on the server too, not just from the browser.
    served.client.cookies.set("sloscope_session", old)
    assert served.client.get("/", follow_redirects=False).status_code == 303


def test_the_session_cookie_also_authorises_the_charts_api(served: Served) -> None:
    _login(served, "read")
    answer = served.client.get("/api/v1/services/checkout/slos/orders-availability/history")
    assert answer.status_code == 200

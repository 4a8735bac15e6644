"""Sloth's ``AlertWindows`` files as alert policies named ``sloth-<sloPeriod>``.

Sloth reads its burn-rate windows from ``AlertWindows`` (``apiVersion: sloth.slok.dev/v1``,
or the older ``version: "alertWindows/v1"`` with the keys at the top level), one file per
SLO period, and applies to each SLO the windows of its period. Here each becomes an alert
policy ``sloth-<sloPeriod>``: rows ``{severity, budget_percent, long, short}`` from
``page``/``ticket`` ``quick``/``slow``, whose factors sloscope derives with Sloth's own
formula (budget × SLO window ÷ long window). Sloth SLOs of that period get the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from sloscope.spec.durations import parse_duration
from sloscope.spec.fields import Context
from sloscope.spec.model import Origin, PolicyRow, SpecAlertPolicy
from sloscope.spec.sloth.keys import check_keys, mapping
from sloscope.spec.yamlpos import YamlPath

KIND = "AlertWindows"
LEGACY_VERSION = "alertWindows/v1"
_WINDOW_KEYS = {"errorBudgetPercent", "shortWindow", "longWindow"}


def policy_name(period: str) -> str:
    """The alert policy of one Sloth SLO period: ``sloth-30d``."""
    return f"sloth-{period}"


def period_path(data: Mapping[str, object]) -> YamlPath:
    """Where an AlertWindows document writes its sloPeriod."""
    return ("sloPeriod",) if data.get("version") == LEGACY_VERSION else ("spec", "sloPeriod")


def alert_windows(ctx: Context) -> tuple[str, SpecAlertPolicy] | None:
    """The SLO period and alert policy of one AlertWindows document; None after an error."""
    data = ctx.doc.data
    assert isinstance(data, Mapping)
    base: YamlPath = ()
    if data.get("version") == LEGACY_VERSION:
        check_keys(ctx, data, (), {"version", "sloPeriod", "page", "ticket"}, "AlertWindows")
        body: Mapping[str, object] | None = data
    else:
        check_keys(ctx, data, (), {"apiVersion", "kind", "metadata", "spec"}, "AlertWindows")
        base = ("spec",)
        body = mapping(ctx, base, data.get("spec"), "spec")
        if body is not None:
            check_keys(ctx, body, base, {"sloPeriod", "page", "ticket"}, "AlertWindows spec")
    if body is None:
        return None
    period = body.get("sloPeriod")
    if not isinstance(period, str) or not _duration(ctx, (*base, "sloPeriod"), period):
        ctx.error((*base, "sloPeriod") if "sloPeriod" in body else base, "sloPeriod: a duration")
        return None
    before = ctx.error_count()
    rows = [
        row
        for tier in ("page", "ticket")
        for row in _tier_rows(ctx, (*base, tier), body.get(tier), tier)
    ]
    if ctx.error_count() > before:
        return None
    policy = SpecAlertPolicy(
        name=policy_name(period.strip()),
        rows=tuple(rows),
        description=f"Sloth AlertWindows for a {period.strip()} SLO period",
        origin=Origin(ctx.doc.file, ctx.doc.pos((*base, "sloPeriod")).line),
    )
    return period.strip(), policy


def _tier_rows(ctx: Context, path: YamlPath, raw: object, tier: str) -> list[PolicyRow]:
    """The ``quick`` and ``slow`` rows of ``page`` or ``ticket``."""
    data = mapping(ctx, path, raw, tier)
    if data is None:
        return []
    check_keys(ctx, data, path, {"quick", "slow"}, tier)
    rows: list[PolicyRow] = []
    for speed in ("quick", "slow"):
        row = mapping(ctx, (*path, speed), data.get(speed), f"{tier}.{speed}")
        if row is None:
            continue
        check_keys(ctx, row, (*path, speed), _WINDOW_KEYS, f"{tier}.{speed}")
        built = _row(ctx, (*path, speed), row, tier)
        if built is not None:
            rows.append(built)
    return rows


def _row(ctx: Context, path: YamlPath, row: Mapping[str, object], tier: str) -> PolicyRow | None:
    percent = row.get("errorBudgetPercent")
    short, long = row.get("shortWindow"), row.get("longWindow")
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 < percent <= 100:
        ctx.error((*path, "errorBudgetPercent"), "errorBudgetPercent must be in (0, 100]")
        return None
    if not (
        isinstance(short, str)
        and isinstance(long, str)
        and _duration(ctx, (*path, "shortWindow"), short)
        and _duration(ctx, (*path, "longWindow"), long)
    ):
        ctx.error(path, "shortWindow and longWindow must be durations such as 5m and 1h")
        return None
    if parse_duration(short) >= parse_duration(long):
        ctx.error((*path, "shortWindow"), "the short window must be shorter than the long one")
        return None
    severity: Literal["page", "ticket"] = "page" if tier == "page" else "ticket"
    return PolicyRow(severity, float(percent), long.strip(), short.strip())


def _duration(ctx: Context, path: YamlPath, text: str) -> bool:
    try:
        return parse_duration(text) > 0
    except ValueError as exc:
        ctx.error(path, str(exc))
        return False

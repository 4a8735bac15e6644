"""slo-generator's shared ``config.yaml``: backends, and error-budget policies as alert
policies.

slo-generator has no SLO window: each policy step checks one window of its own
(``window`` seconds) against a burn-rate threshold. sloscope reads a policy as:

- the SLO window: the longest step window that is a whole number of days, at least 7
  (28 days in slo-generator's samples); otherwise 28d;
- each step with a shorter window: an alert row (``alert: true`` → page, else ticket) with
  ``factor = burn_rate_threshold``, i.e. ``budget_percent = threshold × window ÷ SLO window
  × 100``, and a short window of a twelfth of the long one (the SRE workbook's ratio;
  slo-generator has none);
- the step at the SLO window: a budget policy step, named in a warning (sloscope's budget
  policies live in sloscope.yaml).

The alert policy is named ``slo-generator-<policy>``. The v1 step keys slo-generator's
README still documents are read with a warning naming the v2 key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sloscope.spec.durations import format_duration
from sloscope.spec.fields import Context
from sloscope.spec.keys import warn_unknown
from sloscope.spec.model import Origin, PolicyRow, SpecAlertPolicy
from sloscope.spec.yamlpos import YamlPath

#: v1 step keys → their v2 names.
V1_STEP_KEYS = {
    "error_budget_policy_step_name": "name",
    "alerting_burn_rate_threshold": "burn_rate_threshold",
    "urgent_notification": "alert",
    "overburned_consequence_message": "message_alert",
    "achieved_consequence_message": "message_ok",
    "measurement_window_seconds": "window",
}
_STEP_KEYS = ("name", "burn_rate_threshold", "alert", "message_alert", "message_ok", "window")
_CONFIG_KEYS = ("backends", "exporters", "default_exporters", "error_budget_policies")
#: The SLO window when no step gives one.
DEFAULT_WINDOW_DAYS = 28


def policy_name(name: str) -> str:
    """The alert policy of an slo-generator error-budget policy."""
    return f"slo-generator-{name}"


@dataclass(frozen=True)
class Policy:
    """An error-budget policy read: its alert policy and the SLO window it implies."""

    alert_policy: SpecAlertPolicy | None
    window_days: int


@dataclass
class SharedConfig:
    """What the loaded ``config.yaml`` files say (none loaded: ``loaded`` False)."""

    loaded: bool = False
    backends: dict[str, str] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    where: str = ""


def is_config(data: Mapping[str, object]) -> bool:
    """Whether a document is slo-generator's shared config (no apiVersion, its keys)."""
    return "apiVersion" not in data and ("backends" in data or "error_budget_policies" in data)


def read_config(ctx: Context, shared: SharedConfig) -> None:
    """Add one config.yaml's backends and policies to ``shared``."""
    data = ctx.doc.data
    assert isinstance(data, Mapping)
    warn_unknown(ctx, data, (), _CONFIG_KEYS, "slo-generator's config.yaml")
    shared.loaded = True
    shared.where = shared.where or ctx.doc.file
    for key in ("exporters", "default_exporters"):
        if key in data:
            ctx.warn((key,), f"{key} are not imported (sloscope reports by itself)", at_key=True)
    backends = data.get("backends")
    if isinstance(backends, Mapping):
        shared.backends.update({str(k): str(k).split("/")[0] for k in backends})
    policies = data.get("error_budget_policies")
    if isinstance(policies, Mapping):
        for name, body in policies.items():
            path: YamlPath = ("error_budget_policies", name)
            shared.policies[str(name)] = _policy(ctx, path, str(name), body)


def _policy(ctx: Context, path: YamlPath, name: str, body: object) -> Policy:
    steps = body.get("steps") if isinstance(body, Mapping) else None
    if not isinstance(steps, list) or not steps:
        ctx.error(path, f"error budget policy {name!r} needs a list of steps")
        return Policy(None, DEFAULT_WINDOW_DAYS)
    read = [_step(ctx, (*path, "steps", i), s) for i, s in enumerate(steps)]
    good = [s for s in read if s is not None]
    days = [s.window // 86400 for s in good if s.window % 86400 == 0 and s.window >= 7 * 86400]
    window_days = max(days, default=DEFAULT_WINDOW_DAYS)
    rows = _rows(ctx, good, window_days * 86400)
    ctx.warn(
        path,
        f"error budget policy {name!r} is read as alert policy {policy_name(name)!r} for a "
        f"{window_days}d SLO window: slo-generator checks one window per step, so each row "
        "got a short window of a twelfth of its long one; slo-generator compares burn rates "
        "rounded to 0.1, sloscope exactly",
    )
    policy = None
    if rows:
        policy = SpecAlertPolicy(
            policy_name(name),
            tuple(rows),
            f"slo-generator error budget policy {name}",
            Origin(ctx.doc.file, ctx.doc.pos(path).line),
        )
    return Policy(policy, window_days)


def _rows(ctx: Context, steps: list[_Step], window: int) -> list[PolicyRow]:
    """Alert rows of the steps shorter than the SLO window; the others are budget steps."""
    rows: list[PolicyRow] = []
    for step in steps:
        if step.window >= window:
            action = "freeze" if "freeze" in step.message.lower() else "notify"
            ctx.warn(
                step.path,
                f"step {step.name!r} (burn rate {step.threshold:g} over the SLO window) is a "
                f"budget policy step; add it to sloscope.yaml budget_policies, e.g. "
                f"{{consumed: {step.threshold * 100:g}, action: {action}}}",
                f"its message: {step.message!r}" if step.message else "",
            )
            continue
        severity: Literal["page", "ticket"] = "page" if step.alert else "ticket"
        percent = float(f"{step.threshold * step.window / window * 100:.12g}")
        long, short = format_duration(step.window), format_duration(step.window // 12)
        rows.append(PolicyRow(severity, percent, long, short))
    return rows


@dataclass(frozen=True)
class _Step:
    path: YamlPath
    name: str
    threshold: float
    alert: bool
    message: str
    window: int


def _step(ctx: Context, path: YamlPath, raw: object) -> _Step | None:
    if not isinstance(raw, Mapping):
        ctx.error(path, "a step is a mapping with name, burn_rate_threshold, alert and window")
        return None
    data = dict(raw)
    for old, new in V1_STEP_KEYS.items():
        if old in data:
            ctx.warn((*path, old), f"{old} is slo-generator v1's key; read as {new}", at_key=True)
            data.setdefault(new, data.pop(old))
    current = {k: v for k, v in raw.items() if k not in V1_STEP_KEYS}
    warn_unknown(ctx, current, path, _STEP_KEYS, "a step")
    threshold, window = data.get("burn_rate_threshold"), data.get("window")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold <= 0:
        ctx.error(path, "burn_rate_threshold must be a positive number")
        return None
    if isinstance(window, bool) or not isinstance(window, int) or window < 60:
        ctx.error(path, "window must be a number of seconds (at least 60)")
        return None
    return _Step(
        path,
        str(data.get("name", "")),
        float(threshold),
        data.get("alert") is True,
        str(data.get("message_alert", "")),
        window,
    )

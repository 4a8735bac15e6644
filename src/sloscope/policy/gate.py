"""The release gate: may this service (or one of its journeys) release now?

Pure: the figures each SLO's evaluation measured go in, with the request (who asks for
which version, an exception if any) and the overrides in force; the decision and its
reasons come out. The workspace fetches and evaluates, the CLI and the server render,
the state store records; all of them call :func:`decide_gate`.

Each SLO gets a verdict from its own budget policy (:func:`judge`): the release meaning
of the most severe step that holds (``allow``, ``warn``, ``freeze``), or, without data,
``warn`` when its policy fails open and ``unknown`` when it fails closed. Then:

- a freeze is lifted by an active override of the service (or of the asked journey),
  or by an exception of a kind that SLO's policy allows (each needs a reason);
- the decision is ``freeze`` while any freeze stands, else ``cannot-decide`` while any
  SLO is ``unknown``, else ``warn`` if any SLO warns or a freeze was lifted, else ``allow``.

Exit codes (:func:`exit_code`): 0 allow or warn, 1 freeze, 2 cannot decide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

from sloscope.errors import RequestError
from sloscope.policy.budget import (
    BudgetPolicy,
    BudgetStep,
    describe_step,
    format_percent,
    format_rate,
    reached_step,
)
from sloscope.spec.durations import format_duration
from sloscope.timeparse import format_time

Decision = Literal["allow", "warn", "freeze", "cannot-decide"]
Verdict = Literal["allow", "warn", "freeze", "unknown"]
LiftedBy = Literal["exception", "override"]

_SEVERITY: Mapping[str, int] = {"freeze": 0, "unknown": 1, "warn": 2, "allow": 3}
_EXIT: Mapping[Decision, int] = {"allow": 0, "warn": 0, "freeze": 1, "cannot-decide": 2}
#: A reason is a sentence for the record, not a document.
MAX_REASON_CHARS = 2000


class SLOFigures(NamedTuple):
    """What an evaluation measured for one SLO, and the budget policy that governs it.

    ``consumed`` is None without data in the SLO window (``note`` may say why, e.g. the
    source could not answer); ``burn_rates`` maps lookback seconds to burn rates.
    """

    service: str
    slo: str
    journey: str | None
    window: str
    objective: float
    policy: BudgetPolicy
    consumed: float | None
    remaining: float | None
    burn_rates: Mapping[int, float | None]
    note: str = ""

    @property
    def id(self) -> str:
        """``service/slo``."""
        return f"{self.service}/{self.slo}"


class GateException(NamedTuple):
    """A change a freeze should let through: its ``kind`` and why."""

    kind: str
    reason: str


class Override(NamedTuple):
    """A person lifting the freezes of a service (or one journey) until ``until``."""

    service: str
    by: str
    reason: str
    until: int
    since: int = 0
    journey: str | None = None

    def active(self, service: str, journey: str | None, at: int) -> bool:
        """Whether it lifts freezes of ``service`` (``journey``) at ``at``."""
        if self.service != service or not self.since <= at < self.until:
            return False
        return self.journey is None or self.journey == journey


class GateRequest(NamedTuple):
    """What is asked: may ``service`` (``journey``) release ``version`` at ``at``?"""

    service: str
    at: int
    journey: str | None = None
    version: str | None = None
    exception: GateException | None = None


class SLOVerdict(NamedTuple):
    """One SLO's verdict: its figures, the step that decided, a reason, what lifted it."""

    figures: SLOFigures
    verdict: Verdict
    step: BudgetStep | None
    reason: str
    lifted_by: LiftedBy | None = None


class GateDecision(NamedTuple):
    """The gate's answer to a request, with every SLO's verdict and the reasons."""

    request: GateRequest
    decision: Decision
    reasons: tuple[str, ...]
    slos: tuple[SLOVerdict, ...]
    override: Override | None = None

    @property
    def exit_code(self) -> int:
        """0 allow or warn, 1 freeze, 2 cannot decide."""
        return exit_code(self.decision)


def exit_code(decision: Decision) -> int:
    """The exit code of a decision: 0 allow or warn, 1 freeze, 2 cannot decide."""
    return _EXIT[decision]


#: The longest an override may last: a freeze lifted for longer is a policy change.
MAX_OVERRIDE_SECONDS = 30 * 86_400


def check_override(override: Override) -> None:
    """Raise :class:`RequestError` unless the override names who grants it, why, and an
    expiry after its start, at most :data:`MAX_OVERRIDE_SECONDS` later."""
    if not override.by.strip():
        raise RequestError("an override needs --by NAME: who lifts the freeze")
    if not override.reason.strip():
        raise RequestError("an override needs --reason TEXT: why the freeze should not apply")
    if len(override.reason) > MAX_REASON_CHARS:
        raise RequestError(f"the reason is longer than {MAX_REASON_CHARS} characters")
    if override.until <= override.since:
        raise RequestError(
            f"the override expires at {format_time(override.until)}, not after it starts at "
            f"{format_time(override.since)}; give --until a later time"
        )
    if override.until - override.since > MAX_OVERRIDE_SECONDS:
        raise RequestError(
            "an override lasts at most 30 days; change the budget policy instead of "
            "overriding it for longer"
        )


def check_exception(exception: GateException, policies: Sequence[BudgetPolicy]) -> None:
    """Raise :class:`RequestError` unless the exception has a reason and a kind one of
    ``policies`` (those of the gated SLOs) allows."""
    allowed = sorted({k for p in policies for k in p.exception_kinds})
    if not exception.reason.strip():
        raise RequestError(
            f"exception {exception.kind!r} needs a reason: add --reason TEXT saying why "
            "the freeze should not apply"
        )
    if len(exception.reason) > MAX_REASON_CHARS:
        raise RequestError(f"the reason is longer than {MAX_REASON_CHARS} characters")
    if exception.kind not in allowed:
        names = ", ".join(sorted({p.name for p in policies}))
        raise RequestError(
            f"exception kind {exception.kind!r} is not allowed by the budget policy "
            f"({names}); allowed: {', '.join(allowed) or 'none'}"
        )


def _burn_text(step: BudgetStep, figures: SLOFigures) -> str:
    if not step.burn_window:
        return ""
    burn = figures.burn_rates.get(step.burn_window)
    if burn is None:
        return ""
    return f", burn rate {format_rate(burn)} over {format_duration(step.burn_window)}"


def _first_step(policy: BudgetPolicy) -> BudgetStep | None:
    """The lowest consumed step that is more than an allow (for "below ..." wording)."""
    steps = [s for s in policy.steps if s.consumed is not None and s.release_action != "allow"]
    return min(steps, key=lambda s: s.consumed or 0.0, default=None)


def judge(figures: SLOFigures) -> SLOVerdict:
    """One SLO's verdict under its own policy (see the module docstring)."""
    policy = figures.policy
    if figures.consumed is None:
        why = f" ({figures.note})" if figures.note else ""
        head = f"{figures.id}: no data in the {figures.window} window{why}"
        if policy.on_no_data == "open":
            return SLOVerdict(
                figures, "warn", None, f"{head}; policy {policy.name!r} fails open (warn)"
            )
        return SLOVerdict(
            figures,
            "unknown",
            None,
            f"{head}; policy {policy.name!r} fails closed: cannot decide",
        )
    head = (
        f"{figures.id}: {format_percent(figures.consumed)} of the {figures.window} budget consumed"
    )
    step = reached_step(policy, figures.consumed, figures.burn_rates)
    if step is None or step.release_action == "allow":
        first = _first_step(policy)
        tail = f", below {describe_step(first, first.release_action)}" if first else ""
        if step is not None:
            tail = f", {describe_step(step, 'allow')}"
        return SLOVerdict(figures, "allow", step, head + tail)
    verb = step.release_action
    reason = f"{head}{_burn_text(step, figures)}, {describe_step(step, verb)}"
    return SLOVerdict(figures, verb, step, reason)


def _lift(
    verdict: SLOVerdict, override: Override | None, exception: GateException | None
) -> tuple[SLOVerdict, str | None]:
    """A frozen verdict lifted by the override or the exception, with what to say."""
    if override is not None:
        lifted = SLOVerdict(verdict.figures, "warn", verdict.step, verdict.reason, "override")
        return lifted, None
    if exception is None:
        return verdict, None
    policy = verdict.figures.policy
    if exception.kind not in policy.exception_kinds:
        return verdict, (
            f"exception {exception.kind!r} is not one policy {policy.name!r} allows: "
            f"{verdict.figures.id} stays frozen"
        )
    return SLOVerdict(verdict.figures, "warn", verdict.step, verdict.reason, "exception"), None


def _decision(verdicts: Sequence[SLOVerdict]) -> Decision:
    kinds = {v.verdict for v in verdicts}
    if "freeze" in kinds:
        return "freeze"
    if "unknown" in kinds or not verdicts:
        return "cannot-decide"
    if "warn" in kinds:
        return "warn"
    return "allow"


def _lift_all(
    judged: Sequence[SLOVerdict], override: Override | None, exception: GateException | None
) -> tuple[list[SLOVerdict], list[str]]:
    """Every verdict with its freeze lifted where it may be, and what to say about it."""
    verdicts = []
    notes: list[str] = []
    for verdict in judged:
        kept, note = (
            _lift(verdict, override, exception) if verdict.verdict == "freeze" else (verdict, None)
        )
        notes += [note] if note else []
        verdicts.append(kept)
    verdicts.sort(key=lambda v: (_SEVERITY[v.verdict], v.lifted_by is None, v.figures.id))
    return verdicts, notes


def _lift_reasons(
    verdicts: Sequence[SLOVerdict],
    judged: Sequence[SLOVerdict],
    override: Override | None,
    exception: GateException | None,
) -> list[str]:
    """What lifted a freeze (or that an exception was not needed)."""
    lifted = {v.lifted_by for v in verdicts if v.lifted_by}
    reasons = []
    if "override" in lifted and override is not None:
        reasons.append(
            f"freeze lifted by {override.by}'s override until {format_time(override.until)}: "
            f"{override.reason}"
        )
    if "exception" in lifted and exception is not None:
        reasons.append(f"freeze lifted by a {exception.kind} exception: {exception.reason}")
    if exception is not None and not any(v.verdict == "freeze" for v in judged):
        reasons.append(f"exception {exception.kind!r} was not needed: nothing is frozen")
    return reasons


def decide_gate(
    request: GateRequest,
    figures: Sequence[SLOFigures],
    overrides: Sequence[Override] = (),
) -> GateDecision:
    """The gate's decision for ``request`` from the SLOs' ``figures`` and the overrides
    on record (those not active at ``request.at`` are ignored).

    Raises :class:`RequestError` when the request's exception has no reason or a kind
    none of the gated SLOs' policies allows.
    """
    exception = request.exception
    if exception is not None:
        check_exception(exception, [f.policy for f in figures])
    active = [o for o in overrides if o.active(request.service, request.journey, request.at)]
    override = max(active, key=lambda o: o.until, default=None)
    judged = [judge(f) for f in figures]
    verdicts, notes = _lift_all(judged, override, exception)
    reasons = [v.reason for v in verdicts] or [
        f"{request.service}: no SLOs to judge; the gate cannot decide"
    ]
    reasons += notes + _lift_reasons(verdicts, judged, override, exception)
    used_override = any(v.lifted_by == "override" for v in verdicts)
    return GateDecision(
        request=request,
        decision=_decision(verdicts),
        reasons=tuple(reasons),
        slos=tuple(verdicts),
        override=override if used_override else None,
    )

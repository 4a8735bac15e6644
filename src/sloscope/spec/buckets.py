"""Histogram bucket boundaries: when an ``le`` label value is a latency threshold.

The one rule every layer applies: the embedded source picks the good bucket with
:func:`same_boundary`, the Prometheus source and the generated rules select it with
:func:`le_matcher`, so all three count the same series.

An ``le`` label is a string, and clients spell one boundary many ways: Go writes ``1``
and ``1e+06``, Python ``1.0``, Prometheus 3 normalises classic histograms to ``1.0``, and
a hand-written exporter may write ``0.30`` or ``3e-1``. The label is the threshold when
it is a plain decimal (``0.3``, ``0.30``, ``00.3``, ``.3``) or scientific (``3e-1``,
``3.0E-01``) spelling of the threshold rounded to 12 significant digits (so ``0.1 + 0.2``
is the boundary ``0.3``); the ``+Inf`` bucket is spelled ``+Inf``, ``Inf`` or ``inf``.

:func:`le_regex` writes that rule as an RE2 regex, which PromQL anchors at both ends;
:func:`same_boundary` applies the very same regex in Python, so the rule cannot drift
between the sources and the rules.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from sloscope.spec.selectors import Matcher


def declared_buckets(values: Iterable[float]) -> tuple[float, ...] | None:
    """A spec's histogram buckets, rounded to 12 significant digits as ``le`` labels are
    matched; None unless they are positive and increasing, each once (``+Inf`` may close
    the list, as it closes every histogram). The one rule of every spec format."""
    buckets = tuple(float(f"{v:.12g}") for v in values)
    valid = all(b > 0 and not math.isnan(b) for b in buckets)
    return buckets if buckets and valid and list(buckets) == sorted(set(buckets)) else None


#: The ``+Inf`` bucket, as clients spell it (``+Inf``; ``Inf`` and ``inf`` also parse).
INF_REGEX = r"\+?[Ii]nf"


def le_regex(threshold: float) -> str:
    """An RE2 regex matching every way to write ``threshold`` as an ``le`` label.

    The usual spelling first (the one a reader of a rule looks for), then plain (``0.3``,
    ``0.30``, ``00.3``, ``.3``) and scientific (``3e-1``, ``3.0E-01``) spellings;
    Prometheus anchors it at both ends.

    >>> le_regex(0.3)
    '0\\\\.3|0*\\\\.30*|3(?:\\\\.0*)?[eE]-0*1'
    >>> le_regex(1.0)
    '1|0*1(?:\\\\.0*)?|1(?:\\\\.0*)?[eE][+-]?0+'
    """
    if not math.isfinite(threshold) or threshold < 0:
        raise ValueError(f"a latency threshold must be a finite number >= 0, got {threshold}")
    # 12 significant digits: 0.1 + 0.2 is the boundary 0.3.
    value = Decimal(f"{threshold:.12g}").normalize()
    if value == 0:
        return r"0|0+(?:\.0*)?|0*\.0+|0(?:\.0*)?[eE][+-]?0+"
    plain = format(value, "f")
    whole, _, fraction = plain.partition(".")
    whole = whole.lstrip("0")
    fraction = fraction.rstrip("0")
    decimal = f"0*{whole}" + (rf"\.{fraction}0*" if fraction else r"(?:\.0*)?")
    _, digits, _ = value.as_tuple()
    text = "".join(map(str, digits))
    exponent = value.adjusted()
    mantissa = text[0] + (rf"\.{text[1:]}0*" if len(text) > 1 else r"(?:\.0*)?")
    if exponent < 0:
        power = f"-0*{-exponent}"
    elif exponent > 0:
        power = rf"\+?0*{exponent}"
    else:
        power = "[+-]?0+"
    # The literal first alternative is redundant for matching; it keeps the usual
    # spelling readable in generated rules and is the example rule tests synthesise.
    return f"{re.escape(plain)}|{decimal}|{mantissa}[eE]{power}"


def boundary_regex(threshold: float) -> str:
    """:func:`le_regex`, or :data:`INF_REGEX` for the ``+Inf`` bucket (``math.inf``)."""
    if threshold == math.inf:
        return INF_REGEX
    return le_regex(threshold)


def le_matcher(threshold: float) -> Matcher:
    """The ``le`` matcher selecting the bucket at ``threshold`` (``math.inf``: ``+Inf``).

    >>> str(le_matcher(float("inf")))
    'le=~"\\\\\\\\+?[Ii]nf"'
    """
    return Matcher("le", "=~", boundary_regex(threshold))


@lru_cache(maxsize=256)
def _compiled(threshold: float) -> re.Pattern[str]:
    return re.compile(boundary_regex(threshold))


def same_boundary(le: str, threshold: float) -> bool:
    """Whether an ``le`` label is the boundary ``threshold`` (``0.30`` is ``3e-1``).

    Anything that is not a boundary of a finite threshold >= 0 or ``+Inf`` (a label
    ``fast``, a threshold of NaN) is no match.

    >>> same_boundary("0.30", 0.3), same_boundary("3e-1", 0.3), same_boundary("0.31", 0.3)
    (True, True, False)
    """
    if not (math.isfinite(threshold) and threshold >= 0) and threshold != math.inf:
        return False
    return _compiled(threshold).fullmatch(le) is not None


def boundary_order(le: str) -> float:
    """Sort key of ``le`` labels: numerically, anything unparsable last."""
    try:
        return float(le)
    except ValueError:
        return math.inf

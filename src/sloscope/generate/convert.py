"""``sloscope convert``: specs of any readable format as native (or OpenSLO) specs.

One file per service (``<service>.yaml``, or ``<service>.openslo.yaml``), or one text
with every service. Each file starts with comments: the files it came from, every
warning loading them gave (where the meaning changed on the way in), and the alert
policies those files defined (Sloth AlertWindows, slo-generator error-budget policies)
as ``alert_policies`` to add to sloscope.yaml. Reading the output back (with those
policies) gives the same services, hence the same generated rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sloscope.errors import Problem
from sloscope.generate.native import policy_snippet, render_native
from sloscope.generate.openslo import generate_openslo, render_openslo
from sloscope.spec.load import LoadResult
from sloscope.spec.model import Service

Target = Literal["sloscope", "openslo"]


def convert(loaded: LoadResult, to: Target = "sloscope") -> dict[str, str]:
    """The converted files by name (one per service), from specs that loaded without
    errors."""
    out: dict[str, str] = {}
    for service in sorted(loaded.services, key=lambda s: s.name):
        comments = _comments(loaded, service, to)
        if to == "openslo":
            docs = generate_openslo([service])
            text = "".join(f"# {c}\n" for c in comments) + render_openslo(docs)
            out[f"{service.name}.openslo.yaml"] = text
        else:
            out[f"{service.name}.yaml"] = render_native([service], comments)
    return out


def convert_text(loaded: LoadResult, to: Target = "sloscope") -> str:
    """Every converted service in one text (``---`` between files' documents)."""
    return "---\n".join(convert(loaded, to).values())


def _comments(loaded: LoadResult, service: Service, to: Target) -> list[str]:
    sources = _sources(service)
    head = "sloscope/v1" if to == "sloscope" else "OpenSLO v1"
    comments = [f"{head}, converted by sloscope convert from {', '.join(sources)}"]
    comments += [f"warning: {_where(p)}{p.message}" for p in _warnings(loaded.warnings, sources)]
    used = {slo.alerting.policy for slo in service.slos}
    policies = [p.as_mapping() for p in loaded.alert_policies if p.name in used]
    if policies:
        comments.append("alert policies these specs use; add them to sloscope.yaml:")
        comments += ["  " + line for line in policy_snippet(policies).splitlines()]
    return comments


def _sources(service: Service) -> list[str]:
    files = [slo.origin.file for slo in service.slos if slo.origin is not None]
    if service.origin is not None:
        files.insert(0, service.origin.file)
    return list(dict.fromkeys(files))


def _warnings(warnings: Sequence[Problem], sources: Sequence[str]) -> list[Problem]:
    return [p for p in warnings if p.file in sources]


def _where(problem: Problem) -> str:
    return f"{problem.file}:{problem.line}: " if problem.line else f"{problem.file}: "

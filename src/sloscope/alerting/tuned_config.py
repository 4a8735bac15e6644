"""Tuned alert policies as ``sloscope.yaml`` settings: a snippet, or merged into the file.

``sloscope tune --write`` adds one ``alert_policies`` entry per changed SLO
(``tuned-<service>-<slo>``) and points the SLO at it under ``alerting.slos``, keeping
every other setting of the file, and the entry's ``depends_on``. The file is rewritten
from its parsed data, so YAML comments and key order are not kept: the previous file
is saved beside it as ``sloscope.yaml.bak``.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from sloscope.alerting.tune import Proposal
from sloscope.engine.windows import AlertPolicy
from sloscope.errors import ConfigError
from sloscope.spec.durations import format_duration


def policy_document(policy: AlertPolicy) -> dict[str, Any]:
    """An alert policy as ``alert_policies:`` writes it."""
    doc: dict[str, Any] = {"name": policy.name}
    if policy.description:
        doc["description"] = policy.description
    if policy.guard is not None:
        doc["guard"] = {"min_total": policy.guard.min_total, "min_bad": policy.guard.min_bad}
    doc["windows"] = [
        {
            "severity": w.severity,
            "budget_percent": w.budget_percent,
            "long": format_duration(w.long_seconds),
            "short": format_duration(w.short_seconds),
        }
        for w in policy.windows
    ]
    return doc


def merge_tuned(data: dict[str, Any], proposals: Sequence[Proposal]) -> dict[str, Any]:
    """``data`` (a parsed sloscope.yaml) with the proposals' policies and SLO entries."""
    merged = dict(data)
    names = {p.proposed.name for p in proposals}
    policies = [p for p in merged.get("alert_policies") or [] if p.get("name") not in names]
    policies += [policy_document(p.proposed) for p in proposals]
    merged["alert_policies"] = policies
    alerting = dict(merged.get("alerting") or {})
    entries = [dict(e) for e in alerting.get("slos") or []]
    for proposal in proposals:
        entry = next(
            (
                e
                for e in entries
                if (e.get("service"), e.get("slo")) == (proposal.service, proposal.slo)
            ),
            None,
        )
        if entry is None:
            entry = {"service": proposal.service, "slo": proposal.slo}
            entries.append(entry)
        entry["policy"] = proposal.proposed.name
        entry.pop("guard", None)  # the tuned policy carries its guard
    alerting["slos"] = entries
    merged["alerting"] = alerting
    return merged


def tuned_snippet(proposals: Sequence[Proposal]) -> str:
    """The settings to add by hand, as YAML text."""
    return yaml.safe_dump(merge_tuned({}, proposals), sort_keys=False, width=100)


def write_tuned_config(path: Path, proposals: Sequence[Proposal]) -> Path:
    """Merge the proposals into the config file at ``path`` (created when absent).

    The previous file is kept as ``<name>.bak``. Raises :class:`ConfigError` when the
    file cannot be read or written.
    """
    data: dict[str, Any] = {}
    try:
        if path.exists():
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
            if loaded is not None and not isinstance(loaded, dict):
                raise ConfigError(f"{path}: the config must be a mapping of settings")
            data = loaded or {}
            shutil.copyfile(path, path.with_name(path.name + ".bak"))
        text = yaml.safe_dump(merge_tuned(data, proposals), sort_keys=False, width=100)
        path.write_text(text, encoding="utf-8")
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot update it: {exc}") from None
    return path

"""Tuned alert policies as ``sloscope.yaml`` settings: a snippet, or merged into the file.

``sloscope tune --write`` adds one ``alert_policies`` entry per changed SLO
(``tuned-<service>-<slo>``) and points the SLO at it under ``alerting.slos``, keeping
every other setting of the file, and the entry's ``depends_on``. The file is edited as a
YAML round trip (``ruamel.yaml``): its comments, key order, quoting and flow-style lists
stay as written, only block indentation is normalised (2 spaces, lists indented under
their key). The previous file is saved beside it as ``sloscope.yaml.bak``.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

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


def merge_tuned(data: MutableMapping[str, Any], proposals: Sequence[Proposal]) -> None:
    """Add the proposals' policies and SLO entries to ``data`` (a parsed sloscope.yaml),
    in place, so a round-trip document keeps the comments of what it does not change."""
    names = {p.proposed.name for p in proposals}
    policies = data.get("alert_policies")
    if not isinstance(policies, list):
        policies = data["alert_policies"] = []
    # A policy tuned before is replaced where it stands: the list keeps its comments.
    where = {
        entry.get("name"): index
        for index, entry in enumerate(policies)
        if isinstance(entry, Mapping) and entry.get("name") in names
    }
    for proposal in proposals:
        document = policy_document(proposal.proposed)
        if proposal.proposed.name in where:
            policies[where[proposal.proposed.name]] = document
        else:
            policies.append(document)
    alerting = data.get("alerting")
    if not isinstance(alerting, MutableMapping):
        alerting = data["alerting"] = {}
    entries = alerting.get("slos")
    if not isinstance(entries, list):
        entries = alerting["slos"] = []
    for proposal in proposals:
        wanted = (proposal.service, proposal.slo)
        entry = next(
            (
                e
                for e in entries
                if isinstance(e, MutableMapping) and (e.get("service"), e.get("slo")) == wanted
            ),
            None,
        )
        if entry is None:
            entry = {"service": proposal.service, "slo": proposal.slo}
            entries.append(entry)
        entry["policy"] = proposal.proposed.name
        entry.pop("guard", None)  # the tuned policy carries its guard


def tuned_snippet(proposals: Sequence[Proposal]) -> str:
    """The settings to add by hand, as YAML text."""
    data: dict[str, Any] = {}
    merge_tuned(data, proposals)
    return yaml.safe_dump(data, sort_keys=False, width=100)


def _round_trip() -> YAML:
    """A YAML reader/writer that keeps comments, key order and quoting."""
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 100
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def write_tuned_config(path: Path, proposals: Sequence[Proposal]) -> Path:
    """Merge the proposals into the config file at ``path`` (created when absent).

    The previous file is kept as ``<name>.bak``. Raises :class:`ConfigError` when the
    file cannot be read or written.
    """
    rt = _round_trip()
    try:
        data: Any = CommentedMap()
        if path.exists():
            loaded = rt.load(path.read_text(encoding="utf-8"))
            if loaded is not None and not isinstance(loaded, MutableMapping):
                raise ConfigError(f"{path}: the config must be a mapping of settings")
            if loaded is not None:
                data = loaded
            shutil.copyfile(path, path.with_name(path.name + ".bak"))
        merge_tuned(data, proposals)
        out = io.StringIO()
        rt.dump(data, out)
        path.write_text(out.getvalue(), encoding="utf-8")
    except (OSError, YAMLError) as exc:
        raise ConfigError(f"{path}: cannot update it: {exc}") from None
    return path

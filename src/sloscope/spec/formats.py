"""What a spec format is: the :class:`SpecFormat` protocol and what its ``load`` returns.

Like Sloth's loaders, each format answers two questions: "is this document mine?"
(:meth:`SpecFormat.is_mine`) and "load these" (:meth:`SpecFormat.load`).
:mod:`sloscope.spec.load` keeps the formats in one typed list and asks them in order;
nothing past a format's loader knows which format a service came from.

A format reports problems instead of raising: :class:`FormatResult` carries the services
that loaded and every problem found, each at its YAML line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from sloscope.errors import Problem
from sloscope.spec.fields import Context
from sloscope.spec.model import Service, SpecAlertPolicy
from sloscope.spec.yamlpos import Document, Pos


class LoadedService(NamedTuple):
    """A service a format loaded, with where its name was written (for duplicate checks)."""

    service: Service
    file: str
    name_pos: Pos


@dataclass
class FormatResult:
    """What a format produced from its documents."""

    services: list[LoadedService] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    alert_policies: list[SpecAlertPolicy] = field(default_factory=list)


class SpecFormat(Protocol):
    """A spec format sloscope reads (native, OpenSLO, Sloth)."""

    @property
    def api_kinds(self) -> Mapping[str, tuple[str, ...]]:
        """apiVersion → the kinds this format loads (for "unknown kind" hints)."""
        ...

    def is_mine(self, data: Mapping[str, object]) -> bool:
        """Whether a document (a YAML mapping) is one of this format's."""
        ...

    def load(self, documents: Sequence[Document]) -> FormatResult:
        """Load every document :meth:`is_mine` accepted; never raises for a problem in a spec.

        All of a run's documents come at once, so references may cross files.
        """
        ...


def load_each(
    documents: Sequence[Document], load_document: Callable[[Context], LoadedService | None]
) -> FormatResult:
    """Run a format's ``load_document`` on every document, collecting services and problems.

    The shared ``load`` of the formats that read one document at a time (native, Sloth);
    never raises for a problem in a spec.
    """
    result = FormatResult()
    for doc in documents:
        ctx = Context(doc)
        loaded = load_document(ctx)
        result.problems.extend(ctx.problems)
        if loaded is not None:
            result.services.append(loaded)
    return result

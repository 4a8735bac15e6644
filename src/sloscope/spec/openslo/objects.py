"""OpenSLO objects and the registry that resolves the references between them.

OpenSLO splits an SLO over several objects (SLO, SLI, AlertPolicy, AlertCondition,
AlertNotificationTarget, DataSource, Service) that refer to each other by name, often
across files. Every document is registered here by kind and name first; the converters
then look objects up. An unresolved reference sloscope needs is an error at the line of
the reference; one it can do without is a warning there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sloscope.spec import fields
from sloscope.spec.fields import Context
from sloscope.spec.openslo.keys import check_keys
from sloscope.spec.yamlpos import Document, YamlPath

#: Identifies an object (or any value) across documents: its document and its path.
ObjectKey = tuple[int, YamlPath]


@dataclass
class OpenSLOObject:
    """An OpenSLO object: a whole document, or an inline object inside one."""

    ctx: Context
    path: YamlPath
    kind: str

    @property
    def data(self) -> Mapping[str, object]:
        """The object's mapping (empty when it is not a mapping)."""
        value = self.ctx.doc.get(self.path)
        return value if isinstance(value, Mapping) else {}

    def get(self, *keys: str) -> object:
        """The value at ``keys`` below the object (None when absent)."""
        return self.ctx.doc.get((*self.path, *keys))

    def at(self, *keys: str | int) -> YamlPath:
        """The document path of ``keys`` below the object, for problems."""
        return (*self.path, *keys)

    @property
    def name(self) -> str | None:
        """``metadata.name``, or None when it is missing or not a string."""
        name = self.get("metadata", "name")
        return name if isinstance(name, str) and name else None

    @property
    def key(self) -> ObjectKey:
        """The object's identity, for caches (one inline object may be reached twice)."""
        return object_key(self.ctx, self.path)


def object_key(ctx: Context, path: YamlPath) -> ObjectKey:
    """The identity of the value at ``path`` of ``ctx``'s document."""
    return (id(ctx), path)


@dataclass
class Registry:
    """Every OpenSLO document loaded, by kind and name, in file order."""

    contexts: list[Context] = field(default_factory=list)
    objects: dict[str, dict[str, OpenSLOObject]] = field(default_factory=dict)
    order: list[OpenSLOObject] = field(default_factory=list)

    @classmethod
    def of(cls, documents: Sequence[Document]) -> Registry:
        """Register ``documents``; a missing, invalid or second name is an error."""
        registry = cls()
        for doc in documents:
            registry.register(doc)
        return registry

    def register(self, doc: Document) -> None:
        """Register one document (its problems go to a new :class:`Context`)."""
        ctx = Context(doc)
        self.contexts.append(ctx)
        data = doc.data
        assert isinstance(data, Mapping)
        obj = OpenSLOObject(ctx, (), str(data.get("kind")))
        check_keys(ctx, obj.kind, data)
        name = obj.name
        if name is None:
            ctx.error(
                ("metadata",) if "metadata" in data else (),
                f"an OpenSLO {obj.kind} needs metadata.name",
            )
            return
        if not fields.check_name(ctx, ("metadata", "name"), name, obj.kind):
            return
        first = self.lookup(obj.kind, name)
        if first is not None:
            where = first.ctx.doc
            ctx.error(
                ("metadata", "name"),
                f"{obj.kind} {name!r} is already defined in {where.file} "
                f"at line {where.start.line}",
                f"names of OpenSLO {obj.kind} objects are unique; rename one",
            )
            return
        self.objects.setdefault(obj.kind, {})[name] = obj
        self.order.append(obj)

    def lookup(self, kind: str, name: str) -> OpenSLOObject | None:
        """The object of this kind and name, or None."""
        return self.objects.get(kind, {}).get(name)

    def names(self, kind: str) -> list[str]:
        """The names of every object of ``kind``, sorted."""
        return sorted(self.objects.get(kind, {}))

    def resolve(
        self, ctx: Context, path: YamlPath, kind: str, name: object, unneeded: str = ""
    ) -> OpenSLOObject | None:
        """The object a reference at ``path`` names; a problem there when there is none.

        A reference sloscope needs (an SLI, a query's only source) is an error when it
        does not resolve. One it can do without (a DataSource beside an inline query, an
        alert policy, condition or target) passes ``unneeded``, what happens without it,
        and is a warning: the SLO is not dropped for it.
        """
        if not isinstance(name, str) or not name:
            ctx.error(path, f"a reference to a {kind} must be its metadata.name")
            return None
        found = self.lookup(kind, name)
        if found is not None:
            return found
        known = self.names(kind)
        if unneeded:
            ctx.warn(
                path,
                f"{kind} {name!r} is not defined in the loaded files; {unneeded}",
                f"{kind} objects loaded: {', '.join(known)}"
                if known
                else f"pass the file that defines {kind} {name!r} to use it",
            )
            return None
        ctx.error(
            path,
            f"{kind} {name!r} is not defined in any loaded file",
            f"{kind} objects loaded: {', '.join(known)}"
            if known
            else f"add a document with kind: {kind} and metadata.name: {name}, "
            "and pass its file too",
        )
        return None

"""Loading spec files of every format into services, collecting every problem.

``load_paths`` reads files and folders (every ``*.yaml``/``*.yml`` below a folder, in
sorted order), every document of every file, native, OpenSLO and Sloth mixed. Each format in
:data:`FORMATS` (a :class:`~sloscope.spec.formats.SpecFormat`) answers "is this my
document?" (``is_mine``) and "load these" (``load``), as Sloth structures its loaders; a
format gets all its documents at once, since OpenSLO SLOs refer to SLIs and alert
policies in other files. A format's module is imported when a document reaches it: a
project of native specs never loads the OpenSLO, Sloth, Pyrra or slo-generator readers.

Nothing here raises for a problem in a spec. The result lists every problem found;
:meth:`LoadResult.raise_for_errors` turns errors into a :class:`~sloscope.errors.SpecError`.

>>> result = load_text("apiVersion: sloscope/v1\\nkind: Nope\\n", "x.yaml")
>>> print(result.errors[0])
x.yaml:2:7: error: unknown kind 'Nope' for apiVersion sloscope/v1 (hint: supported kinds: Service)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import NamedTuple

from sloscope.errors import Problem, SpecError
from sloscope.spec.formats import LoadedService, SpecFormat
from sloscope.spec.model import Service, SpecAlertPolicy
from sloscope.spec.yamlpos import (
    Document,
    decode_spec_bytes,
    parse_documents,
    read_spec_file,
)

#: The spec formats (module, class), asked in this order whether a document is theirs.
FORMATS: tuple[tuple[str, str], ...] = (
    ("sloscope.spec.native.loader", "NativeFormat"),
    ("sloscope.spec.openslo.loader", "OpenSLOFormat"),
    ("sloscope.spec.sloth.loader", "SlothFormat"),
    ("sloscope.spec.pyrra.loader", "PyrraFormat"),
    ("sloscope.spec.slogen.loader", "SloGeneratorFormat"),
)


@cache
def spec_format(index: int) -> SpecFormat:
    """The format ``FORMATS[index]``, its module imported on first use."""
    module, name = FORMATS[index]
    made: SpecFormat = getattr(import_module(module), name)()
    return made


SPEC_SUFFIXES = (".yaml", ".yml")


class LoadResult(NamedTuple):
    """Services loaded from spec files, and every problem found in them.

    ``services`` holds what loaded cleanly: with errors, a service or SLO that had one is
    left out, so check :attr:`errors` (or call :meth:`raise_for_errors`) before using it.
    ``files`` lists the files read, in the order read. ``alert_policies`` are those the
    spec files bring (Sloth ``AlertWindows``, slo-generator error-budget policies).
    """

    services: tuple[Service, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...]
    alert_policies: tuple[SpecAlertPolicy, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Problems that make the specs invalid."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems worth a look that do not make the specs invalid."""
        return tuple(p for p in self.problems if p.severity == "warning")

    def raise_for_errors(self) -> None:
        """Raise :class:`SpecError` with every problem when there is at least one error."""
        if self.errors:
            raise SpecError(self.problems)

    def service(self, name: str) -> Service | None:
        """The service of this name, or None."""
        return next((s for s in self.services if s.name == name), None)


def load_paths(paths: Sequence[str | Path]) -> LoadResult:
    """Load every spec in files and folders (folders: every *.yaml/*.yml below, sorted).

    Hidden files and folders (names starting with '.') below a folder are skipped.
    Never raises for a problem in a spec: see :class:`LoadResult`.
    """
    problems: list[Problem] = []
    files = _expand(paths, problems)
    documents: list[Document] = []
    for path, name in files:
        text, read_problems = read_spec_file(path, name)
        problems.extend(read_problems)
        if text is not None:
            documents.extend(_parse(text, name, problems))
    return _load_documents(documents, problems, tuple(name for _, name in files))


def load_text(text: str, filename: str = "<stdin>") -> LoadResult:
    """Load the specs in one text (for tests and stdin); ``filename`` names it in problems."""
    problems: list[Problem] = []
    documents: list[Document] = []
    # Through the same checks as a file's bytes, so size and NUL bytes read the same.
    checked, found = decode_spec_bytes(text.encode("utf-8", errors="replace"), filename)
    problems.extend(found)
    if checked is not None:
        documents = _parse(text, filename, problems)
    return _load_documents(documents, problems, (filename,))


# --- steps ------------------------------------------------------------------------------


def _expand(paths: Sequence[str | Path], problems: list[Problem]) -> list[tuple[Path, str]]:
    """Files to read, each once, with the name problems use for it."""
    out: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            out.append((path, str(path)))

    for given in paths:
        path = Path(given)
        if path.is_dir():
            for file in _folder_files(path, problems):
                add(file)
        elif path.is_file():
            add(path)
        elif path.exists():
            problems.append(Problem(str(path), 0, 0, "not a regular file or folder"))
        else:
            problems.append(Problem(str(path), 0, 0, "no such file or folder", "check the path"))
    return out


def _folder_files(folder: Path, problems: list[Problem]) -> list[Path]:
    """The spec files below ``folder``, sorted, hidden ones left out; none is a problem.

    A folder that cannot be listed, a dangling link and a ``.yaml`` that is not a regular
    file are problems too: each would otherwise drop SLOs without a word.
    """
    unreadable: list[OSError] = []
    found: list[Path] = []
    for top, dirs, names in os.walk(folder, onerror=unreadable.append, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            path = Path(top) / name
            if name.startswith(".") or path.suffix.lower() not in SPEC_SUFFIXES:
                continue
            if path.is_file():
                found.append(path)
            else:
                problems.append(_not_a_spec_file(path))
    for exc in unreadable:
        where = exc.filename or folder
        problems.append(
            Problem(
                str(where),
                0,
                0,
                f"cannot read this folder: {exc.strerror or exc}",
                "check its permissions (its specs would be left out)",
            )
        )
    if not found and not unreadable:
        problems.append(
            Problem(
                str(folder),
                0,
                0,
                "folder has no spec files",
                "spec files end in .yaml or .yml",
            )
        )
    return sorted(found)


def _not_a_spec_file(path: Path) -> Problem:
    if path.is_symlink() and not path.exists():
        return Problem(
            str(path), 0, 0, "dangling symbolic link", "point it at a spec file or remove it"
        )
    return Problem(str(path), 0, 0, "not a regular file", "spec files are regular YAML files")


def _parse(text: str, name: str, problems: list[Problem]) -> list[Document]:
    documents, found = parse_documents(text, name)
    problems.extend(found)
    if not documents and not found:
        problems.append(
            Problem(
                name,
                0,
                0,
                "file has no YAML documents (it is empty or only comments)",
                "write a spec starting with apiVersion: sloscope/v1 and kind: Service",
            )
        )
    return documents


def _load_documents(
    documents: list[Document], problems: list[Problem], files: tuple[str, ...]
) -> LoadResult:
    groups: list[list[Document]] = [[] for _ in FORMATS]
    for doc in (item for document in documents for item in _items(document)):
        index = _format_of(doc, problems)
        if index is not None:
            groups[index].append(doc)
    loaded: list[LoadedService] = []
    policies: list[SpecAlertPolicy] = []
    for index, group in enumerate(groups):
        if not group:
            continue  # nothing to load: the format's module need not load either
        result = spec_format(index).load(group)
        loaded.extend(result.services)
        problems.extend(result.problems)
        policies.extend(result.alert_policies)
    services = _unique_services(loaded, problems)
    order = {name: index for index, name in enumerate(files)}
    # Stable: problems of paths that were never read (missing files) keep the given order.
    problems.sort(key=lambda p: (order.get(p.file, -1), p.line, p.column))
    return LoadResult(
        services=tuple(services),
        problems=tuple(problems),
        files=files,
        alert_policies=tuple(policies),
    )


def _supported() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for index in range(len(FORMATS)):
        out.update(spec_format(index).api_kinds)
    return out


def _supported_hint() -> str:
    from sloscope.spec.sloth.loader import PLAIN_VERSION

    parts = [f"{api} (kind {', '.join(kinds)})" for api, kinds in _supported().items()]
    return "supported: " + "; ".join(parts) + f"; or Sloth's version: {PLAIN_VERSION!r}"


def _items(doc: Document) -> list[Document]:
    """The documents one YAML document holds: itself, or each item of a list.

    OpenSLO's SDKs read a document that is a list of objects, and ``kubectl get -o yaml``
    writes ``kind: List`` (or ``ServiceLevelObjectiveList``) with the objects in ``items``;
    each item is read as its own document, its problems at its own lines.
    """
    data = doc.data
    if isinstance(data, list):
        return [doc.sub((index,), doc.index) for index in range(len(data))]
    if (
        isinstance(data, dict)
        and isinstance(data.get("kind"), str)
        and str(data["kind"]).endswith("List")
        and isinstance(data.get("items"), list)
    ):
        items = data["items"]
        assert isinstance(items, list)
        return [doc.sub(("items", index), doc.index) for index in range(len(items))]
    return [doc]


def _format_of(doc: Document, problems: list[Problem]) -> int | None:
    """The index in :data:`FORMATS` of the document's format; None after a problem."""
    data = doc.data
    if not isinstance(data, dict):
        kind = "a list inside a list" if isinstance(data, list) else f"the value {data!r}"
        problems.append(
            Problem(
                doc.file,
                doc.start.line,
                doc.start.column,
                f"a spec document must be a mapping with apiVersion and kind, found {kind}",
                "start the document with apiVersion: sloscope/v1 and kind: Service",
            )
        )
        return None
    for index in range(len(FORMATS)):
        if spec_format(index).is_mine(data):
            return index
    problems.append(_unclaimed(doc, data))
    return None


def _unclaimed(doc: Document, data: dict[str, object]) -> Problem:
    """The problem with a mapping no format claims: which of apiVersion or kind is wrong."""
    api = data.get("apiVersion")
    supported = _supported()
    if api is None:
        where = doc.start
        if "version" in data:
            where = doc.pos(("version",))
            message = f"unknown version {data['version']!r}"
        else:
            message = "document has no apiVersion"
        return Problem(doc.file, where.line, where.column, message, _supported_hint())
    if isinstance(api, str) and api in supported:
        return _unknown_kind(doc, api, supported[api], data.get("kind"))
    pos = doc.pos(("apiVersion",))
    hint = _supported_hint()
    if isinstance(api, str) and api.startswith(("openslo/", "openslo.com/")):
        hint = "supported OpenSLO versions: openslo/v1alpha, openslo/v1, openslo.com/v2alpha"
    return Problem(doc.file, pos.line, pos.column, f"unknown apiVersion {api!r}", hint)


def _unknown_kind(doc: Document, api: str, kinds: tuple[str, ...], kind: object) -> Problem:
    """A known apiVersion with a missing or unknown kind."""
    hint = f"supported kinds: {', '.join(kinds)}"
    if kind is None:
        return Problem(
            doc.file,
            doc.start.line,
            doc.start.column,
            f"document has apiVersion {api} but no kind",
            hint,
        )
    kpos = doc.pos(("kind",))
    return Problem(
        doc.file, kpos.line, kpos.column, f"unknown kind {kind!r} for apiVersion {api}", hint
    )


def _unique_services(loaded: list[LoadedService], problems: list[Problem]) -> list[Service]:
    """Services by name; a second service of the same name is an error and left out."""
    first: dict[str, LoadedService] = {}
    out: list[Service] = []
    for item in loaded:
        name = item.service.name
        if name in first:
            where = first[name]
            problems.append(
                Problem(
                    item.file,
                    item.name_pos.line,
                    item.name_pos.column,
                    f"service {name!r} is already defined in {where.file} at line "
                    f"{where.name_pos.line}",
                    "service names are unique across all specs; rename one or merge them",
                )
            )
            continue
        first[name] = item
        out.append(item.service)
    return out

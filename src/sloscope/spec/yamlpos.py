"""Reading spec files into plain data that remembers where every value was written.

PyYAML turns a file into dicts and lists and forgets the lines. Errors must name the line
and column, so this module composes each document into YAML nodes and builds the plain
data itself, recording the position of every value and every mapping key under its path
(``("spec", "slos", 0, "objective")``). It also refuses what PyYAML would quietly accept or
choke on: duplicate keys (PyYAML keeps the last one), files over 10 MiB, binary files,
alias bombs and recursive aliases.

Nothing here raises for a problem in a file: every function returns the problems it found
as :class:`~sloscope.errors.Problem` objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sloscope.errors import Problem

#: Files above this size are refused before they are read: no spec is this large, and
#: parsing one would take minutes.
MAX_FILE_BYTES = 10 * 1024 * 1024

#: Values per document, and values reached again through aliases: caps that keep
#: ``&a [*a, *a, ...]`` chains ("billion laughs") from blowing up time and memory.
MAX_NODES = 500_000
MAX_ALIAS_EXPANSION = 50_000

PathKey = str | int
YamlPath = tuple[PathKey, ...]

_T = TypeVar("_T")

_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


class Pos(NamedTuple):
    """A 1-based line and column in a file.

    A named pair rather than a dataclass: one is made for every value and key of every
    spec (tens of thousands for a thousand SLOs), in half the time.
    """

    line: int
    column: int


class ScalarSpan(NamedTuple):
    """Where a scalar's text lies: its start, its YAML style and, if on one line, its source."""

    start: Pos
    style: str | None
    source: str | None


@dataclass
class Document:
    """One YAML document of a file, as plain data plus the position of every value."""

    file: str
    index: int
    data: object
    start: Pos
    values: dict[YamlPath, Pos] = field(default_factory=dict)
    keys: dict[YamlPath, Pos] = field(default_factory=dict)
    scalars: dict[YamlPath, ScalarSpan] = field(default_factory=dict)

    def pos(self, path: YamlPath) -> Pos:
        """Position of the value at ``path``, or of its nearest written ancestor."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return self.start

    def key_pos(self, path: YamlPath) -> Pos:
        """Position of the mapping key that holds ``path`` (the value's if there is no key)."""
        return self.keys.get(path) or self.pos(path)

    def char_pos(self, path: YamlPath, offset: int) -> Pos:
        """Position of the ``offset``-th (0-based) character of the string value at ``path``.

        Exact for plain, single- and double-quoted scalars written on one line; for block
        scalars and multi-line values it is the scalar's start.
        """
        span = self.scalars.get(path)
        if span is None:
            return self.pos(path)
        if span.source is None or span.style not in (None, "'", '"'):
            return span.start
        columns = _value_columns(span.source, span.style)
        if offset < 0 or offset >= len(columns):
            # Past the end (e.g. "missing '}'"): point just after the last character.
            last = columns[-1] + 1 if columns else (1 if span.style else 0)
            return Pos(span.start.line, span.start.column + last)
        return Pos(span.start.line, span.start.column + columns[offset])

    def sub(self, path: YamlPath, index: int) -> Document:
        """The value at ``path`` as a document of its own (an item of a list-form file).

        Positions are kept: the item's problems name the item's own lines.
        """
        size = len(path)

        def below(table: dict[YamlPath, _T]) -> dict[YamlPath, _T]:
            return {key[size:]: value for key, value in table.items() if key[:size] == path}

        return Document(
            file=self.file,
            index=index,
            data=self.get(path),
            start=self.pos(path),
            values=below(self.values),
            keys=below(self.keys),
            scalars=below(self.scalars),
        )

    def get(self, path: YamlPath) -> object:
        """The value at ``path`` (None when absent)."""
        node: object = self.data
        for part in path:
            if not _has(node, part):
                return None
            node = node[part]  # type: ignore[index]
        return node


def _has(node: object, part: PathKey) -> bool:
    """Whether ``node[part]`` exists (a key of a mapping, an index of a list)."""
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _value_columns(source: str, style: str | None) -> list[int]:
    """For each character of a scalar's value, its 0-based column offset in ``source``."""
    if style is None:
        return list(range(len(source)))
    columns: list[int] = []
    i = 1  # skip the opening quote
    end = len(source) - 1  # and the closing one
    while i < end:
        char = source[i]
        if style == "'" and char == "'" and source[i + 1 : i + 2] == "'":
            columns.append(i)
            i += 2
        elif style == '"' and char == "\\":
            nxt = source[i + 1 : i + 2]
            width = {"x": 4, "u": 6, "U": 10}.get(nxt, 2)
            columns.append(i)
            i += width
        else:
            columns.append(i)
            i += 1
    return columns


def format_path(path: YamlPath) -> str:
    """A path as a reader writes it: ``spec.slos[0].objective``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "the document"


# --- reading files ----------------------------------------------------------------------


def read_spec_file(path: Path, name: str) -> tuple[str | None, list[Problem]]:
    """Read a spec file as text, refusing large, binary and non-UTF-8 files.

    ``name`` is how the file is named in problems. Returns ``(None, problems)`` when the
    file cannot be used.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [Problem(name, 0, 0, f"cannot read the file: {exc.strerror or exc}")]
    if size > MAX_FILE_BYTES:
        return None, [
            Problem(
                name,
                0,
                0,
                f"file is {size / 1024 / 1024:.1f} MiB, larger than the "
                f"{MAX_FILE_BYTES // 1024 // 1024} MiB a spec file may be",
                "spec files are small YAML files; split it or check that the path is a spec",
            )
        ]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, 0, 0, f"cannot read the file: {exc.strerror or exc}")]
    return decode_spec_bytes(data, name)


def decode_spec_bytes(data: bytes, name: str) -> tuple[str | None, list[Problem]]:
    """Decode a spec file's bytes as UTF-8 text, refusing binary data."""
    if len(data) > MAX_FILE_BYTES:
        return None, [
            Problem(name, 0, 0, f"input is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB")
        ]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [
            Problem(name, 0, 0, "file is UTF-16 text, not UTF-8", "save the file as UTF-8")
        ]
    if b"\x00" in data:
        return None, [
            Problem(
                name,
                0,
                0,
                "binary file (it contains NUL bytes), not a YAML spec",
                "pass spec files (*.yaml, *.yml) or a folder of them",
            )
        ]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
        return None, [
            Problem(
                name,
                line,
                column,
                f"file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)",
                "save the file as UTF-8",
            )
        ]


# --- parsing documents ------------------------------------------------------------------


class _AbortError(Exception):
    """Stops building one document; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _pos(mark: yaml.Mark | None) -> Pos:
    if mark is None:
        return Pos(1, 1)
    return _new_pair(Pos, (mark.line + 1, mark.column + 1))


#: Builds a :class:`Pos` without the keyword handling of its constructor (half its cost).
_new_pair = tuple.__new__


def parse_documents(text: str, name: str) -> tuple[list[Document], list[Problem]]:
    """Parse every YAML document of ``text``.

    Empty documents (``---`` with nothing after it) are skipped. A syntax error ends the
    file: the documents before it are returned with the error.
    """
    lines = _LINE_BREAK.split(text)
    docs: list[Document] = []
    problems: list[Problem] = []
    try:
        # The reader checks every character as it is built, so it is inside the try.
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        line, column = _offset_pos(text, exc.position)
        return [], [_reader_problem(name, line, column, exc)]
    try:
        _build_documents(loader, name, lines, docs, problems)
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(exc, name))
    except yaml.reader.ReaderError as exc:
        line, column = _offset_pos(text, exc.position)
        problems.append(_reader_problem(name, line, column, exc))
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error is one of the above
        problems.append(Problem(name, 0, 0, f"invalid YAML: {exc}"))
    except RecursionError:
        problems.append(
            Problem(name, 0, 0, "YAML nested too deeply", "a spec is a few levels deep")
        )
    finally:
        loader.dispose()
    return docs, problems


def _build_documents(
    loader: _Loader,
    name: str,
    lines: list[str],
    docs: list[Document],
    problems: list[Problem],
) -> None:
    """Build each non-empty document into ``docs``; problems inside one go to ``problems``."""
    index = 0
    for node in _nodes(loader):
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            index += 1
            continue
        doc = Document(file=name, index=index, data=None, start=_pos(node.start_mark))
        builder = _Builder(loader, doc, lines, problems)
        try:
            doc.data = builder.build(node, ())
        except _AbortError as abort:
            problems.append(abort.problem)
        else:
            docs.append(doc)
        # Constructed scalars are cached per document; start each one afresh.
        loader.constructed_objects = {}
        index += 1


def _reader_problem(name: str, line: int, column: int, exc: yaml.reader.ReaderError) -> Problem:
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return Problem(
        name,
        line,
        column,
        f"character {char!r} is not allowed in YAML",
        "remove control characters from the file",
    )


#: The tag of a string scalar, whose constructed value is the node's own text.
_STR = "tag:yaml.org,2002:str"

#: The tag of a merge key (``<<``), which :meth:`_Builder.mapping` has PyYAML expand.
_MERGE = "tag:yaml.org,2002:merge"

try:
    # libyaml's parser when PyYAML was built with it: composing is ~10x faster, the
    # nodes, marks and errors are the same.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

#: Implicit tags of plain scalars already resolved (see :class:`_Loader`), by text.
_PLAIN_TAGS: dict[str, str] = {}
#: Texts :data:`_PLAIN_TAGS` holds at most (a server rereading specs for weeks adds
#: their new values): past this it starts afresh.
_PLAIN_TAGS_MAX = 8192


class _Loader(_BaseLoader):
    """PyYAML's safe loader, resolving the tag of each distinct plain scalar once.

    The parser asks the resolver for every scalar's tag, and for a plain one (unquoted)
    the resolver tries the regexes of the implicit types (bool, int, float, null,
    timestamp...) each time: a tenth of composing a spec. Without path resolvers (a safe
    loader has none) that tag depends on the scalar's text alone, and spec files repeat
    most of theirs (``28d``, ``99.9``, a journey's name).
    """

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        """The tag of a node, as PyYAML resolves it (a plain scalar's looked up once)."""
        if kind is not ScalarNode or not implicit[0] or self.yaml_path_resolvers:
            tag: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            return tag
        found = _PLAIN_TAGS.get(value)
        if found is None:
            if len(_PLAIN_TAGS) >= _PLAIN_TAGS_MAX:
                _PLAIN_TAGS.clear()
            found = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            _PLAIN_TAGS[value] = found
        return found


def _nodes(loader: _Loader) -> Iterator[Node]:
    while loader.check_node():
        node = loader.get_node()
        if node is not None:
            yield node


def _offset_pos(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = len(_LINE_BREAK.findall(before)) + 1
    last = max(before.rfind("\n"), before.rfind("\r"))
    return line, offset - last


def _syntax_problem(exc: yaml.MarkedYAMLError, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    pos = _pos(mark)
    message = str(exc.problem or "invalid YAML")
    if exc.context:
        message = f"{exc.context}, {message}"
    if exc.context_mark is not None and exc.problem_mark is not None:
        ctx = _pos(exc.context_mark)
        if ctx != pos:
            message += f" (the construct starts at line {ctx.line}, column {ctx.column})"
    hint = "check the indentation and quoting; values with ': ' or '#' need quotes"
    if "\t" in message or "tab" in message:
        hint = "YAML indents with spaces, not tabs"
    return Problem(name, pos.line, pos.column, f"invalid YAML: {message}", hint)


class _Builder:
    """Turns one document's nodes into plain data, recording positions as it goes."""

    def __init__(
        self, loader: _Loader, doc: Document, lines: list[str], problems: list[Problem]
    ) -> None:
        self.loader = loader
        self.doc = doc
        self.lines = lines
        self.problems = problems
        self.count = 0
        self.expanded = 0
        self.seen: set[int] = set()
        self.active: set[int] = set()

    def fail(self, node: Node, message: str, hint: str = "") -> _AbortError:
        pos = _pos(node.start_mark)
        return _AbortError(Problem(self.doc.file, pos.line, pos.column, message, hint))

    def build(self, node: Node, path: YamlPath) -> object:
        self.count += 1
        if id(node) in self.seen:
            self.expanded += 1
        self.seen.add(id(node))
        if self.count > MAX_NODES or self.expanded > MAX_ALIAS_EXPANSION:
            raise self.fail(
                node,
                "document expands to too many values through aliases"
                if self.expanded > MAX_ALIAS_EXPANSION
                else f"document has more than {MAX_NODES} values",
                "a spec has far fewer values; check anchors and aliases",
            )
        pos = self.doc.values[path] = _pos(node.start_mark)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path, pos)
        if id(node) in self.active:
            raise self.fail(node, "recursive alias: a value contains itself")
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
        finally:
            self.active.discard(id(node))
        raise self.fail(node, f"unsupported YAML node {type(node).__name__}")  # pragma: no cover

    def scalar(self, node: ScalarNode, path: YamlPath, pos: Pos) -> object:
        """A scalar's value, its span recorded (``pos``: where it starts)."""
        start, end = node.start_mark, node.end_mark
        source = None
        if start.line == end.line and start.line < len(self.lines):
            source = self.lines[start.line][start.column : end.column]
        self.doc.scalars[path] = ScalarSpan(pos, node.style or None, source)
        if node.tag == _STR:
            # What the constructor gives a string, without its dispatch (most values).
            return node.value
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            raise self.fail(
                node,
                f"cannot read this value: {problem}",
                "remove the YAML tag (!...) or quote the value",
            ) from None

    def mapping(self, node: MappingNode, path: YamlPath) -> dict[str, object]:
        # PyYAML's pass resolves "<<: *anchor" merge keys; most mappings have none, and
        # looking for them costs less than the pass (which does nothing else we read).
        if any(key_node.tag == _MERGE for key_node, _ in node.value):
            try:
                self.loader.flatten_mapping(node)
            except yaml.YAMLError as exc:
                problem = getattr(exc, "problem", exc)
                raise self.fail(node, f"invalid merge key: {problem}") from None
        out: dict[str, object] = {}
        seen: dict[str, Pos] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain words, not lists or mappings")
            # Keys are always strings: YAML 1.1 would read `on:` as True and `1:` as an int,
            # which no spec means. The key's own text is what the author wrote.
            key = key_node.value
            key_pos = _pos(key_node.start_mark)
            if key in seen:
                first = seen[key]
                self.problems.append(
                    Problem(
                        self.doc.file,
                        key_pos.line,
                        key_pos.column,
                        f"duplicate key {key!r} in this mapping "
                        f"(first at line {first.line}, column {first.column})",
                        "YAML keeps only the last one; remove or rename one of them",
                    )
                )
            seen[key] = key_pos
            child: YamlPath = (*path, key)
            self.doc.keys[child] = key_pos
            out[key] = self.build(value_node, child)
        return out

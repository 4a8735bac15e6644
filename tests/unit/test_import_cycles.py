"""No import cycle anywhere in sloscope, including through a package's ``__init__``.

The graph is grimp's (what import-linter checks) with one edge added: a statement
``from pkg import name`` imports the package ``pkg`` itself, whatever ``name`` is. grimp
records only ``pkg.name`` when ``name`` is a submodule, which hides the cycle that bites:
when ``pkg/__init__.py`` imports ``pkg.mod`` and ``pkg.mod`` says ``from pkg import x``,
that works while ``x`` is a submodule and fails with "partially initialized module" the
day ``x`` is a name ``__init__`` defines or re-exports.

Imports under ``if TYPE_CHECKING:`` are left out: they never run, so they cannot meet a
half-initialised module (the root package names its whole lazy public API that way).
Imports inside functions count: they run, and a cycle hidden in a function is a cycle.
"""

from __future__ import annotations

import re

import grimp

_FROM_IMPORT = re.compile(r"\s*from\s+([\w.]+)\s+import\b")


def import_graph() -> dict[str, set[str]]:
    """Module → the sloscope modules it imports (see the module docstring)."""
    graph = grimp.build_graph("sloscope", exclude_type_checking_imports=True, cache_dir=None)
    modules = graph.modules
    edges: dict[str, set[str]] = {}
    for importer in modules:
        imported = set(graph.find_modules_directly_imported_by(importer)) & modules
        for target in list(imported):
            for detail in graph.get_import_details(importer=importer, imported=target):
                named = _FROM_IMPORT.match(detail["line_contents"])
                if named and named.group(1) in modules:
                    imported.add(named.group(1))
        imported.discard(importer)
        edges[importer] = imported
    return edges


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def one_loop(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest import loop through the component's first module, to show in a message."""
    start = component[0]
    members = set(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    return component


def test_sloscope_has_no_import_cycle_even_through_a_package_init() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles (break each by importing from the defining module):\n" + (
        "\n".join(" -> ".join(one_loop(graph, c)) for c in found)
    )


def test_the_check_sees_a_cycle_through_an_init_that_grimp_alone_misses() -> None:
    # pkg/__init__ imports pkg.mod; pkg.mod imports a name from pkg: the hazard above.
    graph = {"pkg": {"pkg.mod"}, "pkg.mod": {"pkg"}, "other": {"pkg.mod"}}
    assert cycles(graph) == [["pkg", "pkg.mod"]]
    assert one_loop(graph, ["pkg", "pkg.mod"]) == ["pkg", "pkg.mod", "pkg"]


def test_from_pkg_import_submodule_counts_as_importing_the_package_too() -> None:
    # engine/evaluate.py says ``from sloscope.engine import budget``; engine/__init__
    # imports nothing, which is why that is no cycle.
    graph = import_graph()
    assert {"sloscope.engine", "sloscope.engine.budget"} <= graph["sloscope.engine.evaluate"]
    assert graph["sloscope.engine"] == set()

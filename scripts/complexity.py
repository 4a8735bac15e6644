"""Fail when a function is more complex than the limit (radon's cyclomatic complexity).

``make lint`` runs it over ``src/`` with the limit 15: every function, method and nested
function, counted as ``radon cc`` counts (1 + each branch, loop, ``except``, boolean
operator and comprehension ``if``). Radon's letter ranks do not fit the rule, as rank C
spans 11-20: ``radon cc -n C`` would also flag 11-15 and ``-n D`` would miss 16-20.

    python scripts/complexity.py --max 15 src
    python scripts/complexity.py --max 15 --skip src/sloscope/spec src
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class, Function


def functions(blocks: Iterable[object]) -> Iterator[Function]:
    """Every function among radon's blocks: methods and nested functions included."""
    for block in blocks:
        if isinstance(block, Class):
            yield from functions(block.methods)
            yield from functions(block.inner_classes)
        elif isinstance(block, Function):
            yield block
            yield from functions(block.closures)


def too_complex(paths: Iterable[Path], limit: int, skip: Iterable[Path]) -> list[str]:
    """``FILE:LINE name complexity`` of each function above ``limit``, in file order."""
    skipped = [s.resolve() for s in skip]
    found = []
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for file in files:
            if any(file.resolve().is_relative_to(s) for s in skipped):
                continue
            blocks = cc_visit(file.read_text(encoding="utf-8"))
            unique = {(f.lineno, f.fullname): f for f in functions(blocks)}
            for _, fn in sorted(unique.items()):
                if fn.complexity > limit:
                    found.append(f"{file}:{fn.lineno} {fn.fullname} {fn.complexity}")
    return found


def main(argv: list[str] | None = None) -> int:
    """Print the functions above the limit; exit 1 when there is one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--max", type=int, default=15, dest="limit")
    parser.add_argument("--skip", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    found = too_complex(args.paths, args.limit, args.skip)
    for line in found:
        print(f"{line} > {args.limit}: split it into steps (the limit is in the Makefile)")
    if args.skip:
        print(f"complexity: skipped {', '.join(map(str, args.skip))}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

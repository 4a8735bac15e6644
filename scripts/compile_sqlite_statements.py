"""Write ``src/sloscope/store/sqlite_statements.py``: the gate's Core statements compiled
for SQLite, which ``sloscope gate`` runs with the stdlib sqlite3 (no SQLAlchemy import).

Run it after changing a statement of ``sloscope.store.gates`` or a table it touches; the
unit test ``tests/unit/store/test_sqlite_statements.py`` fails until the module is
rewritten.

    python scripts/compile_sqlite_statements.py
"""

from __future__ import annotations

from sloscope.store.sqlite_compile import MODULE, render_module


def main() -> int:
    """Rewrite the generated module; print whether it changed."""
    text = render_module()
    changed = not MODULE.exists() or MODULE.read_text(encoding="utf-8") != text
    if changed:
        MODULE.write_text(text, encoding="utf-8")
    print(f"{MODULE}: {'rewritten' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

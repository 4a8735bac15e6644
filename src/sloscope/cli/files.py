"""Writing what a command made (rules, dashboards, documents) into files or folders."""

from __future__ import annotations

import sys
from pathlib import Path

from sloscope.cli.console import err, fail, visible


def write_files(files: dict[str, str], output: Path | None, *, folder: bool) -> None:
    """Write ``files`` (name → text): one to standard output or ``output``, or each into
    the folder ``output`` (``folder``, or ``output`` is one); exit 2 when that cannot be."""
    if output is None:
        if len(files) > 1:
            fail(
                f"this writes {len(files)} files ({', '.join(sorted(files))}); "
                "pass -o DIR to write them into a folder"
            )
        sys.stdout.write(next(iter(files.values())))
        return
    if folder or output.is_dir():
        make_folder(output, output)
        targets = {output / name: text for name, text in files.items()}
    else:
        make_folder(output.parent, output)
        targets = {output: next(iter(files.values()))}
    for path, text in targets.items():
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {path}: {exc.strerror or exc}")
        err.print(f"wrote {visible(str(path))}")


def make_folder(folder: Path, output: Path, *, purpose: str = "", hint: str = "") -> None:
    """Create ``folder`` for ``output``; a file in the way is bad input, not a bug."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "a file is in the way" if isinstance(exc, FileExistsError) else exc.strerror
        what = f"{purpose} cannot make the folder" if purpose else "cannot write"
        fail(f"{what} {output}: {reason or exc}" + (f"; {hint}" if hint else ""))

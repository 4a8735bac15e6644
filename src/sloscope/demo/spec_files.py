"""The demo's packaged spec files and copying them into a workspace."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from sloscope.errors import ConfigError


def demo_specs_dir() -> Traversable:
    """The packaged demo specs (``checkout.yaml``, ``identity.yaml``, ``search.yaml``)."""
    return files("sloscope.demo").joinpath("specs")


def write_demo_specs(dest_dir: Path | str, *, overwrite: bool = False) -> list[Path]:
    """Copy the demo specs into ``dest_dir`` (created if needed); return the files.

    Re-running is safe: a file that already holds the demo spec is left alone. A file of
    the same name with other content is only replaced with ``overwrite=True``; otherwise
    :class:`~sloscope.errors.ConfigError` is raised and nothing is written.
    """
    target = Path(dest_dir)
    sources = sorted(
        (entry for entry in demo_specs_dir().iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    texts = {entry.name: entry.read_text(encoding="utf-8") for entry in sources}
    if not overwrite:
        for name, text in texts.items():
            existing = target / name
            if existing.exists() and existing.read_text(encoding="utf-8") != text:
                raise ConfigError(
                    f"{existing} exists and is not the demo's {name}; move it away, "
                    "use an empty workspace for the demo, or pass overwrite=True"
                )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        path = target / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written

"""The ``sloscope`` command: arguments → workspace → output and exit code.

Exit codes (a contract for CI pipelines): 0 ok; 1 the check said no (``validate`` found
errors); 2 bad input or cannot evaluate. No traceback reaches the user for an expected
error; set ``SLOSCOPE_DEBUG=1`` to see one for an unexpected error.

This module is the entry point (:func:`main`) and says which module defines each
command; the root group is ``app`` (``sloscope.cli.root``, imported on first use, so
that :func:`main` prepares the process before typer and pydantic load). A command's
module is imported only when that command runs (see ``sloscope.cli.lazy``).
"""

from __future__ import annotations

import os
import sys
import types
from functools import cache
from importlib.machinery import ModuleSpec
from typing import TYPE_CHECKING, cast

from sloscope.cli import collector

if TYPE_CHECKING:
    from importlib.abc import Loader

    import typer

#: Every command and group, in the order ``sloscope --help`` lists them, and the module
#: whose ``commands`` defines it.
COMMANDS = {
    "validate": "sloscope.cli.specs",
    "ingest": "sloscope.cli.specs",
    "report": "sloscope.cli.report",
    "generate": "sloscope.cli.generate",
    "convert": "sloscope.cli.generate",
    "demo": "sloscope.cli.demo",
    "backtest": "sloscope.cli.backtest",
    "tune": "sloscope.cli.backtest",
    "gate": "sloscope.cli.gate",
    "override": "sloscope.cli.gate",
    "audit": "sloscope.cli.gate",
    "evaluate": "sloscope.cli.server",
    "serve": "sloscope.cli.server",
    "store": "sloscope.cli.specs",
    "policy": "sloscope.cli.gate",
    "silence": "sloscope.cli.alerts",
    "notify": "sloscope.cli.alerts",
    "alert": "sloscope.cli.alerts",
    "deploy": "sloscope.cli.deploy",
    "incident": "sloscope.cli.incidents",
    "action": "sloscope.cli.incidents",
    "token": "sloscope.cli.server",
}


#: The values of PYDANTIC_DISABLE_PLUGINS with which pydantic loads no plugin at all.
_NO_PLUGINS = ("__all__", "1", "true")


class _NoPluginLoader:
    """Finds and loads ``pydantic.plugin._loader`` where pydantic would load no plugin.

    pydantic imports its loader, and with it ``importlib.metadata`` (about 15 ms: email,
    zipfile, csv...), to build its first model, even when PYDANTIC_DISABLE_PLUGINS
    turns plugins off. Its one use there is ``get_plugins()``, which then returns no
    plugin: this module, whose ``get_plugins`` returns none, stands in for it, made when
    pydantic asks for it. With any other setting, pydantic's own loader is found.
    """

    name = "pydantic.plugin._loader"

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> ModuleSpec | None:
        """The stand-in's spec when pydantic asks for its loader and plugins are off."""
        if fullname != self.name or os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in _NO_PLUGINS:
            return None
        return ModuleSpec(fullname, cast("Loader", self))

    def create_module(self, spec: ModuleSpec) -> None:
        """The default module."""

    def exec_module(self, module: types.ModuleType) -> None:
        """``get_plugins()`` returns no plugin; any other name is pydantic's own (a later
        pydantic may ask its loader for more), read from its real module on first use."""
        module.get_plugins = tuple  # type: ignore[attr-defined]
        module.__getattr__ = _real_plugin_loader_attribute  # type: ignore[method-assign]


def _real_plugin_loader_attribute(name: str) -> object:
    """``name`` from pydantic's real ``pydantic.plugin._loader`` (loaded once, apart from
    the stand-in that holds its place in ``sys.modules``)."""
    if name.startswith("__"):
        # The import system probes modules for dunders (__path__, __spec__...): not a
        # name pydantic asks for, and no reason to load the real loader.
        raise AttributeError(name)
    return getattr(_real_plugin_loader(), name)


@cache
def _real_plugin_loader() -> types.ModuleType:
    import importlib.util
    from importlib.machinery import PathFinder

    import pydantic.plugin

    spec = PathFinder.find_spec(_NoPluginLoader.name, pydantic.plugin.__path__)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot find pydantic's {_NoPluginLoader.name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    """Console-script entry point."""
    # pydantic looks for plugins in every installed package's entry points when it builds
    # its first model (a scan of site-packages on every start); the CLI uses none. Set
    # PYDANTIC_DISABLE_PLUGINS yourself to choose otherwise.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if "pydantic.plugin._loader" not in sys.modules:
        sys.meta_path.insert(0, _NoPluginLoader())
    # OpenBLAS starts one thread per core when numpy is imported, CPU spent on every
    # command that loads numpy, yet sloscope's numpy work is elementwise: no BLAS call
    # that threads would speed up. Set before numpy loads; a user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # From here until the command runs (see sloscope.cli.lazy), what loads lives as long
    # as the process: no collection pass in between (sloscope.cli.collector).
    collector.start()
    _app()()


@cache
def _app() -> typer.Typer:
    """The root group, made once."""
    from sloscope.cli.root import make_app

    return make_app(COMMANDS)


def __getattr__(name: str) -> typer.Typer:
    """``app``, the root group, made on first use (tests and embedders use it)."""
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""What ``sloscope``'s entry point sets in its environment before any command runs."""

from __future__ import annotations

import os
import subprocess
import sys

_PROBE = """\
import os, sys
sys.argv = ["sloscope", "--version"]
from sloscope.cli import main
try:
    main()
except SystemExit:
    pass
print(os.environ.get("OPENBLAS_NUM_THREADS"), os.environ.get("PYDANTIC_DISABLE_PLUGINS"))
"""


def _environment(**given: str) -> list[str]:
    """The two settings as the entry point leaves them, started with ``given`` set."""
    return _probe(_PROBE, "OPENBLAS_NUM_THREADS", **given).split()


def _probe(script: str, *unset: str, **given: str) -> str:
    """The last line ``script`` prints in a fresh interpreter, started with
    PYDANTIC_DISABLE_PLUGINS and ``unset`` unset and ``given`` set."""
    unset = (*unset, "PYDANTIC_DISABLE_PLUGINS")
    env = {k: v for k, v in os.environ.items() if k not in unset} | given
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def test_openblas_runs_one_thread_unless_the_user_says_otherwise() -> None:
    assert _environment() == ["1", "__all__"]
    assert _environment(OPENBLAS_NUM_THREADS="4", PYDANTIC_DISABLE_PLUGINS="none") == [
        "4",
        "none",
    ]


_MODEL_PROBE = """\
import sys
sys.argv = ["sloscope", "--version"]
from sloscope.cli import main
try:
    main()
except SystemExit:
    pass
from pydantic import BaseModel
class Model(BaseModel):
    x: int
Model(x=1)
print("importlib.metadata" in sys.modules)
"""


def _scans_for_plugins(**given: str) -> bool:
    """Whether pydantic's plugin loader (and importlib.metadata) loaded for a model."""
    return _probe(_MODEL_PROBE, **given) == "True"


def test_pydantic_loads_no_plugin_machinery_unless_plugins_are_on() -> None:
    assert not _scans_for_plugins()
    assert not _scans_for_plugins(PYDANTIC_DISABLE_PLUGINS="1")
    assert _scans_for_plugins(PYDANTIC_DISABLE_PLUGINS="none")


_OTHER_NAME_PROBE = """\
import sys
sys.argv = ["sloscope", "--version"]
from sloscope.cli import main
try:
    main()
except SystemExit:
    pass
from pydantic.plugin import _loader
print(list(_loader.get_plugins()), _loader.PYDANTIC_ENTRY_POINT_GROUP)
"""


def test_the_stand_in_plugin_loader_serves_pydantic_s_other_names_from_the_real_one() -> None:
    # A later pydantic may import more than get_plugins from its loader: the stand-in
    # answers those from pydantic's own module rather than failing the first model.
    assert _probe(_OTHER_NAME_PROBE) == "[] pydantic"

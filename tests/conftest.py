"""Settings shared by the whole suite."""

from __future__ import annotations

import os

from hypothesis import settings

# A loaded 2-core CI machine must not turn a slow example into a failure: no deadlines.
# In CI the examples are derived from the test (derandomize), so main stays green for
# the same code; locally every run explores new examples.
settings.register_profile("sloscope", deadline=None)
settings.register_profile("sloscope-ci", deadline=None, derandomize=True)
settings.load_profile("sloscope-ci" if os.environ.get("CI") else "sloscope")

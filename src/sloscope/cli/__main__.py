"""``python -m sloscope.cli``: the same command as the ``sloscope`` console script."""

from sloscope.cli import main

main()

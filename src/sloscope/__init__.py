"""sloscope: SLO-driven observability and error budgets."""

__version__ = "0.1.0"

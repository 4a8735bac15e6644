"""What happened, kept in the state store: gate decisions, overrides and the audit log,
deployments, incidents and their action items, and the figures made of them.

Each module takes a :class:`~sloscope.workspace.Workspace` (for the config, specs and
telemetry) and opens its state store; the CLI and the server call the same functions.
"""

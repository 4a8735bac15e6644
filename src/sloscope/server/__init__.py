"""``sloscope serve``: the REST API, the dashboard and the evaluation loop as a service.

Needs the ``server`` extra (``pip install 'sloscope[server]'``); the rest of sloscope
never imports this package's web modules, so the CLI starts without FastAPI.
"""

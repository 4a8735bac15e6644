"""Grafana dashboards from SLO specs: one dashboard per service.

Read in this order: :mod:`~sloscope.generate.grafana.dashboard` (the entry points
``generate_dashboard`` and ``render_dashboard``, the overview row), then
:mod:`~sloscope.generate.grafana.slo_row` (one row per SLO), built from
:mod:`~sloscope.generate.grafana.panels` (panel JSON and the grid) and
:mod:`~sloscope.generate.grafana.text` (escaped Markdown, safe links, selectors, figures).
"""

"""Sample specs and realistic synthetic telemetry for ``sloscope demo``, docs and benchmarks.

Three services (checkout, search, identity) with nine SLOs ship as native YAML, and a
seeded generator writes 30 days of their Prometheus-style counters and histograms as
OpenMetrics text, with incidents placed so that the report at ``end`` and a backtest
over the range both have something to find (see ``demo/catalog.py``)::

    from pathlib import Path
    from sloscope.demo.generate import generate_openmetrics, write_truth
    from sloscope.demo.spec_files import write_demo_specs

    write_demo_specs(Path("ws/slos"))
    demo = generate_openmetrics(Path("ws/demo.om"), end=1_763_640_000)
    write_truth(Path("ws/truth.json"), demo.incidents)
    print(demo.samples, demo.bytes, [i.slo for i in demo.incidents])

For benchmarks, :func:`sloscope.demo.scale.generate_many` writes N ratio SLOs and their telemetry.
"""

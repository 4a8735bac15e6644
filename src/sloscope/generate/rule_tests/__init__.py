"""``promtool test rules`` files that prove the generated alerts fire when they should.

Read in this order: :mod:`~sloscope.generate.rule_tests.document` (the entry points
``generate_rule_tests`` and ``render_rule_tests``), :mod:`~sloscope.generate.rule_tests.scenarios`
(what each test burns and expects), :mod:`~sloscope.generate.rule_tests.events` (the SLI as
sums of selectors), :mod:`~sloscope.generate.rule_tests.series` (synthetic counters) and
:mod:`~sloscope.generate.rule_tests.expected` (expected alerts as Prometheus renders them).
"""

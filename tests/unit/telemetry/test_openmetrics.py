"""The OpenMetrics parser: every metric type, escaping, exemplars, EOF, exact errors."""

from __future__ import annotations

import io

import numpy as np
import pytest

from sloscope.errors import IngestError
from sloscope.telemetry.openmetrics.problems import MAX_PROBLEMS
from sloscope.telemetry.openmetrics.stream import parse_stream, parse_text


def _rows(text: str, fmt: str = "openmetrics") -> list[tuple[str, int, float]]:
    parsed = parse_text(text, "m.om", format=fmt)  # type: ignore[arg-type]
    return [
        (parsed.series[i].key, int(t), float(v))
        for i, t, v in zip(parsed.series_index, parsed.timestamps, parsed.values, strict=True)
    ]


def _error(text: str, fmt: str = "openmetrics") -> str:
    with pytest.raises(IngestError) as info:
        parse_text(text, "m.om", format=fmt)  # type: ignore[arg-type]
    return str(info.value)


def test_counter_total_is_read_and_created_is_skipped() -> None:
    text = (
        "# TYPE http_requests counter\n"
        "# HELP http_requests Requests served.\n"
        'http_requests_total{code="200"} 10 1700000000\n'
        'http_requests_created{code="200"} 1699990000 1700000000\n'
        'http_requests_total{code="200"} 25 1700000060\n'
        "# EOF\n"
    )
    parsed = parse_text(text, "m.om")
    assert _rows(text) == [
        ('http_requests_total{code="200"}', 1_700_000_000_000, 10.0),
        ('http_requests_total{code="200"}', 1_700_000_060_000, 25.0),
    ]
    assert parsed.created_skipped == 1
    assert parsed.series[0].type == "counter"
    assert parsed.has_eof


def test_histogram_buckets_count_sum_keep_their_le_labels() -> None:
    text = (
        "# TYPE latency_seconds histogram\n"
        "# UNIT latency_seconds seconds\n"
        'latency_seconds_bucket{le="0.1"} 3 1700000000\n'
        'latency_seconds_bucket{le="+Inf"} 5 1700000000\n'
        "latency_seconds_count 5 1700000000\n"
        "latency_seconds_sum 1.25 1700000000\n"
        "latency_seconds_created 1699000000 1700000000\n"
        "# EOF\n"
    )
    parsed = parse_text(text, "m.om")
    assert [s.key for s in parsed.series] == [
        'latency_seconds_bucket{le="0.1"}',
        'latency_seconds_bucket{le="+Inf"}',
        "latency_seconds_count",
        "latency_seconds_sum",
    ]
    assert {s.type for s in parsed.series} == {"histogram"}
    assert parsed.values.tolist() == [3.0, 5.0, 5.0, 1.25]
    assert parsed.created_skipped == 1


def test_gauge_and_untyped_samples_are_read() -> None:
    text = "# TYPE temp gauge\ntemp -3.5 1700000000\nother 1 1700000000\n# EOF\n"
    parsed = parse_text(text, "m.om")
    assert [(s.name, s.type) for s in parsed.series] == [("temp", "gauge"), ("other", "unknown")]
    assert parsed.values.tolist() == [-3.5, 1.0]


def test_label_escapes_are_decoded_and_braces_or_spaces_inside_values_are_fine() -> None:
    text = 'm{path="a\\\\b",q="say \\"hi\\"",nl="x\\ny",odd="} 1 2"} 7 1700000000\n# EOF\n'
    parsed = parse_text(text, "m.om")
    assert dict(parsed.series[0].labels) == {
        "path": "a\\b",
        "q": 'say "hi"',
        "nl": "x\ny",
        "odd": "} 1 2",
    }
    assert parsed.values.tolist() == [7.0]


def test_label_order_does_not_make_a_new_series_and_empty_values_are_dropped() -> None:
    text = (
        'm{a="1",b="2"} 1 1700000000\n'
        'm{b="2",a="1"} 2 1700000060\n'
        'm{b="2",a="1",c=""} 3 1700000120\n'
        "# EOF\n"
    )
    parsed = parse_text(text, "m.om")
    assert len(parsed.series) == 1
    assert parsed.series[0].key == 'm{a="1",b="2"}'
    assert parsed.series_index.tolist() == [0, 0, 0]


def test_exemplars_after_the_timestamp_are_ignored() -> None:
    text = 'latency_bucket{le="0.5"} 8 1700000000.5 # {trace_id="abc"} 0.42 1699999999.9\n# EOF\n'
    assert _rows(text) == [('latency_bucket{le="0.5"}', 1_700_000_000_500, 8.0)]


def test_fractional_timestamps_round_to_the_nearest_millisecond() -> None:
    text = "m 1 1700000000.001\nm 2 1700000000.0125\nm 3 1.001\n# EOF\n"
    parsed = parse_text(text, "m.om")
    assert parsed.timestamps.tolist() == [1_700_000_000_001, 1_700_000_000_012, 1001]


def test_a_gauge_may_be_nan_or_negative() -> None:
    parsed = parse_text("# TYPE g gauge\ng 1 1\ng NaN 2\ng -3.5 3\n# EOF\n", "m.om")
    assert np.isnan(parsed.values[1])
    assert parsed.values[2] == -3.5


@pytest.mark.parametrize(
    ("kind", "value", "says"),
    [
        ("counter", "+Inf", "m_total has the infinite value +Inf"),
        ("counter", "-Inf", "m_total has the infinite value -Inf"),
        ("counter", "NaN", "the counter m_total is NaN"),
        ("counter", "-1", "the counter m_total is negative (-1)"),
        ("gauge", "+Inf", "m_total has the infinite value +Inf"),
        ("untyped", "NaN", "the counter m_total is NaN"),
    ],
)
def test_an_infinite_value_or_a_nan_or_negative_counter_is_refused_naming_the_line(
    kind: str, value: str, says: str
) -> None:
    text = f"# TYPE m {kind}\nm_total 1 1700000000\nm_total {value} 1700000060\n# EOF\n"
    message = _error(text)
    assert f"m.om:3: {says}" in message
    assert message.startswith("1 problem(s)")


def test_histogram_sums_may_be_negative_but_buckets_may_not() -> None:
    head = '# TYPE h histogram\nh_sum -2 1700000000\nh_bucket{le="1"} '
    assert parse_text(head + "3 1700000000\n# EOF\n", "m.om").values.tolist() == [-2.0, 3.0]
    assert 'm.om:3: the counter h_bucket{le="1"} is negative (-3)' in _error(
        head + "-3 1700000000\n# EOF\n"
    )


def test_seconds_given_as_prometheus_milliseconds_are_refused_naming_the_line() -> None:
    text = "m 1 1700000000000\nm 2 1700000060\n"
    message = _error(text, fmt="prometheus")
    assert "m.om:2: timestamp 1700000060 would be in 1970 as milliseconds" in message
    assert "use --format openmetrics for seconds" in message


def test_missing_eof_is_accepted_and_reported() -> None:
    parsed = parse_text("m 1 1700000000\n", "m.om")
    assert not parsed.has_eof
    assert parsed.values.tolist() == [1.0]


def test_content_after_eof_is_an_error_with_its_line() -> None:
    message = _error("m 1 1700000000\n# EOF\nm 2 1700000060\n")
    assert "m.om:3: content after '# EOF' (line 2)" in message


def test_prometheus_format_reads_millisecond_timestamps() -> None:
    assert _rows("m 1 1700000000123\n", fmt="prometheus") == [("m", 1_700_000_000_123, 1.0)]


def test_invalid_value_names_the_line_and_the_text() -> None:
    text = "m 1 1700000000\nm 2 1700000060\nm abc 1700000120\n# EOF\n"
    assert 'm.om:3: invalid value "abc"' in _error(text)


def test_sample_without_timestamp_is_an_error_with_a_hint() -> None:
    message = _error("m 1 1700000000\nm 5\n# EOF\n")
    assert "m.om:2: sample without a timestamp" in message
    assert "every sample needs one" in message


def test_several_problems_are_listed_in_line_order() -> None:
    text = (
        "m 1 1700000000\n"  # 1
        "m x 1700000060\n"  # 2: bad value
        'm{a="1 2 3\n'  # 3: unterminated label value
        "m 3 nope\n"  # 4: bad timestamp
        'm{a="\\q"} 1 1\n'  # 5: bad escape
        "# TYPE m bogus\n"  # 6: bad type
        'm{a="1",a="2"} 1 1\n'  # 7: duplicate label
        "m 1 1700000000000\n"  # 8: milliseconds in OpenMetrics
        "# EOF\n"
    )
    message = _error(text)
    lines = [line.strip() for line in message.splitlines()[1:]]
    assert [line.split(":")[1] for line in lines] == ["2", "3", "4", "5", "6", "7", "8"]
    assert message.startswith("7 problem(s) in m.om; nothing was stored:")
    assert 'invalid escape "\\q"' in lines[3]
    assert "unknown metric type 'bogus'" in lines[4]
    assert "label 'a' appears twice" in lines[5]
    assert "OpenMetrics timestamps are Unix seconds" in lines[6]


def test_problems_stop_being_listed_after_the_cap() -> None:
    text = "".join(f"m bad{i} 1\n" for i in range(MAX_PROBLEMS + 5))
    message = _error(text)
    assert f"{MAX_PROBLEMS + 5} problem(s)" in message
    assert "... and 5 more" in message
    assert f"m.om:{MAX_PROBLEMS}:" in message
    assert f"m.om:{MAX_PROBLEMS + 1}:" not in message


def test_underscore_digit_separators_are_not_numbers() -> None:
    assert 'm.om:1: invalid value "1_000"' in _error("m 1_000 1700000000\n")


def test_stream_parsing_counts_lines_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import sloscope.telemetry.openmetrics.stream as om

    monkeypatch.setattr(om, "CHUNK_BYTES", 16)
    text = "".join(f"m {i} {1700000000 + i}\n" for i in range(50)) + "m oops 1\n# EOF\n"
    seen: list[tuple[int, int]] = []
    data = text.encode()
    with pytest.raises(IngestError, match=r"x\.om:51: invalid value"):
        parse_stream(
            io.BytesIO(data),
            "x.om",
            total_bytes=len(data),
            progress=lambda d, t: seen.append((d, t)),
        )
    assert seen[-1] == (len(data), len(data))
    assert len(seen) > 10


def test_crlf_line_endings_are_accepted() -> None:
    assert _rows('m{a="1"} 2 1700000000\r\n# EOF\r\n') == [('m{a="1"}', 1_700_000_000_000, 2.0)]


def test_known_series_lines_with_exemplars_spaces_or_gaps_take_the_careful_path() -> None:
    text = (
        'a{x="p q"} 1 10\n'  # spaces inside a label value
        'a{x="p q"} 2 20\n'
        'a{x="p q"} 3 30 # {trace_id="t"} 0.1 29\n'  # exemplar on a known series
        "b 4 40\n"
        "b 5 50 # {} 1\n"
        "b\t6\t60\n"  # tabs, as the Prometheus text format allows
        "# EOF\n"
    )
    assert [(key, t, v) for key, t, v in _rows(text)] == [
        ('a{x="p q"}', 10_000, 1.0),
        ('a{x="p q"}', 20_000, 2.0),
        ('a{x="p q"}', 30_000, 3.0),
        ("b", 40_000, 4.0),
        ("b", 50_000, 5.0),
        ("b", 60_000, 6.0),
    ]


def test_a_known_series_missing_its_timestamp_is_still_reported_with_its_line() -> None:
    text = 'a{x="1"} 1 10\na{x="1"} 2 20\na{x="1"} 3\nb 1 1\nb 2\n# EOF\n'
    message = _error(text)
    assert "m.om:3: sample without a timestamp (value '3')" in message
    assert "m.om:5: sample without a timestamp (value '2')" in message
    assert message.startswith("2 problem(s)")


def test_extra_fields_after_the_timestamp_are_an_error() -> None:
    assert "m.om:2: unexpected '9' after the timestamp" in _error("m 1 1\nm 2 2 9\n# EOF\n")

"""YAML that remembers positions: values, keys, characters inside scalars, and refusals."""

from __future__ import annotations

from sloscope.spec.yamlpos import Pos, decode_spec_bytes, format_path, parse_documents


def test_positions_of_values_and_keys_are_one_based() -> None:
    docs, problems = parse_documents("a:\n  b: 1\n  c: [x, y]\n", "f.yaml")
    assert problems == []
    doc = docs[0]
    assert doc.data == {"a": {"b": 1, "c": ["x", "y"]}}
    assert doc.pos(("a", "b")) == Pos(2, 6)
    assert doc.key_pos(("a", "b")) == Pos(2, 3)
    assert doc.pos(("a", "c", 1)) == Pos(3, 10)


def test_a_missing_path_falls_back_to_its_nearest_ancestor() -> None:
    docs, _ = parse_documents("a:\n  b: 1\n", "f.yaml")
    assert docs[0].pos(("a", "zzz", 3)) == Pos(2, 3)


def test_char_pos_of_plain_scalar_adds_the_offset() -> None:
    docs, _ = parse_documents("k: abc{x}\n", "f.yaml")
    assert docs[0].char_pos(("k",), 3) == Pos(1, 7)


def test_char_pos_of_single_quoted_scalar_skips_the_quote_and_doubled_quotes() -> None:
    docs, _ = parse_documents("k: 'a''b{'\n", "f.yaml")
    assert docs[0].data == {"k": "a'b{"}
    # value index 3 is "{": after the quote (col 4), a (5), '' (6-7), b (8) → col 9
    assert docs[0].char_pos(("k",), 3) == Pos(1, 9)


def test_char_pos_of_double_quoted_scalar_follows_escapes() -> None:
    docs, _ = parse_documents('k: "x{a=\\"1\\"} y"\n', "f.yaml")
    assert docs[0].data == {"k": 'x{a="1"} y'}
    # value 'x{a="1"} y': index 9 is "y"; in the source the two \" take two columns each
    assert docs[0].char_pos(("k",), 9) == Pos(1, 16)


def test_char_pos_of_a_block_scalar_is_the_scalar_start() -> None:
    docs, _ = parse_documents("k: |\n  abc\n", "f.yaml")
    assert docs[0].char_pos(("k",), 2) == Pos(1, 4)


def test_char_pos_past_the_end_points_after_the_last_character() -> None:
    docs, _ = parse_documents("k: ab\n", "f.yaml")
    assert docs[0].char_pos(("k",), 2) == Pos(1, 6)


def test_duplicate_keys_are_an_error_at_the_second_key() -> None:
    docs, problems = parse_documents("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert docs[0].data == {"a": 3, "b": 2}
    assert [str(p) for p in problems] == [
        "f.yaml:3:1: error: duplicate key 'a' in this mapping (first at line 1, column 1) "
        "(hint: YAML keeps only the last one; remove or rename one of them)"
    ]


def test_keys_are_strings_as_written_not_yaml_1_1_booleans() -> None:
    docs, _ = parse_documents("on: 1\n2: x\n", "f.yaml")
    assert docs[0].data == {"on": 1, "2": "x"}


def test_a_recursive_alias_is_an_error_not_a_hang() -> None:
    docs, problems = parse_documents("a: &x [1, *x]\n", "f.yaml")
    assert docs == []
    assert problems[0].message == "recursive alias: a value contains itself"


def test_an_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    docs, problems = parse_documents("\n".join(lines) + "\n", "f.yaml")
    assert docs == []
    assert problems[0].message == "document expands to too many values through aliases"


def test_empty_documents_are_skipped_and_indexes_kept() -> None:
    docs, problems = parse_documents("---\n---\na: 1\n---\n", "f.yaml")
    assert problems == []
    assert [(d.index, d.data) for d in docs] == [(1, {"a": 1})]


def test_custom_tags_are_an_error_at_the_value() -> None:
    _, problems = parse_documents("a: !Ref x\n", "f.yaml")
    assert str(problems[0]).startswith("f.yaml:1:4: error: cannot read this value")


def test_control_characters_are_an_error_with_their_position() -> None:
    _, problems = parse_documents("a: 1\nb: \x07\n", "f.yaml")
    assert str(problems[0]).startswith("f.yaml:2:4: error: character '\\x07' is not allowed")


def test_utf16_files_are_named_as_such() -> None:
    text, problems = decode_spec_bytes("a: 1\n".encode("utf-16"), "f.yaml")
    assert text is None
    assert problems[0].message == "file is UTF-16 text, not UTF-8"


def test_invalid_utf8_names_line_and_column() -> None:
    text, problems = decode_spec_bytes("a: 1\nbé: \xff".encode("latin-1"), "f.yaml")
    assert text is None
    assert (problems[0].line, problems[0].column) == (2, 2)


def test_format_path_reads_like_the_yaml() -> None:
    assert format_path(("spec", "slos", 0, "objective")) == "spec.slos[0].objective"
    assert format_path(()) == "the document"


def test_plain_scalars_read_as_pyyaml_reads_them_every_time() -> None:
    """Each distinct plain scalar's tag is resolved once (the loader remembers it): the
    values, read twice and beside their quoted forms, are PyYAML's safe loader's."""
    import yaml

    text = (
        "a: [yes, no, on, 1.5, 0x1f, ~, null, 2026-01-01, 28d, 99.9, '99.9', .inf, 1_000, 012]\n"
        "b: [yes, 1.5, ~, 28d, 99.9, '1.5', \"yes\"]\n"
    )
    for _ in range(2):
        docs, problems = parse_documents(text, "f.yaml")
        assert problems == []
        assert docs[0].data == yaml.safe_load(text)
    assert docs[0].data["b"][:2] == [True, 1.5]  # type: ignore[index]


def test_merge_keys_are_expanded_and_other_keys_kept_as_written() -> None:
    """``<<: *anchor`` merges (one mapping or a list), a bad merge is a problem, and a
    quoted ``'<<'`` or a ``=`` key is an ordinary key."""
    text = (
        "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  w: 0\nd:\n  <<: *a\n  '<<': 5\n  =: 6\n"
    )
    docs, problems = parse_documents(text, "f.yaml")
    assert problems == []
    assert docs[0].data == {
        "a": {"x": 1},
        "b": {"y": 2},
        "c": {"x": 1, "y": 2, "w": 0},
        "d": {"x": 1, "<<": 5, "=": 6},
    }
    _, problems = parse_documents("c:\n  <<: 5\n", "f.yaml")
    assert [p.message for p in problems] == [
        "invalid merge key: expected a mapping or list of mappings for merging, but found scalar"
    ]

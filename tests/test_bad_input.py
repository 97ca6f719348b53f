"""Every kind of bad input gives a short error naming the file and line or field, exit status 2.

Each case is (id, file name, content, fragments the message must contain).
"""

from __future__ import annotations

import pytest

from conftest import TWO_ACTORS_YAML as GOOD_YAML


def yaml_with(old: str, new: str) -> str:
    assert old in GOOD_YAML
    return GOOD_YAML.replace(old, new)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + k)}: &{chr(98 + k)} [*{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}]\n" for k in range(8)
)

CASES = [
    ("missing-file", None, None, ["no such file"]),
    ("wrong-delimiter", "s.csv", "actor;issue;position;salience\na;x;10;0.5\nb;x;90;0.5\n", ["s.csv:1", "';'"]),
    ("nan-position", "s.csv", "actor,issue,position,salience\na,x,nan,0.5\nb,x,90,0.5\n", ["s.csv:2", "position", "finite"]),
    ("text-position", "s.csv", "actor,issue,position,salience\na,x,ten,0.5\nb,x,90,0.5\n", ["s.csv:2", "position must be a number"]),
    ("position-off-scale", "s.yaml", yaml_with("position: 10,", "position: 120,"), ["s.yaml:9", "off the scale"]),
    ("negative-capability", "s.yaml", yaml_with("capability: 2", "capability: -2"), ["s.yaml:4", "capability must be >= 0"]),
    ("salience-above-one", "s.yaml", yaml_with("salience: 0.5}\n  b", "salience: 1.5}\n  b"), ["s.yaml:9", "salience"]),
    ("duplicate-actor-id", "s.yaml", yaml_with("id: b, name: B", "id: a, name: B"), ["s.yaml", "duplicate actor id 'a'"]),
    ("stance-unknown-issue", "s.yaml", yaml_with("    x: {position: 90", "    y: {position: 90"), ["s.yaml:11", "unknown issue 'y'"]),
    ("empty-file", "s.yaml", "", ["s.yaml", "empty"]),
    ("empty-scenario", "s.yaml", "title: nothing\n", ["s.yaml", "at least two actors", "at least one issue"]),
    ("one-actor", "s.csv", "actor,issue,position,salience\na,x,10,0.5\n", ["s.csv", "at least two actors"]),
    ("too-large", "big.csv", "LARGE", ["big.csv", "MB", "limited"]),
    ("not-utf8", "s.csv", b"actor,issue,position,salience\na,x,10,0.5\n\xff\xfe,x,90,0.5\n", ["s.csv:3", "UTF-8"]),
    ("yaml-alias-bomb", "s.yaml", BOMB, ["s.yaml:2", "aliases"]),
    ("yaml-syntax", "s.yaml", GOOD_YAML + "  - [unclosed\n", ["s.yaml:", "not valid YAML"]),
    ("binary-file", "s.csv", b"\x00\x01\x02PK\x03\x04", ["s.csv", "binary"]),
    ("issue-without-stances", "s.yaml", yaml_with("  - {id: x, name: X}", "  - {id: x, name: X}\n  - {id: z, name: Z}"), ["s.yaml:7", "no actor has a stance"]),
    ("status-quo-off-scale", "s.yaml", yaml_with("{id: x, name: X}", "{id: x, name: X, status_quo: 150}"), ["s.yaml:6", "status quo"]),
    ("low-above-position", "s.yaml", yaml_with("position: 10,", "position: 10, low: 20,"), ["s.yaml:9", "low <= position"]),
    ("unknown-field", "s.yaml", "titel: typo\n" + GOOD_YAML, ["s.yaml:1", "unknown field 'titel'"]),
    ("top-level-list", "s.yaml", "- a\n- b\n", ["s.yaml:1", "mapping"]),
    ("scale-reversed", "s.yaml", yaml_with("{id: x, name: X}", "{id: x, name: X, scale: {lower: 100, upper: 0}}"), ["s.yaml:6", "lower < upper"]),
    ("unknown-veto-actor", "s.yaml", yaml_with("{id: x, name: X}", "{id: x, name: X, veto: [zz]}"), ["s.yaml:6", "unknown actor 'zz'"]),
    ("precondition-cycle", "s.yaml", yaml_with("  - {id: x, name: X}", "  - {id: x, name: X}\n  - {id: y, name: Y}").replace("    x: {position: 90, salience: 0.5}\n", "    x: {position: 90, salience: 0.5}\n    y: {position: 50, salience: 0.5}\n") + "preconditions:\n  - {issue: x, requires: [y]}\n  - {issue: y, requires: [x]}\n", ["s.yaml", "cycle"]),
    ("too-many-fields", "s.csv", "actor,issue,position,salience\na,x,10,0.5,7\nb,x,90,0.5\n", ["s.csv:2", "5 fields"]),
    ("all-capability-zero", "s.yaml", yaml_with("capability: 1", "capability: 0").replace("capability: 2", "capability: 0"), ["s.yaml", "capability 0"]),
    ("capability-conflict", "s.csv", "actor,issue,position,salience,capability\na,x,10,0.5,1\na,y,10,0.5,2\nb,x,90,0.5,1\nb,y,9,0.5,1\n", ["s.csv:3", "capability"]),
    ("folder-not-scenario", "DIR", None, ["folder"]),
    ("bdm-missing-salience", "bdm.csv", "Actor,Capability,Position,Salience\nA,1,4,\nB,1,6,0.5\n", ["bdm.csv:2", "missing salience"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_short_located_error(case, tmp_path, run_cli):
    kind, name, content, fragments = case
    if name is None:
        path = tmp_path / "missing.yaml"
    elif name == "DIR":
        path = tmp_path / "folder"
        path.mkdir()
        (path / "readme.txt").write_text("not a scenario")
    else:
        path = tmp_path / name
        if content == "LARGE":
            with open(path, "wb") as fh:
                fh.write(b"actor,issue,position,salience\n")
                fh.truncate(50 * 1024 * 1024)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    code, out, err = run_cli("validate", path)
    assert code == 2, (kind, out, err)
    assert "Traceback" not in err + out
    message = " ".join(err.split())
    for fragment in fragments:
        assert fragment in message, (kind, fragment, message)
    assert len(err.splitlines()) <= 12, err  # short: one line per problem


def test_unknown_model_is_a_clear_error(run_cli):
    from conftest import SYRIA

    code, _, err = run_cli("forecast", SYRIA, "--model", "oracle")
    assert code == 2
    assert "unknown model 'oracle'" in err and "compromise" in err


def test_every_problem_is_reported_at_once(tmp_path, run_cli):
    bad = yaml_with("capability: 2", "capability: -2").replace("position: 10,", "position: 120,")
    path = tmp_path / "s.yaml"
    path.write_text(bad)
    code, _, err = run_cli("validate", path)
    assert code == 2
    assert "2 problems" in err
    assert "capability" in err and "off the scale" in err


def test_the_list_covers_at_least_twenty_kinds():
    assert len(CASES) >= 20

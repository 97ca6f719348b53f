"""The Decide #A/#P/#M/#D reader and writer."""

from __future__ import annotations

import numpy as np
import pytest

from accord.errors import ScenarioError
from accord.io import detect_format, read_scenario
from accord.io.decide import dumps_decide, read_decide, sniff_decide, write_decide
from accord.models.exchange import power_matrix

from conftest import shared

SMALL = """'#A'\t'us'\t'United States'\t'a comment'
'#A'\t'ru'\t'Russia'\t''
'#P'\t'syria'\t'Syria'\t'who governs'
'#M'\t'syria'\t0\t'Assad stays'
'#M'\t'syria'\t50\t'transition'
'#M'\t'syria'\t100\t'Assad goes'
'#P'\t'toll'\t'Toll'\t''
'#M'\t'toll'\t0.5
'#M'\t'toll'\t7
'#/'\t'a comment line'
'#D'\t'us'\t'syria'\t100.0\t0.9\t1.0
'#D'\t'ru'\t'syria'\t0.0\t0.8\t0.6
'#D'\t'us'\t'toll'\t3\t0.2\t1.0
'#D'\t'ru'\t'toll'\t6.5\t0.1\t0.6
"""


def write(tmp_path, text, name="s.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_reads_actors_issues_scales_and_stances(tmp_path):
    s = read_decide(write(tmp_path, SMALL))
    assert s.actor_ids == ("us", "ru") and s.actor("us").name == "United States"
    assert s.actor("us").description == "a comment"
    syria, toll = s.issue("syria"), s.issue("toll")
    assert (syria.lower, syria.upper) == (0, 100)
    assert syria.anchors == ((0.0, "Assad stays"), (50.0, "transition"), (100.0, "Assad goes"))
    assert (toll.lower, toll.upper) == (0.5, 7)
    assert s.stance("ru", "toll").position == 6.5 and s.stance("ru", "toll").salience == 0.1
    assert [a.capability for a in s.actors] == [1.0, 0.6]
    assert power_matrix(s) is None  # power constant per actor: it is the capability


def test_per_issue_power_is_kept(tmp_path):
    text = SMALL.replace("'toll'\t6.5\t0.1\t0.6", "'toll'\t6.5\t0.1\t0.2")
    s = read_decide(write(tmp_path, text))
    assert s.actor("ru").capability == pytest.approx(0.4)  # the mean of 0.6 and 0.2
    assert s.meta["decide"]["power"] == {"ru": {"syria": 0.6, "toll": 0.2}}
    np.testing.assert_allclose(power_matrix(s), [[1.0, 1.0], [0.6, 0.2]])


def test_round_trip(tmp_path):
    s = read_decide(write(tmp_path, SMALL))
    out = tmp_path / "out.tsv"
    write_decide(s, out)
    back = read_decide(out)
    assert back.actors == s.actors and back.issues == s.issues and back.stances == s.stances
    assert sniff_decide(out.read_text()) == "decide"


def test_detected_by_content(tmp_path):
    p = write(tmp_path, SMALL, "looks-like.txt")
    assert detect_format(p) == "decide"
    assert read_scenario(p).issue_ids == ("syria", "toll")
    assert sniff_decide("# a YAML comment\ntitle: x\n") is None
    assert sniff_decide("actor,issue,position,salience\n") is None


@pytest.mark.parametrize(("edit", "line", "message"), [
    (("'us'\t'syria'\t100.0", "'usa'\t'syria'\t100.0"), 11, "unknown actor 'usa'"),
    (("'ru'\t'syria'\t0.0\t0.8", "'ru'\t'syria'\t0.0\t1.8"), 12, "salience must be in [0, 1]"),
    (("'us'\t'toll'\t3\t", "'us'\t'toll'\t9\t"), 13, "off the issue's scale [0.5, 7]"),
    (("'ru'\t'toll'\t6.5", "'ru'\t'toll'\tsix"), 14, "position must be a number"),
    (("'#M'\t'toll'\t7\n", ""), 8, "one #M scale point"),
    (("'#D'\t'ru'\t'toll'", "'#X'\t'ru'\t'toll'"), 14, "unknown record '#X'"),
])
def test_bad_input_names_file_and_line(tmp_path, edit, line, message):
    p = write(tmp_path, SMALL.replace(*edit))
    with pytest.raises(ScenarioError) as err:
        read_decide(p)
    assert any(pr.line == line and message in pr.message and pr.file == str(p) for pr in err.value.problems), str(err.value)
    assert f"{p}:{line}" in str(err.value)


def test_duplicate_stance(tmp_path):
    p = write(tmp_path, SMALL + "'#D'\t'us'\t'syria'\t50\t0.5\t1.0\n")
    with pytest.raises(ScenarioError, match="duplicate stance of 'us' on 'syria' \\(first on line 11\\)"):
        read_decide(p)


@pytest.mark.parametrize("name", ["cop21.csv", "copenhagen.csv", "trade10x5.csv", "sample_data.txt"])
def test_reads_the_reference_files(name):
    s = read_scenario(shared("reference", "decide", name))
    assert s.problems() == []
    assert len(s.stances) > 0
    assert dumps_decide(s).count("'#D'") == len(s.stances)


def test_capability_is_the_typed_power():
    # A mean of equal floats can be off in the last bit, and the exchange model is sensitive to it.
    s = read_decide(shared("reference", "decide", "trade10x5.csv"))
    assert [a.capability for a in s.actors][:3] == [0.5, 0.55, 0.43]


def test_cop21_shape():
    s = read_decide(shared("reference", "decide", "cop21.csv"))
    assert (len(s.actors), len(s.issues), len(s.stances)) == (15, 13, 181)

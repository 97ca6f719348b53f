"""KTAB's SMP files: CSV and XML readers, writers, sniffing and bad input."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from accord.errors import InputFileError, ScenarioError
from accord.forecast import model_kwargs
from accord.io import detect_format, read_scenario
from accord.io.ktab import (
    loads_ktab_csv,
    loads_ktab_xml,
    read_ktab_csv,
    read_ktab_xml,
    sniff_ktab,
    write_ktab_csv,
    write_ktab_xml,
)
from accord.models import get

from conftest import shared

KTAB = ("reference", "ktab")

CSV = """Tiny,"A small, quoted description",3,2,
Actor,Description,Power,Left Position,Left Salience,Right Position,Right Salience,
A, Alpha, 100, 30, 40, 20, 50,
B, Beta,   60, 45, 30, 65, 30,
C, Gamma,  20, 80, 10, 50, 80,
"""


def test_reads_soe_pol_comp():
    s = read_ktab_csv(shared(*KTAB, "SOE-Pol-Comp.csv"))
    a = s.arrays()
    assert s.title == "China Policy/Competitive; scen 2"
    assert s.issue_ids == ("Policy Position", "Competitive Position")
    assert a.actor_ids[:3] == ("XJ", "LK", "ZG") and s.actors[0].name == "Xi Jinping"
    assert a.capability[0] == 100 and a.position[1].tolist() == [45, 65]
    assert a.salience[0].tolist() == [0.24, 0.48]
    assert a.lower.tolist() == [0, 0] and a.upper.tolist() == [100, 100]
    assert np.isnan(a.status_quo).all()
    assert s.meta["ktab"]["capability_column"] == "Influence"


@pytest.mark.parametrize("name", ["SOE-Pol-Comp", "SOE-Policy", "SOE-Competitive", "dummyData_3Dim",
                                  "dummyData_6Dim", "dummyData-a040", "synth-a50-d3"])
def test_reads_every_reference_csv_and_detects_it(name):
    path = shared(*KTAB, f"{name}.csv")
    assert detect_format(path) == "ktab-csv"
    s = read_scenario(path)
    declared = int(next(csv.reader(open(path, encoding="utf-8")))[2])
    assert len(s.actors) == declared


def test_reads_quoted_fields_and_salience_shares():
    s = loads_ktab_csv(CSV, "tiny.csv")
    assert s.description == "A small, quoted description"
    assert s.arrays().salience[2].tolist() == [0.1, 0.8]


def test_reads_xml_with_parameters_seed_and_ideal_adjustment():
    s = read_ktab_xml(shared(*KTAB, "smpExample.xml"))
    k = s.meta["ktab"]
    assert k["seed"] == 3507583219545544127
    assert k["parameters"]["PCEModel"] == "MarkovIncentive" and k["parameters"]["StateTransitions"] == "Stochastic"
    assert {"actor": "Bob", "reference": "Alice", "adjust": 0.07} in k["ideal_adjustment"]
    # Alice's first coordinate is empty: no stance there, its salience kept in meta
    assert s.stance("Alice", "FirstDim") is None
    assert k["missing_positions"] == [{"actor": "Alice", "dimension": "FirstDim", "salience": pytest.approx(0.323)}]
    kwargs = model_kwargs(s, get("smp"))
    assert kwargs["pce_model"] == "MarkovIncentive" and kwargs["accommodate"][1, 0] == 0.07


def test_xml_and_csv_of_the_same_scenario_agree():
    x = read_ktab_xml(shared(*KTAB, "dummyData_3Dim.xml")).arrays()
    c = read_ktab_csv(shared(*KTAB, "dummyData_3Dim.csv")).arrays()
    assert x.actor_ids == c.actor_ids
    np.testing.assert_array_equal(x.position, c.position)
    np.testing.assert_array_equal(x.salience, c.salience)
    np.testing.assert_array_equal(x.capability, c.capability)


def test_csv_round_trip(tmp_path):
    s = read_ktab_csv(shared(*KTAB, "SOE-Pol-Comp.csv"))
    out = tmp_path / "soe.csv"
    write_ktab_csv(s, out)
    assert sniff_ktab(out.read_text()) == "ktab-csv"
    back = read_ktab_csv(out).arrays()
    a = s.arrays()
    assert back.actor_ids == a.actor_ids and back.issue_ids == a.issue_ids
    np.testing.assert_array_equal(back.position, a.position)
    np.testing.assert_array_equal(back.salience, a.salience)
    np.testing.assert_array_equal(back.capability, a.capability)


def test_xml_round_trip_keeps_parameters_and_missing_positions(tmp_path):
    s = read_ktab_xml(shared(*KTAB, "smpExample.xml"))
    out = tmp_path / "ex.xml"
    write_ktab_xml(s, out)
    back = read_ktab_xml(out)
    assert back.meta["ktab"]["parameters"] == s.meta["ktab"]["parameters"]
    assert back.meta["ktab"]["seed"] == s.meta["ktab"]["seed"]
    assert back.meta["ktab"]["ideal_adjustment"] == s.meta["ktab"]["ideal_adjustment"]
    assert back.stance("Alice", "FirstDim") is None
    np.testing.assert_array_equal(np.nan_to_num(back.arrays().position), np.nan_to_num(s.arrays().position))


def test_writer_refuses_what_ktab_cannot_hold(tmp_path):
    from accord.scenario import from_arrays

    s = from_arrays([1, 1], [[10, np.nan], [20, 30]], [[0.8, 0.5], [0.3, 0.3]])
    with pytest.raises(ScenarioError) as err:
        write_ktab_csv(s, tmp_path / "x.csv")
    assert "a0" in str(err.value) and "i1" in str(err.value)


def test_sniffing():
    assert sniff_ktab(CSV) == "ktab-csv"
    assert sniff_ktab("actor,issue,position,salience\na,b,1,2\n") is None
    assert sniff_ktab("\ufeff<?xml version='1.0'?>\n<Scenario><Dimensions/><Actors/></Scenario>") == "ktab-xml"
    assert sniff_ktab("<html></html>") is None


@pytest.mark.parametrize(
    "edit,line,message",
    [
        (("A, Alpha, 100, 30,", "A, Alpha, 100, abc,"), 3, "position must be a number"),
        (("C, Gamma,  20, 80,", "C, Gamma,  20, 180,"), 5, "position must be a number in [0, 100]"),
        (("B, Beta,   60, 45, 30, 65, 30", "B, Beta,   60, 45, 60, 65, 50"), 4, "add up to 110"),
        (("B, Beta,   60,", "B, Beta,   -6,"), 4, "capability"),
        ((",3,2,", ",4,2,"), 5, "declares 4 actors but 3"),
        ((",3,2,", ",x,2,"), 1, "numActors"),
    ],
)
def test_bad_csv_names_file_and_line(edit, line, message):
    text = CSV.replace(*edit)
    with pytest.raises(ScenarioError) as err:
        loads_ktab_csv(text, "bad.csv")
    assert f"bad.csv:{line}" in str(err.value) and message in str(err.value)


XML = """<?xml version="1.0"?>
<Scenario>
  <name>x</name><desc>y</desc>
  <prngSeed>42</prngSeed>
  <Dimensions><dName>D1</dName></Dimensions>
  <Actors>
    <Actor><name>A</name><description>a</description><capability>10</capability>
      <Position><dCoord>20</dCoord></Position><Salience><dSal>50</dSal></Salience></Actor>
    <Actor><name>B</name><description>b</description><capability>5</capability>
      <Position><dCoord>70</dCoord></Position><Salience><dSal>60</dSal></Salience></Actor>
  </Actors>
</Scenario>
"""


def test_small_xml_reads():
    s = loads_ktab_xml(XML, "x.xml")
    assert s.arrays().position.tolist() == [[20], [70]] and s.meta["ktab"]["seed"] == 42


@pytest.mark.parametrize(
    "edit,line,message",
    [
        (("<dSal>60</dSal>", "<dSal>160</dSal>"), 10, "salience must be in [0, 100]"),
        (("<capability>5</capability>", "<capability>0</capability>"), 9, "capability must be a number > 0"),
        (("<dCoord>70</dCoord>", "<dCoord>seventy</dCoord>"), 10, "must be a number"),
        (("<prngSeed>42</prngSeed>", "<prngSeed>-1</prngSeed>"), 4, "prngSeed"),
        (("<desc>y</desc>", "<desc>y</desc><ModelParameters><VotingRule>Majority</VotingRule></ModelParameters>"), 3,
         "<ModelParameters> has no <VictoryProbModel>"),
    ],
)
def test_bad_xml_names_file_and_line(edit, line, message):
    with pytest.raises(ScenarioError) as err:
        loads_ktab_xml(XML.replace(*edit), "bad.xml")
    assert f"bad.xml:{line}" in str(err.value) and message in str(err.value)


def test_malformed_xml_names_the_line():
    with pytest.raises(InputFileError, match=r"bad.xml:4: not well-formed"):
        loads_ktab_xml(XML.replace("</prngSeed>", "</prngSee>"), "bad.xml")

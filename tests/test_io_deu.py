"""DEU reader and writer: the folder layout, the deposit's single file, bad input, round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accord.errors import ScenarioError
from accord.io.deu import deu_table, read_deu, sniff_deu, write_deu

from conftest import shared


@pytest.fixture(scope="module")
def deu3():
    return read_deu(shared("deu3"))


def test_read_deu3_folder(deu3):
    assert len(deu3.issues) == 245
    assert len(deu3.actors) == 30
    assert len(deu3.stances) == 4849
    a = deu3.arrays()
    assert np.isnan(a.status_quo).sum() == 72  # blank rp
    assert a.salience.max() <= 1.0
    first = deu3.issue("d00032i1")
    assert first.group == "d00032" and first.status_quo == 0.0
    assert deu3.stance("com", "d00032i1").salience == pytest.approx(0.5)
    table = deu_table(deu3)
    assert table.loc["d00032i1", "out"] == 100 and table.loc["d00032i1", "proc"] == "COD"
    assert set(table["split"]) == {"train", "dev"}
    assert deu3.meta["deu_actors"]["de"]["gdp_weight"] == pytest.approx(4.1)


def test_rules_and_vetoes_follow_counvte_and_procedure(deu3):
    unan = deu3.issue("d97264i1")  # COD, Unan
    assert unan.rule.kind == "consensus" and "de" in unan.rule.parties and "com" not in unan.rule.parties
    assert set(unan.veto) == set(unan.rule.parties) | {"ep"}
    qmv_cns = deu3.issue("n98092i2")
    assert qmv_cns.rule.kind == "majority" and qmv_cns.veto == ()


def test_missing_salience_is_zero_or_mean(deu3):
    table = deu_table(deu3)
    isnr = table.index[table["n_missing_salience"] > 0][0]
    zeros = [s for s in deu3.stances if s.issue == isnr and s.salience == 0]
    assert zeros
    filled = read_deu(shared("deu3"), missing_salience="mean")
    assert all(filled.stance(s.actor, isnr).salience > 0 for s in zeros)


def test_split_keeps_only_that_split():
    train = read_deu(shared("deu3"), split="train")
    assert len(train.issues) == 140
    assert set(deu_table(train)["split"]) == {"train"}
    with pytest.raises(ScenarioError, match="no issue has split"):
        read_deu(shared("deu3"), split="test")


def test_sniff(tmp_path):
    assert sniff_deu(shared("deu3")) == "deu"
    assert sniff_deu(shared("deu3", "issues.csv")) == "deu"
    assert sniff_deu("isnr;prnr;out;com;scom\n") == "deu"
    assert sniff_deu("actor,issue,position,salience\na,i,1,1\n") is None
    assert sniff_deu(tmp_path) is None


WIDE = """isnr;prnr;prname;type;council;proc;counvte;intro;rp;out;com;scom;ep;sep;de;sde;fr;sfr
x01i1;x01;demo;Reg;Agri;CNS;QMV;01-02-03;0;60;100;50;80;999;20;90;999;999
x01i2;x01;demo;Reg;Agri;CNS;QMV;01-02-03;999;999;0;40;50;50;100;70;40;60
"""


def test_single_file_wide_layout(tmp_path):
    p = tmp_path / "deu.csv"
    p.write_text(WIDE)
    assert sniff_deu(p) == "deu"
    s = read_deu(p)
    assert s.issue_ids == ("x01i1", "x01i2")
    a = s.arrays()
    assert s.stance("fr", "x01i1") is None  # 999 position = no position
    assert s.stance("ep", "x01i1").salience == 0.0  # 999 salience = missing
    assert s.stance("de", "x01i2").position == 100 and s.stance("de", "x01i2").salience == pytest.approx(0.7)
    assert math.isnan(a.status_quo[1])
    assert s.meta["deu"][1]["out"] is None and math.isnan(deu_table(s).loc["x01i2", "out"])


def test_single_file_long_layout(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("isnr;prnr;proc;counvte;rp;out;actor;position;salience\n"
                 "y1;y;COD;Unan;0;50;com;100;80\ny1;y;COD;Unan;0;50;de;0;90\ny1;y;COD;Unan;0;50;ep;999;50\n")
    s = read_deu(p)
    assert s.actor_ids == ("com", "de")
    assert s.issue("y1").veto == ("de",)  # ep has no position, so no veto


@pytest.mark.parametrize(
    ("issues", "positions", "message"),
    [
        ("isnr,prnr,out\ni1,p,50\n", "isnr,actor,position,salience\ni1,de,150,50\n", r"positions\.csv:2 .*position must be between 0 and 100"),
        ("isnr,prnr,out\ni1,p,50\n", "isnr,actor,position,salience\ni9,de,10,50\n", r"positions\.csv:2 .*unknown issue 'i9'"),
        ("isnr,prnr,out\ni1,p,50\ni1,p,40\n", "isnr,actor,position,salience\ni1,de,10,50\n", r"issues\.csv:3 .*duplicate issue"),
        ("isnr,prnr,out\ni1,p,abc\n", "isnr,actor,position,salience\ni1,de,10,50\n", r"issues\.csv:2 .*out must be a number"),
        ("isnr,prnr\ni1,p\n", "isnr,actor,position,salience\ni1,de,10,50\n", r"issues\.csv:1: missing column\(s\) out"),
    ],
)
def test_bad_input_names_file_and_line(tmp_path, issues, positions, message):
    (tmp_path / "issues.csv").write_text(issues)
    (tmp_path / "positions.csv").write_text(positions)
    with pytest.raises(ScenarioError, match=message):
        read_deu(tmp_path)


def test_missing_positions_file(tmp_path):
    (tmp_path / "issues.csv").write_text("isnr,out\ni1,5\n")
    with pytest.raises(ScenarioError, match="positions.csv is missing"):
        read_deu(tmp_path)


def test_write_then_read_round_trip(deu3, tmp_path):
    write_deu(deu3, tmp_path / "out")
    again = read_deu(tmp_path / "out")
    a, b = deu3.arrays(), again.arrays()
    assert again.issue_ids == deu3.issue_ids and again.actor_ids == deu3.actor_ids
    np.testing.assert_allclose(b.position, a.position)
    np.testing.assert_allclose(b.salience, a.salience)
    np.testing.assert_allclose(b.status_quo, a.status_quo)
    assert deu_table(again)[["out", "proc", "counvte", "intro", "split"]].equals(
        deu_table(deu3)[["out", "proc", "counvte", "intro", "split"]]
    )

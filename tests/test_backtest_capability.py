"""Council capability: power indices against published values, periods, mixed intro dates."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.backtest.capability import (
    EU15,
    EU25,
    EU27,
    EU28,
    council_power,
    eu_capability,
    parse_intro,
    period,
    power_index,
    proposal_year,
)


def test_council_power_against_felsenthal_machover():
    """Shapley–Shubik indices of the EU-15 QMV game (62 of 87), as published in Felsenthal &
    Machover (2001) 'The Treaty of Nice and qualified majority voting', Social Choice and Welfare
    18(3), to their 4 decimals (exact computation, so no tolerance beyond rounding)."""
    p = council_power(EU15, "pre-nice")
    published = {"de": 0.1167, "es": 0.0955, "be": 0.0552, "at": 0.0454, "dk": 0.0353, "lu": 0.0207}
    for state, value in published.items():
        assert round(p[state], 4) == value


def test_power_index_hand_cases():
    # [3; 2, 1, 1]: the big player is pivotal in 4 of 6 orders.
    np.testing.assert_allclose(power_index([2, 1, 1], lambda k, w: w >= 3), [2 / 3, 1 / 6, 1 / 6])
    # Banzhaf of [3; 2, 1, 1]: swings 3, 1, 1.
    np.testing.assert_allclose(power_index([2, 1, 1], lambda k, w: w >= 3, kind="banzhaf"), [0.6, 0.2, 0.2])
    # A dummy player has no power.
    np.testing.assert_allclose(power_index([3, 1], lambda k, w: w >= 3), [1.0, 0.0])


@given(st.lists(st.integers(1, 9), min_size=2, max_size=7), st.floats(0.5, 1.0))
def test_power_index_sums_to_one_and_respects_weight_order(weights, share):
    quota = max(1, int(np.ceil(share * sum(weights))))
    p = power_index(weights, lambda k, w: w >= quota)
    assert p.sum() == pytest.approx(1.0)
    order = np.argsort(weights)
    assert np.all(np.diff(p[order]) >= -1e-12)  # more votes never mean less power


@pytest.mark.parametrize(("members", "rule"), [(EU25, "nice"), (EU27, "nice"), (EU28, "nice"), (EU28, "lisbon")])
def test_council_power_sums_to_one(members, rule):
    p = council_power(members, rule)
    assert sum(p.values()) == pytest.approx(1.0)
    assert p["de"] == max(p.values()) and p["mt"] == min(p.values())


def test_unanimity_is_equal_power():
    assert set(council_power(EU15, "unanimity").values()) == {1 / 15}


@pytest.mark.parametrize(
    ("text", "prnr", "expected"),
    [
        ("26-01-00", "d00032", date(2000, 1, 26)),
        ("07-02-96", "d95341", date(1996, 2, 7)),
        ("14-09-2016", "d160280", date(2016, 9, 14)),
        ("2014-07-04", "a04163", date(2004, 7, 14)),  # a spreadsheet's 14-07-04
        ("1930-05-05", "n05099", date(2005, 5, 30)),  # 30-05-05 read as 1930
        ("2017-04-18", "d180104", date(2018, 4, 17)),
        ("2016-03-08", None, date(2016, 3, 8)),  # a real ISO date without a hint
        ("1/2/03", None, date(2003, 2, 1)),
    ],
)
def test_parse_intro_mixed_formats(text, prnr, expected):
    assert parse_intro(text, prnr) == expected


def test_parse_intro_rejects_nonsense():
    with pytest.raises(ValueError, match="not a date"):
        parse_intro("soon")


def test_proposal_year():
    assert proposal_year("d04209") == 2004 and proposal_year("n98092") == 1998 and proposal_year("x") is None


def test_period_moves_forward_when_new_members_hold_positions():
    assert period(date(2003, 12, 23))[0] == "pre-Nice EU-15"
    assert period(date(2003, 12, 23), ["pl", "de"])[0] == "Nice EU-25"
    assert period(date(2015, 1, 1))[2] == "lisbon"


def test_commission_and_parliament_by_procedure():
    ids = ("com", "ep", "de", "lu")
    cod = eu_capability(ids, intro="26-01-00", prnr="d00032", procedure="COD")
    cns = eu_capability(ids, intro="26-01-00", prnr="n00030", procedure="CNS")
    assert cod[0] == cod[1] == cod[2]  # agenda setter and co-legislator: the largest state
    assert cns[1] == 0.0 and cns[0] == cns[2]
    unan = eu_capability(ids, intro="26-01-00", procedure="CNS", unanimity=True)
    assert unan[2] == unan[3] == pytest.approx(1 / 15)

"""Decide's tie rule (``ties="random"`` = ``"decide"``): its list, its coin, and both engines.

Decide sorts its list of open exchanges by gain with a stable sort, takes the head, and when the
second has the same gain throws a coin: ``u >= 0.5`` realises the second and moves the first to
the end; otherwise the first is realised and the second *copied* to the end (docs/models/exchange.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from accord.errors import ModelError
from accord.io.decide import read_decide
from accord.models.exchange import exchange_runs
from accord.models.exchange._reference import RANK_BITS, _DecideList, rank_key
from accord.scenario import from_arrays

from conftest import shared


class Coins:
    """A generator stand-in that hands out scripted uniforms and counts them."""

    def __init__(self, values):
        self.values = list(values)
        self.drawn = 0

    def random(self, size):
        out = [self.values[(self.drawn + k) % len(self.values)] for k in range(size)]
        self.drawn += size
        return np.array(out)


def one_list(gain, valid=None):
    gain = np.asarray(gain, float)
    valid = np.ones(len(gain), bool) if valid is None else np.asarray(valid)
    return _DecideList(np.array([0, len(gain)]), valid), gain, valid


def test_head_of_the_sorted_list_without_a_tie_draws_nothing():
    lst, gain, valid = one_list([1.0, 3.0, 2.0])
    coins = Coins([0.9])
    ks, coin = lst.take(gain, valid, coins)
    assert ks.tolist() == [1] and coin.tolist() == [False] and coins.drawn == 0
    assert lst.lists[0].tolist() == [2, 0] and lst.copies.tolist() == [1, 0, 1]


def test_coin_at_or_above_half_realises_the_second_and_moves_the_first_to_the_end():
    # Sorted: 1 (3.0), 2 (3.0), 3 (2.0), 0 (1.0); 1 and 2 tie.
    lst, gain, valid = one_list([1.0, 3.0, 3.0, 2.0])
    ks, coin = lst.take(gain, valid, Coins([0.5]))
    assert ks.tolist() == [2] and coin.tolist() == [True]
    assert lst.lists[0].tolist() == [3, 0, 1]
    assert lst.copies.tolist() == [1, 1, 0, 1]


def test_coin_below_half_realises_the_first_and_copies_the_second_to_the_end():
    lst, gain, valid = one_list([1.0, 3.0, 3.0, 2.0])
    ks, _ = lst.take(gain, valid, Coins([0.49]))
    assert ks.tolist() == [1]
    assert lst.lists[0].tolist() == [2, 3, 0, 2]  # 2 is on the list twice
    assert lst.copies.tolist() == [1, 0, 2, 1]
    # Next step: the copy at the head ties with its own copy at the end once 3 and 0 rank
    # below it; whichever way the coin falls, exchange 2 is realised and one copy stays.
    ks, coin = lst.take(gain, valid, Coins([0.9]))
    assert ks.tolist() == [2] and coin.tolist() == [True]
    assert lst.lists[0].tolist() == [3, 0, 2] and lst.copies[2] == 1


def test_the_sort_is_stable_and_drops_impossible_exchanges():
    # Equal gains keep their list order; exchange 0 is no longer possible.
    lst, gain, valid = one_list([5.0, 2.0, 4.0, 2.0, 2.0], valid=[False, True, True, True, True])
    lst.lists[0] = np.array([0, 4, 3, 2, 1])
    ks, _ = lst.take(gain, valid, Coins([0.1]))
    assert ks.tolist() == [2]
    assert lst.lists[0].tolist() == [4, 3, 1]


def test_gains_equal_but_for_rounding_keep_their_list_order():
    g = 0.004019572961469776
    assert rank_key(g) == rank_key(g * (1 + 1e-15)) and rank_key(g) != rank_key(g * (1 + 2.0**-RANK_BITS * 4))
    lst, gain, valid = one_list([g, g * (1 + 1e-15)])
    ks, coin = lst.take(gain, valid, Coins([0.0]))
    assert ks.tolist() == [0] and coin.tolist() == [True]  # the first in the list, not the larger float


def sample():
    return read_decide(shared("reference", "decide", "sample_data.txt")).arrays()


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_one_uniform_per_coin_and_none_without_ties(engine):
    coins = Coins([0.3, 0.8, 0.6, 0.1])
    run = exchange_runs(sample(), rounds=4, ties="random", rng=coins, engine=engine, exact=False)[0]
    assert coins.drawn == sum(run.ties) > 0
    # trade10x5 has no tied gains: Decide's rule draws nothing and equals the deterministic run.
    trade = read_decide(shared("reference", "decide", "trade10x5.csv")).arrays()
    coins = Coins([0.5])
    one = exchange_runs(trade, rounds=3, ties="random", rng=coins, engine=engine)[0]
    assert coins.drawn == 0
    np.testing.assert_array_equal(one.voting, exchange_runs(trade, rounds=3, engine=engine)[0].voting)


def test_the_coin_decides_which_tied_exchange_goes_first():
    heads = exchange_runs(sample(), rounds=2, ties="random", rng=Coins([0.9]), exact=False)[0]
    tails = exchange_runs(sample(), rounds=2, ties="random", rng=Coins([0.1]), exact=False)[0]
    assert heads.exchanges[0][0] != tails.exchanges[0][0] or not np.array_equal(heads.voting, tails.voting)


def test_two_symmetric_pairs_tie_and_the_coin_picks_between_them():
    # Actors 0 and 1 are copies of each other, so are 2 and 3: the exchanges 0-2 and 1-3 (and
    # 0-3, 1-2) have equal gains; the coin picks which pair trades first.
    cap = [1, 1, 1, 1]
    pos = [[0, 100], [0, 100], [100, 0], [100, 0]]
    sal = [[0.8, 0.2], [0.8, 0.2], [0.2, 0.8], [0.2, 0.8]]
    a = from_arrays(cap, pos, sal).arrays()
    first = exchange_runs(a, rounds=1, ties="random", rng=Coins([0.1]), exact=False)[0].exchanges[0]
    second = exchange_runs(a, rounds=1, ties="random", rng=Coins([0.9]), exact=False)[0].exchanges[0]
    assert (first[0]["actor"], first[0]["to"]) != (second[0]["actor"], second[0]["to"])
    assert first[0]["gain"] == pytest.approx(second[0]["gain"])


def test_unknown_tie_rule_is_named():
    with pytest.raises(ModelError, match="ties must be one of"):
        exchange_runs(sample(), ties="coin", rng=np.random.default_rng(0))
    with pytest.raises(ModelError, match="needs rng"):
        exchange_runs(sample(), ties="decide")

"""The positions-by-round chart: its data frame and a headless plot, for any Trajectory."""

from __future__ import annotations

import numpy as np
import pytest

from accord.report.positions import plot_positions, positions_data
from accord.results import Trajectory


def small_trajectory(outcome=None):
    # 2 rounds, 3 actors, 2 issues; actor c is not involved in issue y.
    pos = np.array([
        [[0.0, 10.0], [5.0, 20.0], [9.0, np.nan]],
        [[2.0, 12.0], [5.0, 20.0], [6.0, np.nan]],
        [[5.0, 15.0], [5.0, 20.0], [5.0, np.nan]],
    ])
    median = np.array([[5.0, 10.0], [5.0, 12.0], [5.0, 15.0]])
    mean = np.array([[4.0, 15.0], [4.5, 16.0], [5.0, 17.5]])
    return Trajectory(model="toy", actor_ids=("a", "b", "c"), issue_ids=("x", "y"), positions=pos,
                      median=median, mean=mean, events=[[], []], outcome=outcome)


def test_positions_data_long_format():
    df = positions_data(small_trajectory())
    assert list(df.columns) == ["round", "issue", "series", "kind", "position"]
    # (3 actors + median + mean) × 3 rounds × 2 issues
    assert len(df) == 5 * 3 * 2
    row = df[(df["issue"] == "x") & (df["round"] == 1) & (df["series"] == "c")]
    assert row["position"].item() == 6.0
    assert np.isnan(df[(df["issue"] == "y") & (df["series"] == "c")]["position"]).all()
    mean_y = df[(df["issue"] == "y") & (df["kind"] == "mean")]["position"].tolist()
    assert mean_y == [15.0, 16.0, 17.5]
    assert set(df["kind"]) == {"actor", "median", "mean"}


def test_outcome_series_only_when_it_differs_from_the_median():
    t = small_trajectory(outcome=np.array([[5.0, 10.0], [5.0, 12.0], [5.0, 15.0]]))
    assert "outcome" not in set(positions_data(t)["kind"])
    t = small_trajectory(outcome=np.full((3, 2), 7.0))
    assert (positions_data(t)["kind"] == "outcome").sum() == 6


def test_plot_positions_lines_and_labels(tmp_path):
    ax = plot_positions(small_trajectory(), issue="y")
    labels = [line.get_label() for line in ax.get_lines()]
    # actor c is not involved in y, so it gets no line
    assert labels == ["a", "b", "median", "mean"]
    median = ax.get_lines()[2]
    assert list(median.get_ydata()) == [10.0, 12.0, 15.0]
    assert median.get_linewidth() > ax.get_lines()[0].get_linewidth()
    out = tmp_path / "positions.png"
    ax.figure.savefig(out)
    assert out.stat().st_size > 1000


def test_plot_positions_default_issue_and_index():
    t = small_trajectory()
    assert "x" in plot_positions(t).get_title(loc="left")
    assert "y" in plot_positions(t, issue=1).get_title(loc="left")
    with pytest.raises(ValueError, match="unknown issue"):
        plot_positions(t, issue="nope")


def test_plot_positions_of_an_eum_run():
    from accord.models import eum
    from accord.scenario import from_arrays

    a = from_arrays([1, 1, 2], [[0], [40], [100]], [[0.5], [0.9], [0.4]]).arrays()
    t = eum.trajectory(a, rounds=5)
    df = positions_data(t)
    assert df["round"].max() == t.n_rounds
    ax = plot_positions(t)
    assert len(ax.get_lines()) == 5

"""The foundation issue's acceptance checks that span several readers."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from accord.io import detect_format, read_scenario

from conftest import shared


def test_ktab_compromise_is_power_times_salience_weighted_mean(run_cli):
    path = shared("reference", "ktab", "SOE-Pol-Comp.csv")
    rows = list(csv.reader(path.read_text().splitlines()))[2:]
    power = np.array([float(r[2]) for r in rows])
    pos = np.array([[float(r[3]), float(r[5])] for r in rows])
    sal = np.array([[float(r[4]), float(r[6])] for r in rows])
    w = power[:, None] * sal
    expected = (w * pos).sum(0) / w.sum(0)
    code, out, err = run_cli("forecast", path, "--model", "compromise", "--format", "csv")
    assert code == 0, err
    got = [float(row["outcome"]) for row in csv.DictReader(out.strip().splitlines())]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize(
    "parts, fmt",
    [
        (("deu3",), "deu"),
        (("reference", "decide", "cop21.csv"), "decide"),
        (("reference", "decide", "trade10x5.csv"), "decide"),
        (("reference", "decide", "sample_data.txt"), "decide"),
        (("reference", "ktab", "dummyData_3Dim.xml"), "ktab-xml"),
        (("reference", "ktab", "smpExample.xml"), "ktab-xml"),
        (("reference", "ktab", "dummyData-a040.csv"), "ktab-csv"),
        (("reference", "emissions", "actors.csv"), "bdm"),
    ],
)
def test_reference_files_load(parts, fmt, run_cli):
    path = shared(*parts)
    assert detect_format(path) == fmt
    s = read_scenario(path)
    assert len(s.actors) >= 2 and s.issues
    code, out, err = run_cli("forecast", path, "-m", "compromise", "-m", "median", "--format", "json")
    assert code == 0, err


def test_syria_ukraine_sanctions_are_never_traded():
    """The US refuses to link Ukraine sanctions to Syria: no exchange of the US involves it,
    while without the linkage rule the model would trade it."""
    from accord.forecast import model_kwargs
    from accord.models import get

    from conftest import SYRIA

    s = read_scenario(SYRIA)
    m = get("exchange")
    kwargs = model_kwargs(s, m)
    assert kwargs["forbidden"].shape == (len(s.actors), len(s.issues), len(s.issues))

    def us_ukraine_trades(traj):
        return [
            e for events in traj.events for e in events
            if "us" in (e.get("actor"), e.get("to"))
            and "ukraine-sanctions" in (e.get("issue"), e.get("in_return_for"))
        ]

    assert us_ukraine_trades(m.trajectory(s.arrays(), rounds=5)), "the ban must matter here"
    assert not us_ukraine_trades(m.trajectory(s.arrays(), rounds=5, **kwargs))

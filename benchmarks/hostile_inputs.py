"""Hostile inputs that used to take minutes: how long accord now takes to read or refuse them.

    .venv/bin/python benchmarks/hostile_inputs.py

Prints seconds per case (in this process, imports excluded) and, for the KTAB XML reader, the
ratio of the time for a file twice as large: about 2 for a linear parser (the reader joined text
pieces on every piece before, which made a 3 MB description take about 30 s).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from accord.errors import AccordError
from accord.io import read_scenario

KTAB = """<?xml version="1.0"?>
<Scenario><name>n</name><desc>{desc}</desc><prngSeed>1</prngSeed>
<Dimensions><dName>x</dName></Dimensions><Actors>
<Actor><name>a</name><capability>1</capability><Position><dCoord>10</dCoord></Position><Salience><dSal>50</dSal></Salience></Actor>
<Actor><name>b</name><capability>1</capability><Position><dCoord>90</dCoord></Position><Salience><dSal>50</dSal></Salience></Actor>
</Actors></Scenario>
"""
BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">""" + "".join(
    f'<!ENTITY lol{k + 1} "{("&lol" + (str(k) if k else "") + ";") * 10}">' for k in range(9)) + """]>
<Scenario><name>&lol9;</name></Scenario>
"""


def timed(path: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    try:
        read_scenario(path)
        outcome = "read"
    except AccordError as exc:
        outcome = "refused: " + str(exc).split(": ", 1)[-1][:70]
    return time.perf_counter() - t0, outcome


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = {
            "KTAB XML, 1.5 MB description in 70,000 lines": KTAB.format(desc="\n".join(["x" * 20] * 70_000)),
            "KTAB XML, 3 MB description in 140,000 lines": KTAB.format(desc="\n".join(["x" * 20] * 140_000)),
            "KTAB XML, billion laughs": BOMB,
            "YAML nested 100,000 deep": "title: " + "[" * 100_000 + "]" * 100_000,
        }
        warm = folder / "warm.xml"
        warm.write_text(KTAB.format(desc="warm-up"))
        timed(warm)  # imports done before anything is timed
        times = {}
        for label, text in cases.items():
            path = folder / ("s.xml" if "XML" in label else "s.yaml")
            path.write_text(text)
            seconds, outcome = timed(path)
            times[label] = seconds
            print(f"{label:<48} {len(text) / 1e6:6.1f} MB  {seconds:7.3f} s  {outcome}")
        small, large = list(times.values())[:2]
        print(f"KTAB XML: twice the text takes {large / small:.2f}× as long (2 = linear)")


if __name__ == "__main__":
    main()

"""Digest of accord's outputs, to show that a refactor changed nothing.

Runs the command line on the Syria example and the shared reference inputs (forecasts of every
model, trajectories of the iterative models, Monte Carlo summaries, the process, sensitivity,
what-if and backtest JSON) and writes every output, with volatile keys removed, to one JSON file;
it prints one line per output with its SHA-256. Run it before and after a change and compare::

    .venv/bin/python benchmarks/snapshot.py /tmp/before.json
    ... change ...
    .venv/bin/python benchmarks/snapshot.py /tmp/after.json --against /tmp/before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SYRIA = "examples/syria-issg-2015.yaml"
REF = {
    "emissions": SHARED / "reference/emissions/actors.csv",
    "soe": SHARED / "reference/ktab/SOE-Pol-Comp.csv",
    "dummy3": SHARED / "reference/ktab/dummyData_3Dim.csv",
    "cop21": SHARED / "reference/decide/cop21.csv",
    "toll": SHARED / "reference/decide/sample_data.txt",
    "deu": SHARED / "deu3",
}
VOLATILE = {"accord_version", "elapsed", "seconds", "created", "time"}


def _calls() -> dict[str, list[str]]:
    calls: dict[str, list[str]] = {}
    for name, path in [("syria", SYRIA), *[(k, str(v)) for k, v in REF.items() if k != "deu"]]:
        calls[f"forecast/{name}"] = ["forecast", path, "--format", "json"]
        for model in ("eum", "smp", "exchange"):
            calls[f"trajectory/{name}/{model}"] = ["trajectory", path, "-m", model, "--format", "json"]
    calls["forecast/cop21/exchange-random"] = ["forecast", str(REF["cop21"]), "-m", "exchange", "-p", "ties=random",
                                               "-p", "repetitions=5", "--format", "json"]
    calls["draws/syria"] = ["forecast", SYRIA, "--draws", "120", "--seed", "3", "--workers", "1",
                            "--region", "0:30", "--format", "json"]
    calls["draws/emissions"] = ["forecast", str(REF["emissions"]), "--draws", "80", "--seed", "5", "--workers", "1",
                                "--position-sd", "1 points", "--salience-sd", "0.1", "--capability-concentration", "20",
                                "-m", "compromise,median,nash,eum,smp,focal", "--format", "json"]
    for model in ("compromise", "eum", "smp", "exchange", "nash"):
        calls[f"process/syria/{model}"] = ["process", SYRIA, "-m", model, "--format", "json"]
    calls["process/syria/compromise-draws"] = ["process", SYRIA, "-m", "compromise", "--draws", "60", "--format", "json"]
    calls["process/syria/eum-draws"] = ["process", SYRIA, "-m", "eum", "--draws", "12", "--format", "json"]
    calls["sensitivity/syria"] = ["sensitivity", SYRIA, "-m", "compromise", "--format", "json"]
    calls["sensitivity/syria-eum"] = ["sensitivity", SYRIA, "-m", "eum", "--format", "json"]
    calls["compare/syria"] = ["compare", SYRIA, "--set", "russia.assad-fate.position=40", "--format", "json"]
    calls["backtest/deu"] = ["backtest", str(REF["deu"]), "--boot", "50", "--format", "json"]
    return calls


def _clean(v):
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output")
    ap.add_argument("--against", help="an earlier snapshot: report every output that differs")
    ap.add_argument("--only", help="run only the outputs whose name contains this")
    args = ap.parse_args()
    accord = str(Path(sys.executable).with_name("accord"))
    results = {}
    for name, argv in _calls().items():
        if args.only and args.only not in name:
            continue
        proc = subprocess.run([accord, *argv], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode:
            results[name] = {"exit": proc.returncode, "stderr": proc.stderr.strip()[-400:]}
        else:
            results[name] = _clean(json.loads(proc.stdout))
        digest = hashlib.sha256(json.dumps(results[name], sort_keys=True).encode()).hexdigest()[:16]
        print(f"{digest}  {name}", flush=True)
    Path(args.output).write_text(json.dumps(results, sort_keys=True, indent=1))
    if args.against:
        before = json.loads(Path(args.against).read_text())
        diff = [k for k in results if json.dumps(results[k], sort_keys=True) != json.dumps(before.get(k), sort_keys=True)]
        print(f"{len(results) - len(diff)} of {len(results)} outputs identical to {args.against}")
        for k in diff:
            print(f"DIFFERS: {k}")
        sys.exit(1 if diff else 0)


if __name__ == "__main__":
    main()

"""Hostile and careless input, class by class (issue #17): each case ends in exit status 2 with a
message naming the file, line, field or flag, or in success with nothing lost; never a traceback,
never "internal error", never a hang.

The classes: file contents (YAML, CSV, XML, sizes, special files), tidy CSV data changes, flags
and parameters, output paths, meta.uncertainty, interrupts, dependencies. The web app's classes
are in tests/test_web_hostile.py; the mutation harness in tests/test_hostile_inputs.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from accord.io import read_scenario

from conftest import ROOT, SYRIA, TWO_ACTORS_YAML

GOOD = TWO_ACTORS_YAML
TIDY = "actor,issue,position,salience\na,x,10,0.5\nb,x,90,0.5\n"


def refused(run_cli, *args, fragments=()) -> str:
    """Run the CLI, expect exit 2 and a short message with every fragment; return the message."""
    code, out, err = run_cli(*args)
    text = " ".join((out + err).split())
    assert code == 2, (args, code, text[:2000])
    assert "Traceback" not in err and "internal error" not in err, err
    for fragment in fragments:
        assert fragment in text, (fragment, text[:2000])
    return text


def write(tmp_path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return p


# -- file contents -----------------------------------------------------------------------------
YAML_CASES = {
    "impossible-date": (GOOD.replace("title: t", "title: t\ndate: 2015-02-30"), ["s.yaml:2", "not a date"]),
    "impossible-month": (GOOD.replace("title: t", "title: t\ndate: 2016-13-01"), ["s.yaml:2", "not a date"]),
    "source-date": (GOOD + "sources:\n  - {id: s1, date: 2019-04-31}\n", ["s.yaml", "not a date"]),
    "deep-flow": ("title: " + "[" * 3000 + "]" * 3000 + "\n", ["s.yaml:1", "nested more than"]),
    "deep-block": ("".join("  " * k + f"k{k}:\n" for k in range(500)), ["s.yaml", "nested more than"]),
    "deep-meta": (GOOD + "meta: " + "{a: " * 200 + "1" + "}" * 200 + "\n", ["s.yaml:12", "nested more than"]),
    "huge-int": (GOOD.replace("capability: 2", "capability: " + "9" * 5000), ["s.yaml:4", "digits"]),
    "huge-float": (GOOD.replace("capability: 2", "capability: 1" + "0" * 400 + ".5"), ["s.yaml:4", "digits"]),
    "overflowing-float": (GOOD.replace("capability: 2", "capability: 1e999"), ["s.yaml:4", "finite"]),
    "sexagesimal": (GOOD.replace("capability: 2", "capability: 1:10"), ["s.yaml:4", "capability must be a number", "'1:10'"]),
    "duplicate-top-key": ("title: u\n" + GOOD, ["s.yaml:2", "duplicate key 'title'", "line 1"]),
    "duplicate-stance-key": (GOOD.replace("    x: {position: 10, salience: 0.5}", "    x: {position: 10, salience: 0.5}\n    x: {position: 20, salience: 0.5}"), ["s.yaml:10", "duplicate key 'x'"]),
    "duplicate-flow-key": (GOOD.replace("{position: 90, salience: 0.5}", "{position: 90, salience: 0.5, position: 80}"), ["s.yaml:11", "duplicate key 'position'"]),
    "python-tag": (GOOD.replace("title: t", "title: !!python/object:os.system x"), ["s.yaml:1", "tag"]),
    "timestamp-tag": (GOOD.replace("title: t", "title: !!timestamp 2015-02-30"), ["s.yaml:1", "tag"]),
    "bad-float-tag": (GOOD.replace("capability: 2", "capability: !!float abc"), ["s.yaml:4", "not a valid float"]),
    "anchor-alias": (GOOD.replace("title: t", "title: &t t\ndescription: *t"), ["s.yaml:2", "aliases"]),
    "merge-key": (GOOD.replace("title: t", "title: t\n<<: {description: d}"), ["s.yaml:2", "unknown field '<<'"]),
    "complex-key": (GOOD.replace("title: t", "title: t\n? [a, b]\n: c"), ["s.yaml:2", "key must be a plain value"]),
    "uncertainty-nan": (GOOD + "meta:\n  uncertainty: {position_sd: .nan}\n", ["s.yaml:13", "position_sd", "finite"]),
    "uncertainty-inf": (GOOD + "meta:\n  uncertainty: {salience_sd: .inf}\n", ["s.yaml:13", "salience_sd"]),
    "uncertainty-huge": (GOOD + "meta:\n  uncertainty: {position_sd: 1e300}\n", ["s.yaml:13", "position_sd", "at most 100"]),
    "uncertainty-negative": (GOOD + "meta:\n  uncertainty: {capability_concentration: -1}\n", ["s.yaml:13", "capability_concentration"]),
    "uncertainty-text": (GOOD + "meta:\n  uncertainty: {position_sd: lots}\n", ["s.yaml:13", "must be a number"]),
    "uncertainty-unknown": (GOOD + "meta:\n  uncertainty: {sd: 3}\n", ["s.yaml:13", "unknown field 'sd'"]),
    "uncertainty-list": (GOOD + "meta:\n  uncertainty: [1, 2]\n", ["s.yaml", "expected a mapping"]),
    "colour-injection": (GOOD.replace("{id: a, name: A, capability: 1}", "{id: a, name: A, capability: 1, colour: 'red; background: url(x)'}"), ["s.yaml:3", "colour must look like #1f77b4"]),
    "colour-short": (GOOD.replace("{id: a, name: A, capability: 1}", "{id: a, name: A, capability: 1, colour: '#abc'}"), ["s.yaml:3", "colour"]),
    "anchor-label-mapping": (GOOD.replace("{id: x, name: X}", "{id: x, name: X, scale: {anchors: {0: {a: 1}}}}"), ["s.yaml:6", "label"]),
}


@pytest.mark.parametrize("case", list(YAML_CASES), ids=list(YAML_CASES))
def test_yaml_contents(case, tmp_path, run_cli):
    content, fragments = YAML_CASES[case]
    refused(run_cli, "validate", write(tmp_path, "s.yaml", content), fragments=fragments)


@pytest.mark.parametrize("text, expected", [
    ("no", "no"), ("yes", "yes"), ("on", "on"), ("010", "010"), ("1e3", "1e3"), ("0x1F", "0x1F"),
    ("1:10", "1:10"), ("2015-12-15", "2015-12-15"), ("true", "true"), ("~", None), ("null", None),
])
def test_yaml_ids_are_the_text_typed(text, expected, tmp_path):
    """YAML 1.1 would make Norway's ``no`` False and ``010`` the number 8; an id is what was typed."""
    content = GOOD.replace("{id: a,", f"{{id: {text},").replace("\n  a:\n", f"\n  {text}:\n")
    path = write(tmp_path, "s.yaml", content)
    if expected is None:  # an empty id
        with pytest.raises(Exception, match="id"):
            read_scenario(path)
        return
    s = read_scenario(path)
    assert s.actor_ids[0] == expected
    assert s.stances[0].actor == expected


def test_yaml_numbers_are_read_as_meant(tmp_path):
    s = read_scenario(write(tmp_path, "s.yaml", GOOD.replace("capability: 2", "capability: 010").replace(
        "capability: 1}", "capability: 1e1}")))
    assert [a.capability for a in s.actors] == [10.0, 10.0]  # 010 is ten (not octal 8); 1e3 a number


def test_yaml_scale_anchors_keep_numeric_keys(tmp_path):
    s = read_scenario(write(tmp_path, "s.yaml", GOOD.replace("{id: x, name: X}", "{id: x, name: X, scale: {anchors: {0: none, 1e2: all, 50: no}}}")))
    assert s.issues[0].anchors == ((0.0, "none"), (50.0, "no"), (100.0, "all"))


def test_special_files_are_refused_at_once(tmp_path, run_cli):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    refused(run_cli, "validate", fifo, fragments=["pipe.yaml", "not a regular file"])
    refused(run_cli, "validate", "/dev/zero", fragments=["/dev/zero", "not a regular file"])
    refused(run_cli, "validate", "/dev/null", fragments=["/dev/null", "not a regular file"])
    assert time.monotonic() - t0 < 30  # no hang (a generous bound: the point is "returns")


def test_file_size_limit_is_configurable(tmp_path, run_cli, monkeypatch):
    path = write(tmp_path, "s.yaml", GOOD)
    monkeypatch.setenv("ACCORD_MAX_FILE_BYTES", "100")
    refused(run_cli, "validate", path, fragments=["s.yaml", "limited", "ACCORD_MAX_FILE_BYTES"])
    monkeypatch.setenv("ACCORD_MAX_FILE_BYTES", "lots")
    refused(run_cli, "validate", path, fragments=["ACCORD_MAX_FILE_BYTES must be a whole number"])


def test_scenario_size_limits(tmp_path, run_cli, monkeypatch):
    rows = "".join(f"a{k},x,{k % 100},0.5\n" for k in range(30))
    path = write(tmp_path, "s.csv", "actor,issue,position,salience\n" + rows)
    assert run_cli("validate", path)[0] == 0
    monkeypatch.setenv("ACCORD_MAX_ACTORS", "20")
    refused(run_cli, "validate", path, fragments=["s.csv", "actors", "at most 20", "ACCORD_MAX_ACTORS"])
    monkeypatch.setenv("ACCORD_MAX_ACTORS", "1000")
    monkeypatch.setenv("ACCORD_MAX_CELLS", "10")
    refused(run_cli, "validate", path, fragments=["30 actors × 1 issues", "ACCORD_MAX_CELLS"])


KTAB_XML = """<?xml version="1.0"?>
<Scenario><name>n</name><desc>{desc}</desc><prngSeed>1</prngSeed>
<Dimensions><dName>x</dName></Dimensions><Actors>
<Actor><name>a</name><capability>1</capability><Position><dCoord>10</dCoord></Position><Salience><dSal>50</dSal></Salience></Actor>
<Actor><name>b</name><capability>1</capability><Position><dCoord>90</dCoord></Position><Salience><dSal>50</dSal></Salience></Actor>
</Actors></Scenario>
"""
BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Scenario><name>&lol3;</name></Scenario>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Scenario><name>&x;</name></Scenario>
"""


@pytest.mark.parametrize("content, fragments", [
    (BOMB, ["s.xml:2", "DOCTYPE"]),
    (XXE, ["s.xml:2", "DOCTYPE"]),
    (KTAB_XML.replace("<name>n</name>", "<name>&undefined;</name>"), ["s.xml:2", "not well-formed"]),
    ("<?xml version='1.0'?>\n" + "<Scenario>" + "<a>" * 200 + "</a>" * 200 + "</Scenario>", ["s.xml:2", "nested more than"]),
    (KTAB_XML.replace("<dCoord>10</dCoord>", "<dCoord>1" + "0" * 400 + "</dCoord>"), ["s.xml:4", "<dCoord> must be a number"]),
], ids=["billion-laughs", "external-entity", "undefined-entity", "deep", "long-number"])
def test_ktab_xml_contents(content, fragments, tmp_path, run_cli):
    refused(run_cli, "validate", write(tmp_path, "s.xml", content), fragments=fragments)


def test_ktab_xml_long_text_is_read(tmp_path):
    """A description of 100,000 lines (text in 100,000 pieces): read in one pass, not re-joined on
    every piece (the time is in benchmarks/hostile_inputs.py)."""
    s = read_scenario(write(tmp_path, "s.xml", KTAB_XML.format(desc="\n".join(["abc"] * 100_000))))
    assert s.description.count("abc") == 100_000


@pytest.mark.parametrize("content, fragments", [
    ("actor,issue,position,salience\na,x,10,0.5\nb,x,90,60\n", ["s.csv:2", "mixes the 0–1 scale", "line 3: 60"]),
    ("actor,issue,position,salience\na,x,10,50\nb,y,90,0.25\nb,x,90,30\na,y,9,0.5\n", ["s.csv:3", "mixes"]),
    ("actor,issue,position,salience,position\na,x,10,0.5,20\nb,x,90,0.5,80\n", ["s.csv:1", "'position' appears twice"]),
    ("actor,issue,position,salience,status_quo\na,x,10,0.5,30\nb,x,90,0.5,40\n", ["s.csv:3", "status_quo 30 on line 2 and 40"]),
    ("actor,issue,position,salience,upper\na,x,10,0.5,100\nb,x,90,0.5,200\n", ["s.csv:3", "upper"]),
    ("actor,issue,position,salience,issue_name\na,x,10,0.5,Ex\nb,x,90,0.5,Why\n", ["s.csv:3", "issue_name 'Ex' on line 2"]),
    ("actor,issue,position,salience,group\na,x,10,0.5,g1\na,y,10,0.5,g2\nb,x,90,0.5,\nb,y,9,0.5,\n", ["s.csv:3", "group"]),
    ("actor,issue,position,salience,colour\na,x,10,0.5,#112233\na,y,10,0.5,#445566\nb,x,90,0.5,\nb,y,9,0.5,\n", ["s.csv:3", "colour"]),
    ("actor,issue,position,salience,veto\na,x,10,0.5,maybe\nb,x,90,0.5,no\n", ["s.csv:2", "veto must be true or false", "'maybe'"]),
    ("actor,issue,position,salience,colour\na,x,10,0.5,javascript:alert(1)\nb,x,90,0.5,\n", ["s.csv:2", "colour must look like"]),
    ("Actor,Capability,Position,Salience\nA,1,4,0.5\nB,1,6,70\n", ["s.csv:2", "mixes"]),
], ids=["mixed-salience", "mixed-salience-2", "duplicate-column", "status-quo-conflict", "scale-conflict",
        "issue-name-conflict", "group-conflict", "colour-conflict", "veto-maybe", "colour-script", "bdm-mixed"])
def test_tidy_csv_never_changes_data_silently(content, fragments, tmp_path, run_cli):
    refused(run_cli, "validate", write(tmp_path, "s.csv", content), fragments=fragments)


def test_tidy_csv_what_is_consistent_is_accepted(tmp_path):
    s = read_scenario(write(tmp_path, "s.csv", "actor,issue,position,salience,veto,status_quo\n"
                                                "a,x,10,50,yes,30\nb,x,90,100,0,30\na,y,5,0,false,\nb,y,7,1,N,\n"))
    assert [st.salience for st in s.stances] == [0.5, 1.0, 0.0, 0.01]  # one column on 0–100
    assert s.issue("x").veto == ("a",) and s.issue("x").status_quo == 30


# -- flags and parameters ----------------------------------------------------------------------
FLAG_CASES = {
    "negative-seed": (["forecast", "S", "-m", "compromise", "--seed", "-1"], ["--seed"]),
    "huge-seed": (["forecast", "S", "-m", "compromise", "--seed", str(2**70)], ["--seed"]),
    "negative-draws": (["forecast", "S", "-m", "compromise", "--draws", "-5"], ["--draws"]),
    "absurd-draws": (["forecast", "S", "-m", "compromise", "--draws", "1000000000000"], ["--draws", "ACCORD_MAX_DRAWS"]),
    "absurd-stages": (["process", "S", "--stages", "1000000000"], ["--stages", "ACCORD_MAX_STAGES"]),
    "zero-stages": (["process", "S", "--stages", "0"], ["--stages"]),
    "absurd-rounds": (["trajectory", "S", "-m", "eum", "--rounds", "100000000"], ["--rounds"]),
    "negative-rounds": (["trajectory", "S", "-m", "smp", "--rounds", "-3"], ["--rounds"]),
    "absurd-repetitions": (["trajectory", "S", "-m", "smp", "--repetitions", "100000000"], ["--repetitions"]),
    "unknown-scheduler": (["forecast", "S", "-m", "compromise", "--draws", "10", "--scheduler", "bogus"], ["--scheduler"]),
    "scheduler-bad-port": (["forecast", "S", "-m", "compromise", "--draws", "10", "--scheduler", "tcp://h:99999"], ["--scheduler"]),
    "zero-workers": (["forecast", "S", "-m", "compromise", "--draws", "10", "--workers", "0"], ["--workers"]),
    "absurd-workers": (["forecast", "S", "-m", "compromise", "--draws", "10", "--workers", "100000"], ["--workers"]),
    "variant-wrong-model": (["trajectory", "S", "-m", "eum", "--variant", "stochastic"], ["--variant"]),
    "variant-no-variants": (["process", "S", "-m", "compromise", "--variant", "paper"], ["--variant", "compromise"]),
    "focal-rho": (["forecast", "S", "-m", "focal", "-p", "rho=2"], ["rho"]),
    "focal-spread": (["forecast", "S", "-m", "focal", "-p", "spread=-5"], ["spread"]),
    "exchange-p": (["forecast", "S", "-m", "exchange", "-p", "p=5"], ["p must be"]),
    "exchange-repetitions": (["forecast", "S", "-m", "exchange", "-p", "repetitions=-1"], ["repetitions"]),
    "exchange-exact": (["forecast", "S", "-m", "exchange", "-p", "exact=maybe"], ["exact"]),
    "exchange-forbidden": (["forecast", "S", "-m", "exchange", "-p", "forbidden=x"], ["forbidden"]),
    "param-list": (["forecast", "S", "-m", "exchange", "-p", "p=[1, 2]"], ["single value"]),
    "param-no-equals": (["forecast", "S", "-m", "exchange", "-p", "p"], ["NAME=VALUE"]),
    "param-unknown": (["forecast", "S", "-m", "compromise", "-p", "zeal=3"], ["zeal"]),
    "param-nan": (["forecast", "S", "-m", "focal", "-p", "rho=.nan"], ["rho"]),
    "empty-model": (["forecast", "S", "-m", ""], ["no model named"]),
    "blank-models": (["forecast", "S", "-m", " , "], ["model"]),
    "sobol-zero": (["sensitivity", "S", "--method", "sobol", "--samples", "0"], ["--samples"]),
    "sobol-negative": (["sensitivity", "S", "--method", "sobol", "--samples", "-3"], ["--samples"]),
    "sobol-absurd": (["sensitivity", "S", "--method", "sobol", "--samples", "100000000"], ["--samples", "ACCORD_MAX_SAMPLES"]),
    "sensitivity-method": (["sensitivity", "S", "--method", "morris"], ["--method"]),
    "sensitivity-top": (["sensitivity", "S", "--top", "0"], ["--top"]),
    "position-sd-nan": (["forecast", "S", "-m", "compromise", "--draws", "10", "--position-sd", "nan"], ["--position-sd"]),
    "salience-sd-negative": (["forecast", "S", "-m", "compromise", "--draws", "10", "--salience-sd", "-1"], ["--salience-sd"]),
    "concentration-zero": (["forecast", "S", "-m", "compromise", "--draws", "10", "--capability-concentration", "0"], ["--capability-concentration"]),
    "region": (["forecast", "S", "-m", "compromise", "--draws", "10", "--region", "a:b"], ["--region"]),
    "boot": (["backtest", "S", "--boot", "-5"], ["--boot"]),
    "input-format": (["validate", "S", "--input-format", "excel"], ["unknown format 'excel'"]),
}


@pytest.mark.parametrize("case", list(FLAG_CASES), ids=list(FLAG_CASES))
def test_flags(case, run_cli):
    args, fragments = FLAG_CASES[case]
    refused(run_cli, *[str(SYRIA) if a == "S" else a for a in args], fragments=fragments)


def test_sensitivity_refuses_what_would_not_fit_in_memory(tmp_path, run_cli):
    """300 actors × 300 issues: a one-at-a-time analysis would allocate terabytes; refused at once."""
    rows = "".join(f"a{k},i{j},{(k + j) % 100},0.5\n" for k in range(300) for j in range(300))
    path = write(tmp_path, "big.csv", "actor,issue,position,salience\n" + rows)
    refused(run_cli, "sensitivity", path, fragments=["GiB", "ACCORD_MAX_MEMORY_MB"])


# -- output paths ------------------------------------------------------------------------------
@pytest.mark.parametrize("make_args, fragments", [
    (lambda d: ["convert", SYRIA, d / "missing" / "s.yaml"], ["does not exist"]),
    (lambda d: ["convert", SYRIA, d], ["cannot tell which format", "--to"]),  # a folder is a DEU target
    (lambda d: ["convert", SYRIA, d / ("n" * 300 + ".yaml")], ["file name is", "bytes"]),
    (lambda d: ["convert", SYRIA, d / "s.docx"], ["--to"]),
    (lambda d: ["report", SYRIA, "-o", d], ["is a folder"]),
    (lambda d: ["report", SYRIA, "-o", d / "no" / "r.html"], ["does not exist"]),
    (lambda d: ["trajectory", SYRIA, "--plot", d / "t.foo"], ["extension", ".png"]),
    (lambda d: ["trajectory", SYRIA, "--plot", d / "t"], ["extension"]),
    (lambda d: ["trajectory", SYRIA, "--plot", d / "nowhere" / "t.png"], ["does not exist"]),
    (lambda d: ["process", SYRIA, "--plot", d / "p.exe"], ["extension"]),
    (lambda d: ["sensitivity", SYRIA, "--plot", d], ["folder"]),
], ids=["convert-missing-folder", "convert-to-folder", "convert-long-name", "convert-unknown-ext", "report-to-folder",
        "report-missing-folder", "plot-unknown-ext", "plot-no-ext", "plot-missing-folder", "process-plot-ext",
        "sensitivity-plot-folder"])
def test_output_paths_are_checked_before_work(make_args, fragments, tmp_path, run_cli):
    refused(run_cli, *make_args(tmp_path), fragments=fragments)
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".accord-")]  # no temporary left


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_follow_the_umask(umask, mode, tmp_path, run_cli):
    old = os.umask(umask)
    try:
        assert run_cli("convert", SYRIA, tmp_path / "s.csv")[0] == 0
        assert run_cli("trajectory", SYRIA, "-m", "eum", "--plot", tmp_path / "t.svg")[0] == 0
    finally:
        os.umask(old)
    for name in ("s.csv", "t.svg"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode, name


def test_replacing_a_file_keeps_its_mode(tmp_path, run_cli):
    target = tmp_path / "s.yaml"
    target.write_text("old")
    target.chmod(0o640)
    assert run_cli("convert", SYRIA, target)[0] == 0
    assert target.stat().st_mode & 0o777 == 0o640 and "ISSG" in target.read_text()


# -- interrupts --------------------------------------------------------------------------------
TAKE_SIGINT = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)"

@pytest.mark.slow
def test_ctrl_c_stops_a_multi_worker_run_quickly_and_quietly():
    """SIGINT to the whole process group, as a terminal's Ctrl-C: exit 130, "interrupted", no
    worker tracebacks, within 2 s."""
    # A terminal's foreground command takes Ctrl-C even where this test runs with SIGINT ignored
    # (a shell starts background jobs so, and children inherit it).
    cmd = [sys.executable, "-c", f"{TAKE_SIGINT}; from accord.cli import main; main()", "forecast", str(SYRIA), "-m", "eum",
           "--draws", "200000", "--workers", "2"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, cwd=ROOT)
    time.sleep(8)  # imports, kernels loaded, workers started and busy
    t0 = time.monotonic()
    os.killpg(p.pid, signal.SIGINT)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        pytest.fail("still running 30 s after Ctrl-C")
    took = time.monotonic() - t0
    text = err.decode()
    assert p.returncode == 130, text
    assert "interrupted" in text and "Traceback" not in text and "Warning" not in text, text
    assert took < 2.0, took


# -- dependencies ------------------------------------------------------------------------------
def test_monte_carlo_dependencies_are_declared():
    """A plain `pip install accord` must run draws (CI's `make check-plain` installs it so)."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {d.split(">")[0].split("=")[0].split("[")[0].strip().lower() for d in deps}
    assert {"scipy", "numpy", "pyyaml", "pydantic", "starlette"} <= names
    tool = ROOT.parent / "shared" / "tools" / "undeclared-deps"
    if tool.exists():
        out = subprocess.run([sys.executable, str(tool), str(ROOT / "src" / "accord")], capture_output=True, text=True)
        assert "0 undeclared" in out.stdout + out.stderr, out.stdout + out.stderr


def test_scipy_is_imported_only_when_positions_are_drawn():
    code = "import sys, accord.uncertainty.sampling; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


def test_every_limit_is_documented():
    from accord.limits import LIMITS, limit

    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    for name in LIMITS:
        row = next((ln for ln in text.splitlines() if ln.startswith(f"| `ACCORD_MAX_{name.upper()}`")), None)
        assert row is not None, name
        assert f"{limit(name):,}" in row.replace(" MiB (", " (") or name == "file_bytes" and "20,971,520" in row, row


def test_param_values_are_read_as_meant(run_cli):
    """``-p`` values follow the scenario files' YAML (``010`` is ten); yes/no are switches."""
    from accord.cli.common import parse_params
    from accord.models import registry

    exchange = registry.resolve(["exchange"])
    assert parse_params(["repetitions=010", "exact=yes", "p=1e-1"], exchange) == {
        "exchange": {"repetitions": 10, "exact": True, "p": 0.1}}
    assert parse_params(["exact=off"], exchange)["exchange"]["exact"] is False
    refused(run_cli, "forecast", SYRIA, "-m", "focal", "-p", "rho=" + "9" * 400, fragments=["rho"])

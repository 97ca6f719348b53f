"""Property-based hostile input (issue #17): valid files of every format, mutated byte by byte,
line by line and field by field, and generated flag and parameter values, through the command
line. Every run ends in success (exit 0) or in exit 2 with a message; never a traceback, never
"internal error", never another status. A file that validates converts to YAML that validates
again (nothing half-read is written).

The number of examples per test is ``ACCORD_HOSTILE_EXAMPLES`` (default 40: the whole file runs
in about a minute on two cores); raise it to hunt for new cases.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.io import csv_formats, decide, deu, ktab, yaml_format
from accord.scenario import Actor, DecisionRule, Issue, Scenario, Stance

EXAMPLES = int(os.environ.get("ACCORD_HOSTILE_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def cli(*args) -> tuple[int, str, str]:
    """The command line in this process: (exit status, stdout, stderr)."""
    from accord.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with mock.patch.object(sys, "argv", ["accord", *map(str, args)]), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, out: str, err: str, args) -> None:
    text = out + err
    assert "Traceback" not in text, (args, text[-3000:])
    assert "internal error" not in text, (args, text[-3000:])
    assert code in (0, 2), (args, code, text[-3000:])
    if code == 2:
        assert err.strip(), (args, "exit 2 without a message")


# -- valid files of every format -----------------------------------------------------------------
BASE = Scenario(
    title="base", date="2020-01-02",
    actors=(Actor("us", "United States", 0.5, colour="#1f4e9c"), Actor("ru", "Russia", 0.3),
            Actor("eu", "European Union", 0.2, group="europe")),
    issues=(Issue("x", "Ceasefire", 0, 100, anchors=((0.0, "none"), (100.0, "full")), status_quo=20,
                  rule=DecisionRule("consensus"), veto=("ru",)),
            Issue("y", "Elections", 0, 100, status_quo=50)),
    stances=(Stance("us", "x", 80, 0.4, low=70, high=90), Stance("ru", "x", 30, 0.5), Stance("eu", "x", 60, 0.3),
             Stance("us", "y", 70, 0.5), Stance("ru", "y", 20, 0.4), Stance("eu", "y", 65, 0.6)),
    meta={"uncertainty": {"position_sd": 5}},
)
ONE_ISSUE = BASE.with_issues(["y"])


def _deu_files() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        deu.write_deu(BASE, Path(tmp) / "deu")
        return {p.name: p.read_text() for p in sorted((Path(tmp) / "deu").iterdir())}


FILES = {
    "yaml": ("s.yaml", yaml_format.dumps(BASE)),
    "tidy": ("s.csv", csv_formats.write_tidy(BASE)),
    "bdm": ("b.csv", csv_formats.write_bdm(ONE_ISSUE)),
    "ktab-csv": ("k.csv", ktab.dumps_ktab_csv(BASE)),
    "ktab-xml": ("k.xml", ktab.dumps_ktab_xml(BASE)),
    "decide": ("d.tsv", decide.dumps_decide(BASE)),
}
DEU = _deu_files()

HOSTILE = [
    "", " ", "nan", "NaN", "inf", "-inf", ".inf", ".nan", "-1", "-0", "1e999", "1e-999", "9" * 400, "0x1F", "0o17",
    "010", "1:10", "1_000", "no", "yes", "on", "off", "true", "null", "~", "2015-02-30", "maybe", "é", "\u202e",
    "#zzzzzz", "red;x:y", "[", "]", "{", "}", "[[[[[[[[", "{{{{{{", "&a", "*a", "!!python/object:os.system",
    "!!binary aGk=", "!!set {a}", "<<", "? x", "|", ">", "'", '"', "\\", "%", "@", "`", "\t", ";", ",", ",,,,",
    "<!DOCTYPE x [<!ENTITY a 'b'>]>", "&lol;", "<![CDATA[x]]>", "<x>", "</Scenario>", "<?xml?>", "\x00",
    "\ufeff", "#A", "#D", "#M", "#P", "'#D'", "999", "-999", "1e308", "1" * 30, "0.5", "50", "100", "101",
    "isnr", "actor", "salience", "position", "status_quo", "veto", "capability",
]


def _tokens(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[^\s,;:\t{}\[\]<>\"'=]+", text)]


@st.composite
def mutated(draw, text: str) -> bytes:
    """``text`` with one to three mutations: bytes, lines or fields."""
    data = text
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace-token", "replace-token", "insert-line", "drop-line", "dup-line",
                                     "swap-lines", "bytes", "cut", "insert-text"]))
        lines = data.split("\n")
        if kind == "replace-token":
            spans = _tokens(data)
            if spans:
                a, b = draw(st.sampled_from(spans))
                new = draw(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12)))
                data = data[:a] + new + data[b:]
        elif kind == "insert-line":
            k = draw(st.integers(0, len(lines)))
            lines.insert(k, draw(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))))
            data = "\n".join(lines)
        elif kind == "drop-line" and len(lines) > 1:
            del lines[draw(st.integers(0, len(lines) - 1))]
            data = "\n".join(lines)
        elif kind == "dup-line":
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            data = "\n".join(lines)
        elif kind == "swap-lines" and len(lines) > 1:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            data = "\n".join(lines)
        elif kind == "cut":
            a = draw(st.integers(0, len(data)))
            data = data[:a] + data[a + draw(st.integers(0, 50)):]
        elif kind == "insert-text":
            a = draw(st.integers(0, len(data)))
            data = data[:a] + draw(st.text(max_size=20)) + data[a:]
    raw = data.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 5)) == 0:  # raw bytes: invalid UTF-8, NULs, BOMs
        a = draw(st.integers(0, len(raw)))
        raw = raw[:a] + draw(st.binary(max_size=6)) + raw[a + draw(st.integers(0, 4)):]
    return raw


def _check_file(path: Path, fmt: str, use_format: bool, folder: Path) -> None:
    args = ["validate", path] + (["--input-format", fmt] if use_format else [])
    code, out, err = cli(*args)
    assert_clean(code, out, err, args)
    if code == 0:  # what validates converts, and the result validates as well
        target = folder / "out.yaml"
        conv = ["convert", path, target] + (["--input-format", fmt] if use_format else [])
        code, out, err = cli(*conv)
        assert_clean(code, out, err, conv)
        assert code == 0, (conv, err)
        code, out, err = cli("validate", target)
        assert code == 0, ("re-read", err, target.read_text()[:2000])


@pytest.mark.parametrize("fmt", list(FILES))
def test_mutated_files(fmt):
    name, text = FILES[fmt]

    @SETTINGS
    @given(raw=mutated(text), use_format=st.booleans())
    def check(raw, use_format):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(raw)
            _check_file(path, fmt, use_format, Path(tmp))

    check()


def test_mutated_deu_folders():
    @SETTINGS
    @given(which=st.sampled_from(sorted(DEU)), data=st.data())
    def check(which, data):
        raw = data.draw(mutated(DEU[which]))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "deu"
            folder.mkdir()
            for name, text in DEU.items():
                (folder / name).write_text(text)
            (folder / which).write_bytes(raw)
            _check_file(folder, "deu", data.draw(st.booleans()), Path(tmp))

    check()


def test_the_unmutated_files_are_valid():
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, (name, text) in FILES.items():
            path = Path(tmp) / name
            path.write_text(text)
            assert cli("validate", path)[0] == 0, fmt
        folder = Path(tmp) / "deu"
        folder.mkdir()
        for name, text in DEU.items():
            (folder / name).write_text(text)
        assert cli("validate", folder)[0] == 0


# -- flags and parameters --------------------------------------------------------------------------
TINY = yaml_format.dumps(BASE)
MODELS = ["compromise", "median", "mean", "nash", "condorcet", "focal", "eum", "smp", "exchange", "all", "", "nope",
          "compromise,median", " ", "EUM"]
PARAMS = ["rho", "spread", "p", "repetitions", "exact", "forbidden", "ties", "variant", "rounds", "tol", "q",
          "engine", "denominator", "compromise", "capitulation", "min_delta_ratio", "accommodate", "power",
          "quantiles", "seed", "zeal", "exchange.p", "focal.rho", "nope.x", ".x", "x.", "=", ""]
VALUES = HOSTILE + ["0", "1", "2", "0.3", "random", "first", "decide", "numpy", "numba", "paper",
                    "scholz_code", "stochastic", "[1, 2]", "{a: 1}", "1e-300", "-5"]

ints = st.one_of(st.integers(-5, 3), st.integers(-(2**70), 2**70), st.sampled_from([0, 1, 2**63, 2**63 - 1, 10**6 + 1]))
small_counts = st.one_of(st.integers(-5, 12), st.integers(10**6 + 1, 10**30))
texts = st.one_of(st.sampled_from(VALUES), st.text(max_size=15))
plots = st.tuples(st.sampled_from(["", "missing/", "."]), st.sampled_from(["t.png", "t.svg", "t.foo", "t", ".png", "t.PNG", "t.pdf", "a" * 300 + ".png"]))


def _flag(name: str, value) -> list[str]:
    return [] if value is None else [name, str(value)]


@st.composite
def params(draw) -> list[str]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        out += ["-p", f"{draw(st.sampled_from(PARAMS))}={draw(texts)}"]
    return out


@st.composite
def forecast_args(draw) -> list[str]:
    args = ["forecast", "S"]
    for _ in range(draw(st.integers(0, 2))):
        args += ["-m", draw(st.sampled_from(MODELS))]
    draws = draw(st.one_of(st.none(), small_counts))
    args += _flag("--seed", draw(st.one_of(st.none(), ints)))
    args += _flag("--draws", draws)
    if draws:
        args += _flag("--region", draw(st.one_of(st.none(), st.sampled_from(["0:30", "30:0", "a:b", "5", "", "nan:inf"]))))
        args += _flag("--position-sd", draw(st.one_of(st.none(), st.sampled_from(["nan", "inf", "-1", "1e300", "3", "0"]))))
        args += _flag("--salience-sd", draw(st.one_of(st.none(), st.sampled_from(["nan", "0.7", "-1", "0.1"]))))
        args += _flag("--capability-concentration", draw(st.one_of(st.none(), st.sampled_from(["0", "-2", "nan", "inf", "5"]))))
        args += _flag("--workers", draw(st.one_of(st.none(), st.sampled_from([0, -1, 1, 10**6]))))
        args += _flag("--scheduler", draw(st.one_of(st.none(), st.sampled_from(["bogus", "tcp://", "tcp://h:0", ":1", "tcp://h:99999"]))))
    args += _flag("--set", draw(st.one_of(st.none(), st.sampled_from(["us.x.position=40", "us.x.position=400", "zz.x.position=1",
                                                                     "us.capability=nan", "x.status_quo=-5", "foo", "us.x.salience=2"]))))
    args += _flag("--drop-actor", draw(st.one_of(st.none(), st.sampled_from(["us", "zz", ""]))))
    args += draw(params())
    args += _flag("--format", draw(st.one_of(st.none(), st.sampled_from(["json", "csv", "table", "xml"]))))
    return args


@st.composite
def other_args(draw) -> list[str]:
    command = draw(st.sampled_from(["trajectory", "process", "sensitivity", "compare", "report"]))
    args = [command, "S"]
    if command == "trajectory":
        args += ["-m", draw(st.sampled_from(["eum", "smp", "exchange", "compromise", "nope"]))]
        args += _flag("--variant", draw(st.one_of(st.none(), texts)))
        args += _flag("--rounds", draw(st.one_of(st.none(), st.integers(-3, 5), st.integers(10**5, 10**12))))
        args += _flag("--repetitions", draw(st.one_of(st.none(), st.integers(-2, 3), st.integers(10**6, 10**9))))
        args += _flag("--seed", draw(st.one_of(st.none(), ints)))
        args += draw(params())
    elif command == "process":
        args += ["-m", draw(st.sampled_from(["compromise", "median", "eum", "nope"]))]
        args += _flag("--stages", draw(st.one_of(st.none(), small_counts)))
        args += _flag("--draws", draw(st.one_of(st.none(), st.integers(-2, 8), st.integers(10**7, 10**9))))
        args += _flag("--tolerance", draw(st.one_of(st.none(), st.sampled_from(["nan", "-1", "0.1", "inf"]))))
        args += _flag("--majority-weight", draw(st.one_of(st.none(), texts)))
        args += _flag("--accept-by", draw(st.one_of(st.none(), texts)))
        args += _flag("--drop-precondition", draw(st.one_of(st.none(), texts)))
    elif command == "sensitivity":
        args += _flag("--method", draw(st.one_of(st.none(), st.sampled_from(["oat", "sobol", "morris", ""]))))
        args += _flag("--samples", draw(st.one_of(st.none(), st.integers(-3, 8), st.integers(10**6, 10**12))))
        args += _flag("--top", draw(st.one_of(st.none(), st.integers(-2, 3))))
        args += _flag("--issue", draw(st.one_of(st.none(), st.sampled_from(["x", "zz", ""]))))
        args += _flag("-m", draw(st.sampled_from(["compromise", "nope", "median"])))
    elif command == "compare":
        args += _flag("--set", draw(st.one_of(st.none(), st.sampled_from(["us.x.position=40", "bad", "us.x.position=-1"]))))
        args += _flag("--draws", draw(st.one_of(st.none(), st.integers(-2, 6), st.integers(10**7, 10**9))))
        args += _flag("-m", draw(st.sampled_from(["compromise", "nope"])))
    else:
        args += ["-m", draw(st.sampled_from(["compromise", "nope", ""]))]
        args += _flag("--draws", draw(st.one_of(st.none(), st.integers(-2, 6), st.integers(10**7, 10**9))))
        folder, name = draw(plots)
        args += ["-o", f"{folder}{name.rsplit('.', 1)[0]}.html"]
    if command in ("trajectory", "process", "sensitivity") and draw(st.booleans()):
        folder, name = draw(plots)
        args += ["--plot", folder + name]
    return args


@pytest.mark.parametrize("strategy", [forecast_args, other_args], ids=["forecast", "other-commands"])
def test_generated_flags(strategy):
    @SETTINGS
    @given(args=strategy())
    def check(args):
        with tempfile.TemporaryDirectory() as tmp:
            scenario = Path(tmp) / "s.yaml"
            scenario.write_text(TINY)
            cwd = os.getcwd()
            os.chdir(tmp)  # relative --plot and -o paths land in the temporary folder
            try:
                full = [str(scenario) if a == "S" else a for a in args]
                code, out, err = cli(*full)
            finally:
                os.chdir(cwd)
            assert_clean(code, out, err, full)

    check()

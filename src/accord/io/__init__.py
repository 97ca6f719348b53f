"""Readers and writers for every scenario format accord knows, with format detection.

=============  ==============================================================
``yaml``       accord YAML, the canonical hand-edited format
``tidy``       tidy CSV, one row per actor × issue
``bdm``        one-issue ``Actor,Capability,Position,Salience`` CSV
``ktab-csv``   KTAB's SMP CSV
``ktab-xml``   KTAB's SMP XML (model parameters and seed kept in ``meta``)
``decide``     the Decide exchange model's ``#A/#P/#M/#D`` file
``deu``        DEU folder (``issues.csv`` + ``positions.csv``) or the deposit's single file
=============  ==============================================================
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from accord.errors import InputFileError
from accord.io import csv_formats, yaml_format
from accord.io._files import read_text, write_atomic
from accord.scenario import Scenario

FORMATS = ("yaml", "tidy", "bdm", "ktab-csv", "ktab-xml", "decide", "deu")
_EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".xml": "ktab-xml"}


def _optional(module: str):
    """A format module that may not be installed in this build yet."""
    try:
        return importlib.import_module(f"accord.io.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"accord.io.{module}":
            raise
        return None


def detect_format(path: str | os.PathLike, text: str | None = None) -> str:
    """The format of a file, judged from its content (the extension only breaks ties)."""
    p = Path(path)
    if p.is_dir():
        return "deu"
    if text is None:
        text = read_text(p)
    head = text.lstrip()[:4096]
    first = head.splitlines()[0].strip().lower() if head else ""
    if head.startswith("<?xml") or head.startswith("<Scenario"):
        return "ktab-xml"
    for module, sniff in (("decide", "sniff_decide"), ("ktab", "sniff_ktab"), ("deu", "sniff_deu")):
        mod = _optional(module)
        if mod is not None:
            found = getattr(mod, sniff)(text)
            if found:
                return found
    header = [h.strip().lower() for h in first.split(",")]
    if header[:4] == list(csv_formats.BDM_COLUMNS):
        return "bdm"
    if all(c in header for c in csv_formats.TIDY_REQUIRED):
        return "tidy"
    if any(c in first for c in (";", "\t")) and any(c in first for c in csv_formats.TIDY_REQUIRED):
        return "tidy"  # read_tidy then explains the delimiter
    if first.startswith(("title:", "accord:", "actors:", "issues:", "stances:", "---", "#")) or ":" in first:
        return "yaml"
    ext = _EXTENSIONS.get(p.suffix.lower())
    if ext:
        return ext
    if p.suffix.lower() in (".csv", ".tsv", ".txt"):
        return "tidy"
    raise InputFileError(
        f"{path}: cannot tell the format from its content; pass --input-format, one of {', '.join(FORMATS)}"
    )


def read_scenario(path: str | os.PathLike, format: str | None = None) -> Scenario:
    """Read a scenario from ``path`` (a file, or a DEU folder)."""
    name = str(path)
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"no such file: {name}")
    if format is not None and format not in FORMATS:
        raise InputFileError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    text = None if p.is_dir() else read_text(p)
    fmt = format or detect_format(p, text)
    if fmt == "yaml":
        return yaml_format.loads(text, name)
    if fmt == "tidy":
        return csv_formats.read_tidy(text, name)
    if fmt == "bdm":
        return csv_formats.read_bdm(text, name)
    module = {"ktab-csv": "ktab", "ktab-xml": "ktab", "decide": "decide", "deu": "deu"}[fmt]
    mod = _optional(module)
    if mod is None:
        raise InputFileError(f"{name}: the {fmt} reader is not available in this build")
    reader = {
        "ktab-csv": "read_ktab_csv", "ktab-xml": "read_ktab_xml", "decide": "read_decide", "deu": "read_deu",
    }[fmt]
    return getattr(mod, reader)(p)


def write_scenario(scenario: Scenario, path: str | os.PathLike, format: str | None = None) -> str:
    """Write ``scenario`` to ``path`` atomically; the format follows ``format`` or the extension."""
    p = Path(path)
    fmt = format or {
        ".yaml": "yaml", ".yml": "yaml", ".csv": "tidy", ".xml": "ktab-xml", ".tsv": "decide",
    }.get(p.suffix.lower())
    if fmt is None:
        raise InputFileError(f"{path}: cannot tell which format to write; pass --to, one of {', '.join(FORMATS)}")
    if fmt == "yaml":
        write_atomic(p, yaml_format.dumps(scenario))
    elif fmt == "tidy":
        write_atomic(p, csv_formats.write_tidy(scenario))
    elif fmt == "bdm":
        write_atomic(p, csv_formats.write_bdm(scenario))
    else:
        module, writer = {
            "ktab-csv": ("ktab", "write_ktab_csv"), "ktab-xml": ("ktab", "write_ktab_xml"),
            "decide": ("decide", "write_decide"), "deu": ("deu", "write_deu"),
        }[fmt]
        mod = _optional(module)
        if mod is None or not hasattr(mod, writer):
            raise InputFileError(f"writing {fmt} is not supported in this build")
        getattr(mod, writer)(scenario, p)
    return fmt


to_frame = csv_formats.to_frame
from_frame = csv_formats.from_frame

__all__ = ["FORMATS", "detect_format", "from_frame", "read_scenario", "to_frame", "write_scenario"]

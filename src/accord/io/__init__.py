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

import os
from pathlib import Path

from accord.errors import InputFileError, LossyConversionError, UnknownEstimateError
from accord.io import csv_formats, yaml_format
from accord.io._files import check_output, exists, read_text, write_atomic
from accord.scenario import Scenario

FORMATS = ("yaml", "tidy", "bdm", "ktab-csv", "ktab-xml", "decide", "deu")
_EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".xml": "ktab-xml"}


def _sniffers():
    """Content sniffers of the formats that have one, in the order they are tried. The modules are
    imported on use: DEU's needs pandas, which a YAML forecast does not."""
    from accord.io import decide, deu, ktab

    return (decide.sniff_decide, ktab.sniff_ktab, deu.sniff_deu)


def _read_other(fmt: str, p: Path) -> Scenario:
    if fmt == "decide":
        from accord.io.decide import read_decide

        return read_decide(p)
    if fmt == "deu":
        from accord.io.deu import read_deu

        return read_deu(p)
    from accord.io.ktab import read_ktab_csv, read_ktab_xml

    return (read_ktab_csv if fmt == "ktab-csv" else read_ktab_xml)(p)


def _write_other(fmt: str, scenario: Scenario, p: Path) -> None:
    if fmt == "decide":
        from accord.io.decide import write_decide

        write_decide(scenario, p)
    elif fmt == "deu":
        from accord.io.deu import write_deu

        write_deu(scenario, p)
    else:
        from accord.io.ktab import write_ktab_csv, write_ktab_xml

        (write_ktab_csv if fmt == "ktab-csv" else write_ktab_xml)(scenario, p)


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
    for sniff in _sniffers():
        found = sniff(text)
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
    if not exists(p):
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
    return _read_other(fmt, p)


def target_format(path: str | os.PathLike, format: str | None = None) -> str:
    """The format ``write_scenario`` writes ``path`` in: ``format``, else from the extension."""
    fmt = format or {
        ".yaml": "yaml", ".yml": "yaml", ".csv": "tidy", ".xml": "ktab-xml", ".tsv": "decide",
    }.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputFileError(f"{path}: cannot tell which format to write; pass --to, one of {', '.join(FORMATS)}")
    return fmt


def conversion_losses(scenario: Scenario, format: str) -> list[str]:
    """What writing ``scenario`` as ``format`` loses (:mod:`accord.io.losses`): one phrase per
    field, empty when the format holds everything."""
    from accord.io.losses import conversion_losses as losses

    return losses(scenario, format)


def write_scenario(scenario: Scenario, path: str | os.PathLike, format: str | None = None, *,
                   strict: bool = False) -> str:
    """Write ``scenario`` to ``path`` atomically; the format follows ``format`` or the extension.
    ``strict``: refuse (:class:`LossyConversionError`, nothing written) when the format cannot
    hold everything in the scenario (:func:`conversion_losses`)."""
    p = check_output(path, what="scenario", folder_ok=format == "deu")
    fmt = target_format(p, format)
    if strict and fmt in FORMATS:
        lost = conversion_losses(scenario, fmt)
        if lost:
            raise LossyConversionError(fmt, lost)
    if fmt != "yaml" and scenario.unknown_estimates():
        # Only accord YAML can say "no estimate yet"; the other formats need every number.
        raise UnknownEstimateError(scenario.unknown_estimates())
    if fmt == "yaml":
        write_atomic(p, yaml_format.dumps(scenario))
    elif fmt == "tidy":
        write_atomic(p, csv_formats.write_tidy(scenario))
    elif fmt == "bdm":
        write_atomic(p, csv_formats.write_bdm(scenario))
    elif fmt in FORMATS:
        _write_other(fmt, scenario, p)
    else:
        raise InputFileError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return fmt


to_frame = csv_formats.to_frame
from_frame = csv_formats.from_frame

__all__ = [
    "FORMATS", "conversion_losses", "detect_format", "from_frame", "read_scenario", "target_format", "to_frame",
    "write_scenario",
]

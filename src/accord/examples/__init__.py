"""Example scenarios shipped with accord.

>>> from accord.examples import example_path
>>> example_path("syria-issg-2015").name
'syria-issg-2015.yaml'
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def example_files() -> list[Path]:
    """Every bundled example scenario file."""
    return sorted(HERE.glob("*.yaml"))


def example_path(name: str) -> Path:
    """The path of a bundled example by name (without ``.yaml``)."""
    p = HERE / f"{name.removesuffix('.yaml')}.yaml"
    if not p.exists():
        from accord.errors import AccordError

        raise AccordError(f"no example {name!r}; examples: {', '.join(f.stem for f in example_files())}")
    return p

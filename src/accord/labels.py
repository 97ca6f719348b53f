"""What a number on an issue's scale means, in the issue's own words (its anchor labels).

Every surface that shows a forecast (the forecast table and its JSON, Monte Carlo summaries,
the process, ``accord explain``, the web app and the report) labels it with
:func:`outcome_label`, so that ``62.4`` reads as "closer to 'Local truces' than to 'Nationwide
ceasefire'" everywhere alike. The rules, in order:

1. no number (NaN): ``no forecast``;
2. within :data:`STATUS_QUO_TOLERANCE` (0.5 %) of the scale from the status quo: ``no change
   (status quo)``, followed by the status quo's anchor label when it sits on one, so that a Nash
   bargain that found no deal never reads like a forecast of one;
3. an issue without anchors: the number on its scale, saying it has no labels;
4. within :data:`AT_ANCHOR` (2.5 %) of the scale from an anchor: that anchor's label;
5. between two neighbouring anchors: ``closer to 'A' than to 'B'``, A being the nearer of the
   two by distance on the scale (each label said once: anchor labels are often long), or
   ``midway between 'A' and 'B'`` within 0.5 % of the scale of their midpoint;
6. below the lowest or above the highest anchor: ``beyond 'A', toward <end of the scale>``.

The anchor a value is closer to is also its *region* (:func:`region`): the scale is cut at the
midpoints between neighbouring anchors, so the regions are the values nearest to each anchor.
``accord explain`` looks for the smallest change that moves a forecast into another region.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Share of the scale within which a forecast counts as the status quo (no change).
STATUS_QUO_TOLERANCE = 0.005
#: Share of the scale within which a forecast is labelled with an anchor itself.
AT_ANCHOR = 0.025


@dataclass(frozen=True)
class Scale:
    """An issue's scale as labels need it: its ends, its anchors (sorted by value) and its
    status quo (None when unknown)."""

    lower: float = 0.0
    upper: float = 100.0
    anchors: tuple[tuple[float, str], ...] = ()
    status_quo: float | None = None

    @classmethod
    def of(cls, issue) -> Scale:
        """The scale of an :class:`accord.scenario.Issue`, or of a mapping with the same keys (the
        ``scenario.issues`` of a results document, anchors as ``[value, label]`` pairs)."""
        get = issue.get if isinstance(issue, Mapping) else lambda k, d=None: getattr(issue, k, d)
        anchors = tuple(sorted((float(v), str(label)) for v, label in (get("anchors") or ())))
        sq = get("status_quo")
        return cls(float(get("lower", 0.0)), float(get("upper", 100.0)), anchors,
                   None if sq is None or (isinstance(sq, float) and math.isnan(sq)) else float(sq))

    @property
    def span(self) -> float:
        return self.upper - self.lower

    def boundaries(self) -> list[float]:
        """The cuts between anchor regions: the midpoints of neighbouring anchors."""
        values = [v for v, _ in self.anchors]
        return [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)]


def region(value: float, scale: Scale) -> int | None:
    """Index (in ``scale.anchors``) of the anchor ``value`` is closest to; None without anchors or
    a number. A value exactly midway belongs to the upper anchor's region."""
    if not scale.anchors or value is None or not math.isfinite(value):
        return None
    return sum(value >= cut for cut in scale.boundaries())


def region_range(k: int, scale: Scale) -> tuple[float, float]:
    """The values (within the scale) whose nearest anchor is ``scale.anchors[k]``."""
    cuts = scale.boundaries()
    return (scale.lower if k == 0 else cuts[k - 1], scale.upper if k == len(cuts) else cuts[k])


def at_status_quo(value: float, scale: Scale) -> bool:
    """Whether ``value`` is the status quo, within :data:`STATUS_QUO_TOLERANCE` of the scale."""
    return (scale.status_quo is not None and value is not None and math.isfinite(value)
            and abs(value - scale.status_quo) <= STATUS_QUO_TOLERANCE * scale.span)


def outcome_label(value: float | None, scale: Scale) -> str:
    """``value`` in the issue's words (see the module docstring for the rules).

    >>> s = Scale(0, 100, ((0, "No ceasefire"), (50, "Local truces"), (100, "Nationwide")), 0)
    >>> outcome_label(62.4, s)
    "closer to 'Local truces' than to 'Nationwide'"
    >>> outcome_label(0.2, s)
    "no change (status quo): 'No ceasefire'"
    >>> outcome_label(51, s)
    'Local truces'
    """
    if value is None or not math.isfinite(value):
        return "no forecast"
    tol = STATUS_QUO_TOLERANCE * scale.span
    if at_status_quo(value, scale):
        anchor = _anchor_at(scale.status_quo, scale, tol)
        return "no change (status quo)" + (f": '{anchor}'" if anchor else "")
    if not scale.anchors:
        return f"{value:.3g} on the {scale.lower:g}–{scale.upper:g} scale (no anchor labels)"
    anchor = _anchor_at(value, scale, AT_ANCHOR * scale.span)
    if anchor is not None:
        return anchor
    values = [v for v, _ in scale.anchors]
    labels = [label for _, label in scale.anchors]
    if value < values[0]:
        return f"beyond '{labels[0]}', toward {scale.lower:g}"
    if value > values[-1]:
        return f"beyond '{labels[-1]}', toward {scale.upper:g}"
    k = max(i for i, v in enumerate(values) if v <= value)
    a, b = values[k], values[k + 1]
    if abs(value - (a + b) / 2) <= tol:
        return f"midway between '{labels[k]}' and '{labels[k + 1]}'"
    near, far = (labels[k], labels[k + 1]) if value - a < b - value else (labels[k + 1], labels[k])
    return f"closer to '{near}' than to '{far}'"


def _anchor_at(value: float, scale: Scale, tol: float) -> str | None:
    near = [(abs(v - value), label) for v, label in scale.anchors if abs(v - value) <= tol]
    return min(near)[1] if near else None


def labels(values: Sequence[float], scales: Sequence[Scale]) -> list[str]:
    """:func:`outcome_label` of each issue's value."""
    return [outcome_label(float(v), s) for v, s in zip(values, scales, strict=True)]

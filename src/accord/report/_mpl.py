"""Matplotlib set-up shared by the charts: a headless backend and a fresh axes when none is given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)

import matplotlib.pyplot as plt  # noqa: E402


def axes(ax=None, figsize=(7, 4)):
    if ax is not None:
        return ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax

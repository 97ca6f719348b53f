"""Results: a forecast table and a round-by-round trajectory, each with ``to_frame`` and ``to_json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from accord import __version__
from accord.jsonable import jsonable, number
from accord.labels import Scale, outcome_label

if TYPE_CHECKING:  # pandas is imported by the methods that make frames: a forecast need not load it
    import pandas as pd


@dataclass(frozen=True)
class ModelResult:
    """What every registered model's ``forecast`` returns, whatever the model.

    ``outcome`` (..., n_issues) is the forecast, leading axes being the draws of the inputs.
    ``extra`` holds other per-issue figures a model reports beside it, each (..., n_issues) (the
    EUM's weighted mean, the SMP's weighted median, the exchange model's outcome before trading);
    ``quantiles`` maps a level in (0, 1) to the quantile of the model's predictive distribution
    (models that declare ``Model.quantiles``); ``positions`` (..., n_actors, n_issues) are the
    actors' positions after the last round (models that declare ``Model.positions``); ``notes``
    are caveats about this run (a fallback used, inputs adjusted).
    """

    outcome: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)
    positions: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    def figures(self) -> dict[str, np.ndarray]:
        """``extra`` and the quantiles as ``q<level × 100>`` keys (``q10``, ``q2.5``): the columns
        a forecast table shows beside the outcome."""
        return self.extra | {quantile_key(level): q for level, q in self.quantiles.items()}


def quantile_key(level: float) -> str:
    """The output key of a quantile level: 0.1 → ``q10``, 0.025 → ``q2.5``."""
    return f"q{level * 100:g}"


def _is_quantile(key: str) -> bool:
    return key.startswith("q") and key[1:].replace(".", "", 1).isdigit()


#: What the keys every forecast row may carry mean (model-specific keys are declared by each
#: model, ``Model.figures``, and listed as ``model.key``).
FIGURES = {
    "outcome": "the forecast: where the issue lands if it is decided, on the issue's own scale",
    "outcome_label": "the forecast in the issue's words: its anchor when within 2.5 % of the scale of "
                     "one, else which of the two anchors around it it is closer to; 'no change (status "
                     "quo)' within 0.5 % of the scale from the status quo (accord.labels)",
    "p_agreed": "whether the process (rules, vetoes, preconditions; strategic mode, inputs as stated) "
                "agrees the issue: 1 agreed, 0 not",
    "agreement": "the process's verdict: agreed, blocked, unchanged (the forecast is the status quo) or "
                 "closed (the issue never opens)",
    "q<level>": "a quantile of the model's predictive distribution (q10: the 10 % quantile)",
}


@dataclass
class Forecast:
    """Outcome per issue and model for one scenario.

    ``outcomes[model]`` has shape (n_issues,); ``notes[model]`` lists caveats (a fallback used,
    issues skipped and why); ``extra[model]`` holds per-issue figures a model adds (e.g. the EUM's
    mean beside its median). A forecast is where an issue lands *if* it is decided;
    ``agreement[model][issue]`` (when filled by :func:`accord.process.agreement.agreement`) says
    whether the process agrees it: ``p_agreed``, ``status``, ``stage``, ``why``. ``scales``
    (one :class:`~accord.labels.Scale` per issue) lets every outcome carry its ``outcome_label``;
    ``figures[model]`` says what each of the model's extra keys means.
    """

    scenario: str
    issue_ids: tuple[str, ...]
    issue_names: tuple[str, ...]
    outcomes: dict[str, np.ndarray]
    notes: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    agreement: dict[str, dict[str, dict]] = field(default_factory=dict)
    scales: tuple[Scale, ...] = ()
    figures: dict[str, dict[str, str]] = field(default_factory=dict)

    def label(self, model: str, k: int) -> str:
        """The outcome of ``model`` on the k-th issue in the issue's words (:mod:`accord.labels`)."""
        scale = self.scales[k] if self.scales else Scale()
        return outcome_label(float(self.outcomes[model][k]), scale)

    def glossary(self) -> dict[str, str]:
        """What every key of the forecast rows means (the JSON's ``figures``)."""
        keys_used = {k for model in self.outcomes for k in self.extra.get(model, {})}
        out = {k: v for k, v in FIGURES.items()
               if not ((k in ("p_agreed", "agreement") and not self.agreement)
                       or (k == "q<level>" and not any(_is_quantile(k) for k in keys_used)))}
        for model, keys in self.figures.items():
            if model in self.outcomes:
                out |= {f"{model}.{k}": v for k, v in keys.items() if k in self.extra.get(model, {})}
        return out

    def _agreement(self, model: str, issue: str) -> dict:
        a = self.agreement.get(model, {}).get(issue)
        return {} if a is None else {"p_agreed": a["p_agreed"], "agreement": a["status"]}

    def to_frame(self) -> pd.DataFrame:
        """One row per (issue, model): ``issue``, ``issue_name``, ``model``, ``outcome``, extras,
        the process's verdict when known, and ``outcome_label``."""
        import pandas as pd

        rows = []
        for model, out in self.outcomes.items():
            for k, issue in enumerate(self.issue_ids):
                row = {"issue": issue, "issue_name": self.issue_names[k], "model": model, "outcome": float(out[k])}
                for key, values in self.extra.get(model, {}).items():
                    row[key] = float(values[k])
                # the label last: columns that were there keep their places
                rows.append(row | self._agreement(model, issue) | {"outcome_label": self.label(model, k)})
        return pd.DataFrame(rows)

    def to_json(self) -> dict:
        forecasts = []
        for model, out in self.outcomes.items():
            for k, issue in enumerate(self.issue_ids):
                item = {"issue": issue, "issue_name": self.issue_names[k], "model": model, "outcome": number(out[k]),
                        "outcome_label": self.label(model, k)}
                for key, values in self.extra.get(model, {}).items():
                    item[key] = number(values[k])
                forecasts.append(item | self._agreement(model, issue))
        return {
            "accord_version": __version__,
            "scenario": self.scenario,
            "forecasts": forecasts,
            "figures": self.glossary(),
            "notes": {m: n for m, n in self.notes.items() if n},
        }


@dataclass
class Trajectory:
    """The rounds of an iterative model.

    ``positions`` has shape (n_rounds + 1, n_actors, n_issues), row 0 being the initial positions;
    ``median`` and ``mean`` have shape (n_rounds + 1, n_issues); ``outcome`` is the model's
    forecast per round (its median for the EUM; a model may define it otherwise).
    ``events[r]`` is the list of things that happened in round r + 1 (offers, bargains, exchanges),
    each a dict with at least ``issue``; ``stopped`` says why the run ended: ``rounds``,
    ``converged`` or ``cycle``. ``scales`` (one :class:`~accord.labels.Scale` per issue, when
    known) gives every round's outcome its ``outcome_label`` in the JSON.
    """

    model: str
    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    positions: np.ndarray
    median: np.ndarray
    mean: np.ndarray
    events: list[list[dict]]
    stopped: str = "rounds"
    variant: str | None = None
    outcome: np.ndarray | None = None
    extra: dict = field(default_factory=dict)
    per_round: dict[str, np.ndarray] = field(default_factory=dict)
    scales: tuple[Scale, ...] = ()

    @property
    def n_rounds(self) -> int:
        return self.positions.shape[0] - 1

    @property
    def outcomes(self) -> np.ndarray:
        """The model's forecast after every round, (n_rounds + 1, n_issues): ``outcome``, or the
        median where the model defines none."""
        return self.outcome if self.outcome is not None else self.median

    @property
    def forecast(self) -> np.ndarray:
        return self.outcomes[-1]

    def to_frame(self) -> pd.DataFrame:
        """Long format: one row per (round, issue, actor) with ``position``."""
        import pandas as pd

        r, n, m = self.positions.shape
        idx = pd.MultiIndex.from_product(
            [range(r), self.issue_ids, self.actor_ids], names=["round", "issue", "actor"]
        )
        values = self.positions.transpose(0, 2, 1).reshape(-1)
        return pd.DataFrame({"position": values}, index=idx).reset_index()

    def summary_frame(self) -> pd.DataFrame:
        """One row per (round, issue): ``median``, ``mean``, ``outcome`` and the number of events."""
        import pandas as pd

        rows = []
        outcome = self.outcomes
        for r in range(self.positions.shape[0]):
            for k, issue in enumerate(self.issue_ids):
                n_events = 0 if r == 0 else sum(1 for e in self.events[r - 1] if e.get("issue") == issue)
                rows.append({
                    "round": r, "issue": issue, "median": self.median[r, k], "mean": self.mean[r, k],
                    "outcome": outcome[r, k], "events": n_events,
                })
        return pd.DataFrame(rows)

    def to_json(self) -> dict:
        rounds = []
        outcome = self.outcomes
        for r in range(self.positions.shape[0]):
            for k, issue in enumerate(self.issue_ids):
                item = {
                    "round": r,
                    "issue": issue,
                    "median": number(self.median[r, k]),
                    "mean": number(self.mean[r, k]),
                    "outcome": number(outcome[r, k]),
                    **({"outcome_label": outcome_label(float(outcome[r, k]), self.scales[k])} if self.scales else {}),
                    "positions": {
                        a: number(self.positions[r, j, k]) for j, a in enumerate(self.actor_ids)
                    },
                    "offers": [] if r == 0 else [e for e in self.events[r - 1] if e.get("issue") == issue],
                }
                for key, values in self.per_round.items():
                    item[key] = jsonable(values[r][..., k] if np.ndim(values[r]) else values[r])
                rounds.append(item)
        return {
            "accord_version": __version__,
            "model": self.model,
            "variant": self.variant,
            "stopped": self.stopped,
            "n_rounds": self.n_rounds,
            "actors": list(self.actor_ids),
            "issues": list(self.issue_ids),
            "rounds": rounds,
            **{k: jsonable(v) for k, v in self.extra.items()},
        }

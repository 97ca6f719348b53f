"""Run registered models on a scenario."""

from __future__ import annotations

import numpy as np

from accord.errors import ModelError, ParameterError
from accord.labels import Scale
from accord.models import registry
from accord.results import Forecast
from accord.scenario import Scenario


def model_kwargs(scenario: Scenario, model: registry.Model) -> dict:
    """Keyword arguments ``model`` takes from the scenario's records (see ``Model.scenario_kwargs``)."""
    return dict(model.scenario_kwargs(scenario)) if model.scenario_kwargs else {}


def forecast(
    scenario: Scenario,
    models: list[str] | None = None,
    *,
    seed: int | None = 0,
    params: dict[str, dict] | None = None,
) -> Forecast:
    """The outcome of every issue under each model.

    A model that cannot run on an issue (e.g. one that needs a status quo) gives NaN there and
    says why in ``Forecast.notes``. ``params[model]`` passes keyword arguments to that model.
    Stochastic models draw from ``numpy.random.default_rng(seed)``, one child stream per model.
    """
    arrays = scenario.arrays()
    chosen = registry.resolve(models)
    streams = np.random.SeedSequence(seed).spawn(len(chosen))
    outcomes: dict[str, np.ndarray] = {}
    notes: dict[str, list[str]] = {}
    extra: dict[str, dict[str, np.ndarray]] = {}
    for model, stream in zip(chosen, streams, strict=True):
        kwargs = model_kwargs(scenario, model) | dict((params or {}).get(model.name, {}))
        rng = np.random.default_rng(stream)
        try:
            result = model.forecast(arrays, rng=rng, **kwargs)
        except ParameterError:
            raise  # the user's own setting is wrong: say so, do not forecast around it
        except ModelError as exc:
            outcomes[model.name] = np.full(arrays.n_issues, np.nan)
            notes[model.name] = [str(exc)]
            continue
        outcomes[model.name] = np.asarray(result.outcome, dtype=float)
        extra[model.name] = {k: np.asarray(v, float) for k, v in result.figures().items()}
        notes[model.name] = list(result.notes)
    return Forecast(
        scenario=scenario.title,
        issue_ids=arrays.issue_ids,
        issue_names=tuple(i.name for i in scenario.issues),
        outcomes=outcomes,
        notes=notes,
        extra=extra,
        scales=tuple(Scale.of(i) for i in scenario.issues),
        figures={m.name: dict(m.figures) for m in chosen if m.figures},
    )

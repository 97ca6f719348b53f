"""Monte Carlo forecasts over input uncertainty, on any executor, reproducible by seed.

The draws are cut into chunks of at most :data:`CHUNK` draws, and into at least
:data:`MIN_CHUNKS` chunks, so that a few hundred draws of a slow model still spread over the
workers (:func:`chunk_sizes`: the cut depends on the number of draws only). Chunk k samples its
inputs and runs its stochastic models from the k-th child of ``SeedSequence(seed)``, so the same
seed gives bit-identical results whatever executor runs the chunks and however many workers it has.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from accord import __version__
from accord.errors import AccordError, ModelError, ParameterError
from accord.forecast import forecast as point_forecast
from accord.forecast import model_kwargs
from accord.jsonable import number
from accord.models import registry
from accord.scenario import Scenario, ScenarioArrays
from accord.uncertainty.executors import Executor, make_executor
from accord.uncertainty.sampling import Uncertainty, sample

#: Most draws per chunk: large enough to keep NumPy busy, small enough to spread over workers.
CHUNK = 250
#: Fewest chunks (when there are that many draws): work for up to this many workers.
MIN_CHUNKS = 8
#: Seconds of work left, as measured on the first chunks in this process, from which the rest of
#: a run goes to local worker processes by default: each worker pays a few seconds to start and to
#: load the compiled kernels (measured: 2,000 draws of eum + smp on Syria, 3 s of work, took
#: 7.8 s on 2 fresh workers against 5.7 s in-process).
AUTO_SECONDS = 15.0


def _auto(first: list[float], left: int, cores: int) -> bool:
    """Whether the ``left`` chunks should go to local worker processes, given the seconds the
    first chunks took here (the last of them is warm: imports and kernels are loaded)."""
    return cores > 1 and left > 0 and first[-1] * left >= AUTO_SECONDS


def chunk_sizes(draws: int) -> list[int]:
    """Draws per chunk: as even as possible, at most :data:`CHUNK`, at least :data:`MIN_CHUNKS`
    chunks; a function of ``draws`` alone, so results never depend on the executor."""
    k = max(-(-draws // CHUNK), min(MIN_CHUNKS, draws))
    return [draws // k + (1 if i < draws % k else 0) for i in range(k)]


def parse_region(text: str) -> tuple[float, float]:
    """``"0:30"`` -> (0.0, 30.0)."""
    try:
        lo, hi = (float(x) for x in text.split(":"))
    except ValueError:
        raise AccordError(f"--region must look like LOW:HIGH (e.g. 0:30), got {text!r}") from None
    if lo > hi:
        raise AccordError(f"--region {text}: LOW must not exceed HIGH")
    return lo, hi


@dataclass
class Ensemble:
    """Forecasts of many draws: ``draws[model]`` has shape (n_draws, n_issues)."""

    scenario: str
    issue_ids: tuple[str, ...]
    issue_names: tuple[str, ...]
    draws: dict[str, np.ndarray]
    point: dict[str, np.ndarray]
    seed: int | None
    uncertainty: Uncertainty
    notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_draws(self) -> int:
        return next(iter(self.draws.values())).shape[0] if self.draws else 0

    def summary(self, regions: Sequence[tuple[float, float]] = ()) -> pd.DataFrame:
        """Per issue and model: point forecast, mean, sd, p10, p50, p90 and region probabilities."""
        rows = []
        for model, x in self.draws.items():
            q = np.nanpercentile(x, [10, 50, 90], axis=0) if len(x) else np.full((3, x.shape[1]), np.nan)
            for k, issue in enumerate(self.issue_ids):
                col = x[:, k]
                ok = col[~np.isnan(col)]
                row = {
                    "issue": issue, "issue_name": self.issue_names[k], "model": model,
                    "outcome": float(self.point[model][k]),
                    "mean": float(ok.mean()) if ok.size else np.nan,
                    "sd": float(ok.std(ddof=1)) if ok.size > 1 else 0.0,
                    "p10": float(q[0, k]), "p50": float(q[1, k]), "p90": float(q[2, k]),
                    "n": int(ok.size),
                }
                for lo, hi in regions:
                    row[f"p_{lo:g}_{hi:g}"] = float(((ok >= lo) & (ok <= hi)).mean()) if ok.size else np.nan
                rows.append(row)
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Every draw: columns ``draw``, ``issue``, ``model``, ``outcome``."""
        frames = []
        for model, x in self.draws.items():
            n, m = x.shape
            frames.append(pd.DataFrame({
                "draw": np.repeat(np.arange(n), m), "issue": np.tile(self.issue_ids, n),
                "model": model, "outcome": x.reshape(-1),
            }))
        return pd.concat(frames, ignore_index=True)

    def to_json(self, regions: Sequence[tuple[float, float]] = ()) -> dict:
        forecasts = []
        for rec in self.summary(regions).to_dict(orient="records"):
            item = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in rec.items()
                    if not k.startswith("p_") or k in ("p10", "p50", "p90")}
            item["regions"] = [
                {"low": lo, "high": hi, "probability": rec[f"p_{lo:g}_{hi:g}"]} for lo, hi in regions
            ]
            forecasts.append(item)
        return {
            "accord_version": __version__,
            "scenario": self.scenario,
            "draws": self.n_draws,
            "seed": self.seed,
            "uncertainty": vars(self.uncertainty) | {"capability_concentration": number(self.uncertainty.capability_concentration)},
            "forecasts": forecasts,
            "notes": {m: n for m, n in self.notes.items() if n},
        }


@dataclass(frozen=True)
class _Task:
    arrays: ScenarioArrays
    models: tuple[str, ...]
    kwargs: tuple[dict, ...]
    n_draws: int
    seed: np.random.SeedSequence
    uncertainty: Uncertainty


def _run_chunk(task: _Task) -> dict[str, np.ndarray]:
    """Sample one chunk of inputs and run every model on it (runs in a worker)."""
    streams = task.seed.spawn(1 + len(task.models))
    batch = sample(task.arrays, task.n_draws, np.random.default_rng(streams[0]), task.uncertainty)
    out = {}
    for name, kwargs, stream in zip(task.models, task.kwargs, streams[1:], strict=True):
        model = registry.get(name)
        try:
            result = model.forecast(batch, rng=np.random.default_rng(stream), **kwargs).outcome
        except ParameterError:
            raise
        except ModelError:
            result = np.full((task.n_draws, task.arrays.n_issues), np.nan)
        out[name] = np.asarray(result, dtype=float).reshape(task.n_draws, task.arrays.n_issues)
    return out


def simulate(
    scenario: Scenario,
    models: Sequence[str] | None = None,
    draws: int = 1000,
    seed: int | None = 0,
    *,
    uncertainty: Uncertainty | None = None,
    workers: int | None = None,
    scheduler=None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    params: dict[str, dict] | None = None,
) -> Ensemble:
    """Forecast ``draws`` perturbed copies of ``scenario`` with each model.

    ``uncertainty`` defaults to the scenario's ``meta.uncertainty`` (stance ranges always apply).
    ``progress(done, total)`` is called after each chunk. ``executor`` overrides ``workers`` and
    ``scheduler``. With none of the three, the first chunks run here and are timed; the rest goes
    to one local worker process per core when it would take more than :data:`AUTO_SECONDS` here.
    Which executor runs a chunk never changes the results.
    """
    if draws < 1:
        raise AccordError("--draws must be at least 1")
    u = uncertainty if uncertainty is not None else Uncertainty.from_meta(dict(scenario.meta))
    chosen = registry.resolve(list(models) if models else None)
    arrays = scenario.arrays()
    # A model's Monte Carlo defaults (Model.draw_params), then what the scenario's records give it,
    # then the user's parameters; the point forecast takes only the last two.
    kwargs = tuple(dict(m.draw_params) | model_kwargs(scenario, m) | dict((params or {}).get(m.name, {}))
                   for m in chosen)
    sizes = chunk_sizes(draws)
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    tasks = [
        _Task(arrays, tuple(m.name for m in chosen), kwargs, n, s, u) for n, s in zip(sizes, seeds, strict=True)
    ]
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done += k
        if progress:
            progress(done, len(tasks))

    parts: list[dict] = []
    if workers is None and executor is None and scheduler is None:
        # Run the first chunks here and time them; move the rest to every core when that pays.
        cores = os.cpu_count() or 1
        seconds: list[float] = []
        while len(parts) < min(2, len(tasks)):
            t0 = time.perf_counter()
            parts.append(_run_chunk(tasks[len(parts)]))
            seconds.append(time.perf_counter() - t0)
            tick(1)
            if not _auto(seconds, len(tasks) - len(parts), cores):
                break
        workers = cores if _auto(seconds, len(tasks) - len(parts), cores) else 1
    own = executor is None
    ex = executor or make_executor(workers or 1, scheduler)
    try:
        parts += ex.map(_run_chunk, tasks[len(parts):], progress=tick)
    finally:
        if own:
            ex.close()
    point = point_forecast(scenario, models=[m.name for m in chosen], seed=seed, params=params)
    return Ensemble(
        scenario=scenario.title,
        issue_ids=arrays.issue_ids,
        issue_names=tuple(i.name for i in scenario.issues),
        draws={m.name: np.concatenate([p[m.name] for p in parts]) for m in chosen},
        point=point.outcomes,
        seed=seed,
        uncertainty=u,
        notes=point.notes,
    )

"""Monte Carlo forecasts over input uncertainty, on any executor, reproducible by seed.

The draws are cut into chunks of at most :data:`CHUNK` draws, and into at least
:data:`MIN_CHUNKS` chunks, so that a few hundred draws of a slow model still spread over the
workers (:func:`chunk_sizes`: the cut depends on the number of draws only). Chunk k samples its
inputs and runs its stochastic models from the k-th child of ``SeedSequence(seed)``, so the same
seed gives bit-identical results whatever executor runs the chunks and however many workers it has.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from accord import __version__
from accord.errors import AccordError, ModelError, ParameterError
from accord.forecast import forecast as point_forecast
from accord.forecast import model_kwargs
from accord.jsonable import number
from accord.labels import Scale, outcome_label
from accord.limits import check_count, check_memory
from accord.models import registry
from accord.scenario import Scenario, ScenarioArrays
from accord.uncertainty.executors import Executor, interruptible, make_executor
from accord.uncertainty.sampling import Uncertainty, sample
from accord.uncertainty.streaming import Summary, batch_sizes, summarise

if TYPE_CHECKING:
    import pandas as pd

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


@dataclass(frozen=True)
class Region:
    """An interval whose probability a Monte Carlo summary reports.

    ``issue`` None: on every issue, ``low``/``high`` being percentages of each issue's scale
    when ``relative`` (what ``--region 0:30`` means), else scale units; with an ``issue``, on
    that issue only, in its scale units (``--region ceasefire=50:100``).
    """

    low: float
    high: float
    issue: str | None = None
    relative: bool = False

    def bounds(self, lower: float, upper: float) -> tuple[float, float]:
        """The interval in the scale units of an issue running from ``lower`` to ``upper``."""
        if not self.relative:
            return self.low, self.high
        span = upper - lower
        return lower + self.low * span / 100.0, lower + self.high * span / 100.0

    def applies(self, issue: str) -> bool:
        return self.issue is None or self.issue == issue

    @property
    def key(self) -> str:
        """The summary's column: ``p_0_30`` (every issue), ``p_ceasefire_50_100`` (one issue)."""
        return f"p_{self.low:g}_{self.high:g}" if self.issue is None else f"p_{self.issue}_{self.low:g}_{self.high:g}"

    @property
    def text(self) -> str:
        span = f"{self.low:g}:{self.high:g}"
        return span if self.issue is None else f"{self.issue}={span}"


def parse_region(text: str) -> Region:
    """``"0:30"``: 0–30 % of every issue's scale (0–30 on a 0–100 scale); ``"ceasefire=50:100"``:
    50–100 on that issue's own scale."""
    issue, eq, span = str(text).rpartition("=")
    try:
        lo, hi = (float(x) for x in span.split(":"))
    except ValueError:
        raise AccordError(f"--region must look like LOW:HIGH (e.g. 0:30, a share of each issue's scale in %) "
                          f"or ISSUE=LOW:HIGH (in that issue's units), got {text!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise AccordError(f"--region {text}: LOW and HIGH must be finite numbers")
    if lo > hi:
        raise AccordError(f"--region {text}: LOW must not exceed HIGH")
    if eq and not issue.strip():
        raise AccordError(f"--region {text}: name the issue before '=' (ISSUE=LOW:HIGH)")
    return Region(lo, hi, issue.strip() or None, relative=not eq)


def _regions(regions, issue_ids) -> tuple[Region, ...]:
    """Regions from :class:`Region` objects or ``(low, high)`` pairs (scale units, every issue),
    each naming an issue the ensemble has."""
    out = tuple(r if isinstance(r, Region) else Region(float(r[0]), float(r[1])) for r in regions)
    for r in out:
        if r.issue is not None and r.issue not in issue_ids:
            raise AccordError(f"--region {r.text}: unknown issue {r.issue!r}; issues: {', '.join(issue_ids)}")
    return out


def region_bounds(regions: Sequence[Region], a: ScenarioArrays) -> np.ndarray:
    """(n_issues, n_regions, 2): each region's interval on each issue in its units, NaN where the
    region is another issue's (what a streamed run counts)."""
    out = np.full((a.n_issues, len(regions), 2), np.nan)
    for k, issue in enumerate(a.issue_ids):
        for r, region in enumerate(regions):
            if region.applies(issue):
                out[k, r] = region.bounds(float(a.lower[k]), float(a.upper[k]))
    return out


@dataclass
class Ensemble:
    """Forecasts of many draws: ``draws[model]`` has shape (n_draws, n_issues); with
    ``simulate(..., stream=True)`` no draws are kept (``draws`` is empty) and ``stream`` holds
    their running summary (:mod:`accord.uncertainty.streaming`). ``scales`` (one per issue) give
    the point forecasts their labels and relative regions their bounds."""

    scenario: str
    issue_ids: tuple[str, ...]
    issue_names: tuple[str, ...]
    draws: dict[str, np.ndarray]
    point: dict[str, np.ndarray]
    seed: int | None
    uncertainty: Uncertainty
    notes: dict[str, list[str]] = field(default_factory=dict)
    stream: Summary | None = None
    stream_models: tuple[str, ...] = ()
    stream_regions: tuple[Region, ...] = ()
    scale: tuple[np.ndarray, np.ndarray] | None = None  # issues' lower and upper ends
    scales: tuple[Scale, ...] = ()

    @property
    def models(self) -> tuple[str, ...]:
        """The models run, in order."""
        return self.stream_models if self.stream is not None else tuple(self.draws)

    @property
    def n_draws(self) -> int:
        if self.stream is not None:
            return self.stream.total
        return next(iter(self.draws.values())).shape[0] if self.draws else 0

    def summary(self, regions: Sequence[Region | tuple[float, float]] = ()) -> pd.DataFrame:
        """Per issue and model: point forecast, mean, sd, p10, p50, p90, the probability of each
        region that applies to the issue (NaN where one does not) and the point forecast's label."""
        import pandas as pd

        regions = _regions(regions, self.issue_ids)
        if self.stream is not None:
            return pd.DataFrame(self._streamed_rows(regions))
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
                for r in regions:
                    if r.applies(issue) and ok.size:
                        lo, hi = r.bounds(*self._ends(k))
                        row[r.key] = float(((ok >= lo) & (ok <= hi)).mean())
                    else:
                        row[r.key] = np.nan
                row["outcome_label"] = self._label(model, k)
                rows.append(row)
        return pd.DataFrame(rows)

    def _scale(self, k: int) -> Scale:
        return self.scales[k] if self.scales else Scale()

    def _ends(self, k: int) -> tuple[float, float]:
        s = self._scale(k)
        return s.lower, s.upper

    def _label(self, model: str, k: int) -> str:
        return outcome_label(float(self.point[model][k]), self._scale(k))

    def _streamed_rows(self, regions: tuple[Region, ...]) -> list[dict]:
        st = self.stream
        missing = [r.text for r in regions if r not in self.stream_regions]
        if missing:
            raise AccordError(f"a streamed run counts only the regions given to simulate: {missing} were not")
        q = st.quantiles([0.1, 0.5, 0.9], *self.scale)
        sd = st.sd()
        rows = []
        for a, model in enumerate(self.stream_models):
            for k, issue in enumerate(self.issue_ids):
                n = int(st.n[a, k])
                row = {
                    "issue": issue, "issue_name": self.issue_names[k], "model": model,
                    "outcome": float(self.point[model][k]), "mean": float(st.mean[a, k]) if n else np.nan,
                    "sd": float(sd[a, k]), "p10": float(q[0, a, k]), "p50": float(q[1, a, k]),
                    "p90": float(q[2, a, k]), "n": n,
                }
                for r in regions:
                    c = st.regions[a, k, self.stream_regions.index(r)]
                    row[r.key] = float(c / n) if n and r.applies(issue) else np.nan
                row["outcome_label"] = self._label(model, k)
                rows.append(row)
        return rows

    def to_frame(self) -> pd.DataFrame:
        """Every draw: columns ``draw``, ``issue``, ``model``, ``outcome``."""
        import pandas as pd

        if self.stream is not None:
            raise AccordError("a streamed run keeps no draws (simulate(..., stream=False) keeps them)")
        frames = []
        for model, x in self.draws.items():
            n, m = x.shape
            frames.append(pd.DataFrame({
                "draw": np.repeat(np.arange(n), m), "issue": np.tile(self.issue_ids, n),
                "model": model, "outcome": x.reshape(-1),
            }))
        return pd.concat(frames, ignore_index=True)

    def to_json(self, regions: Sequence[Region | tuple[float, float]] = ()) -> dict:
        regions = _regions(regions, self.issue_ids)
        keys = {r.key for r in regions}
        forecasts = []
        for rec in self.summary(regions).to_dict(orient="records"):
            k = self.issue_ids.index(rec["issue"])
            item = {key: (None if isinstance(v, float) and not np.isfinite(v) else v) for key, v in rec.items()
                    if key not in keys}
            item["regions"] = [
                {"low": lo, "high": hi, "probability": number(rec[r.key]), "region": r.text}
                for r in regions if r.applies(rec["issue"]) for lo, hi in [r.bounds(*self._ends(k))]
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


@dataclass(frozen=True)
class _Batch:
    """Chunks one worker runs and summarises in order (streamed runs)."""

    chunks: tuple[_Task, ...]
    regions: np.ndarray  # (n_issues, n_regions, 2) per-issue bounds (region_bounds)


def _run_batch(batch: _Batch) -> Summary:
    """Run a batch's chunks and merge their summaries in chunk order (runs in a worker)."""
    a = batch.chunks[0].arrays
    parts = []
    for task in batch.chunks:
        out = _run_chunk(task)
        x = np.stack([out[m] for m in task.models])  # (n_models, n_draws, n_issues)
        parts.append(Summary.of(x, a.lower, a.upper, batch.regions))
    return summarise(parts)


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
    stream: bool = False,
    regions: Sequence[Region | tuple[float, float]] = (),
) -> Ensemble:
    """Forecast ``draws`` perturbed copies of ``scenario`` with each model.

    ``uncertainty`` defaults to the scenario's ``meta.uncertainty`` (stance ranges always apply).
    ``progress(done, total)`` is called after each chunk. ``executor`` overrides ``workers`` and
    ``scheduler``. With none of the three, the first chunks run here and are timed; the rest goes
    to one local worker process per core when it would take more than :data:`AUTO_SECONDS` here.
    Which executor runs a chunk never changes the results.

    ``stream=True`` keeps no draws: each worker summarises its chunks as it runs them (mean, sd,
    the draws inside each of ``regions``, a histogram for the quantiles; see
    :mod:`accord.uncertainty.streaming`), so memory stays flat however many draws; the tasks
    are then :func:`~accord.uncertainty.streaming.batch_sizes` groups of chunks. ``regions``
    are :class:`Region` objects or ``(low, high)`` pairs in scale units.
    """
    if draws < 1:
        raise AccordError("--draws must be at least 1")
    check_count("--draws", draws, "draws")
    u = uncertainty if uncertainty is not None else Uncertainty.from_meta(dict(scenario.meta))
    chosen = registry.resolve(list(models) if models else None)
    arrays = scenario.arrays()
    # Kept draws (draws x issues per model, gathered twice) and a chunk's inputs and temporaries.
    kept = 0 if stream else 2 * draws * arrays.n_issues * len(chosen)
    check_memory(f"{draws:,} draws of {len(chosen)} model(s) on {arrays.n_issues} issues" + ("" if stream else " (--stream keeps none)"),
                 8.0 * (kept + 16 * CHUNK * arrays.n_actors * arrays.n_issues))
    # A model's Monte Carlo defaults (Model.draw_params), then what the scenario's records give it,
    # then the user's parameters; the point forecast takes only the last two.
    kwargs = tuple(dict(m.draw_params) | model_kwargs(scenario, m) | dict((params or {}).get(m.name, {}))
                   for m in chosen)
    sizes = chunk_sizes(draws)
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    tasks = [
        _Task(arrays, tuple(m.name for m in chosen), kwargs, n, s, u) for n, s in zip(sizes, seeds, strict=True)
    ]
    fn = _run_chunk
    if stream:
        fn = _run_batch
        regions = _regions(regions, arrays.issue_ids)
        bounds = region_bounds(regions, arrays)
        cuts = np.cumsum([0, *batch_sizes(len(tasks))])
        tasks = [_Batch(tuple(tasks[lo:hi]), bounds) for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)]
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
            parts.append(interruptible(fn, tasks[len(parts)]))
            seconds.append(time.perf_counter() - t0)
            tick(1)
            if not _auto(seconds, len(tasks) - len(parts), cores):
                break
        workers = cores if _auto(seconds, len(tasks) - len(parts), cores) else 1
    own = executor is None
    ex = executor or make_executor(workers or 1, scheduler)
    try:
        parts += ex.map(fn, tasks[len(parts):], progress=tick)
    finally:
        if own:
            ex.close()
    point = point_forecast(scenario, models=[m.name for m in chosen], seed=seed, params=params)
    if stream:
        return Ensemble(
            scenario=scenario.title, issue_ids=arrays.issue_ids, issue_names=tuple(i.name for i in scenario.issues),
            draws={}, point=point.outcomes, seed=seed, uncertainty=u, notes=point.notes, stream=summarise(parts),
            stream_models=tuple(m.name for m in chosen), stream_regions=regions,
            scale=(np.asarray(arrays.lower, float), np.asarray(arrays.upper, float)), scales=point.scales,
        )
    return Ensemble(
        scenario=scenario.title,
        issue_ids=arrays.issue_ids,
        issue_names=tuple(i.name for i in scenario.issues),
        draws={m.name: np.concatenate([p[m.name] for p in parts]) for m in chosen},
        point=point.outcomes,
        seed=seed,
        uncertainty=u,
        notes=point.notes,
        scales=point.scales,
    )

"""Running every model on every scored issue: one row per (model, capability scheme, issue)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accord.backtest.issues import capability_matrix, issue_table
from accord.backtest.scores import LEVELS, crps_from_draws
from accord.errors import AccordError, ScenarioError
from accord.models import registry
from accord.results import quantile_key
from accord.scenario import Scenario, ScenarioArrays


@dataclass(frozen=True)
class Unit:
    """Issues run together (one proposal, same capability) and the actors involved in them."""

    group: str
    issues: np.ndarray
    actors: np.ndarray


def units(arrays: ScenarioArrays, groups, capability: np.ndarray, scored: np.ndarray) -> list[Unit]:
    """Scored issues split by group and, within a group, by identical capability vectors."""
    out = []
    groups = np.asarray(groups, dtype=object)
    for g in dict.fromkeys(groups[scored]):
        idx = np.flatnonzero((groups == g) & scored)
        by_cap: dict[bytes, list[int]] = {}
        for k in idx:
            by_cap.setdefault(capability[:, k].tobytes(), []).append(k)
        for ks in by_cap.values():
            ks = np.array(ks)
            actors = np.flatnonzero(arrays.involved[:, ks].any(axis=1))
            out.append(Unit(str(g), ks, actors))
    return out


def _call(model, sub: ScenarioArrays, rng, params: dict):
    kwargs = dict(params)
    if model.quantiles:
        kwargs["quantiles"] = LEVELS
    result = model.forecast(sub, rng=rng, **kwargs)
    quantiles = {level: np.asarray(q, dtype=float).reshape(-1) for level, q in result.quantiles.items()}
    return np.asarray(result.outcome, dtype=float).reshape(-1), quantiles


def _seed(seed: int, model: str, unit: int) -> np.random.SeedSequence:
    # Independent of the order models and units run in (Axelrod's one-seed-per-match idea).
    return np.random.SeedSequence([seed, zlib.crc32(model.encode()), unit])


def run_model(model, arrays: ScenarioArrays, capability: np.ndarray, unit_list: list[Unit], *,
              seed: int = 0, draws: int = 1, params: dict | None = None,
              tick: Callable[[], None] | None = None) -> dict:
    """Forecast every issue of every unit with one model.

    Returns a dict of per-issue arrays over the whole scenario: ``forecast`` (NaN where none),
    ``reason`` (why there is none), ``quantiles`` {level: array} and ``draws`` (n_draws, n_issues)
    for stochastic models run ``draws`` > 1 times.
    """
    params = dict(params or {})
    m = arrays.n_issues
    forecast = np.full(m, np.nan)
    reason = np.full(m, None, dtype=object)
    quantiles: dict[float, np.ndarray] = {}
    n_draws = draws if model.stochastic and draws > 1 else 1
    all_draws = np.full((n_draws, m), np.nan)

    def attempt(issue_idx, actor_idx, u):
        sub = arrays.take_issues(issue_idx).take_actors(actor_idx)
        sub = sub.replace(capability=capability[actor_idx, issue_idx[0]].copy())
        streams = _seed(seed, model.name, u).spawn(n_draws)
        outs, qs = [], {}
        for s in streams:
            out, q = _call(model, sub, np.random.default_rng(s), params)
            if out.shape != (len(issue_idx),):
                raise AccordError(f"returned shape {out.shape}, expected ({len(issue_idx)},)")
            outs.append(out)
            qs = q
        return np.array(outs), qs

    for u, unit in enumerate(unit_list):
        if tick is not None and u:
            tick()
        pieces = [(unit.issues, unit.actors)]
        try:
            results = [attempt(unit.issues, unit.actors, u)]
        except Exception as exc:  # a model bug or ModelError: record it, isolate the issues
            if model.joint or len(unit.issues) == 1:
                reason[unit.issues] = _why(exc)
                continue
            pieces, results = [], []
            for k in unit.issues:
                actors = np.flatnonzero(arrays.involved[:, k])
                try:
                    results.append(attempt(np.array([k]), actors, u * 1000 + int(k)))
                    pieces.append((np.array([k]), actors))
                except Exception as exc2:
                    reason[k] = _why(exc2)
        for (idx, _), (outs, qs) in zip(pieces, results, strict=True):
            all_draws[:, idx] = outs
            forecast[idx] = outs[0] if n_draws == 1 else np.median(outs, axis=0)
            for level, values in qs.items():
                quantiles.setdefault(level, np.full(m, np.nan))[idx] = values
    if tick is not None and unit_list:
        tick()
    bad = np.isnan(forecast) & (reason == None)  # noqa: E711 (object array)
    reason[bad] = "no forecast (NaN)"
    lo, hi = arrays.lower, arrays.upper
    off = np.isfinite(forecast) & ((forecast < lo - 1e-9) | (forecast > hi + 1e-9))
    reason[off] = "forecast off the issue's scale"
    forecast[off] = np.nan
    return {"forecast": forecast, "reason": reason, "quantiles": quantiles,
            "draws": all_draws if n_draws > 1 else None}


def _why(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def predict(scenario: Scenario, models=None, capability="equal", *, seed: int = 0, draws: int = 10,
            params: dict[str, dict] | None = None,
            progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per (model, capability scheme, scored issue) with ``forecast``, ``outcome``,
    ``abs_error``, ``reason`` (why no forecast), the issue context and any quantiles ``q…``.
    ``progress(done, total)`` is called after each unit (issues run together) of each model."""
    chosen = registry.resolve(models if models is None or isinstance(models, (list, tuple)) else [models])
    schemes = [capability] if isinstance(capability, str) else list(capability)
    table = issue_table(scenario)
    if not table["scored"].any():
        raise ScenarioError("no issue has an outcome and at least 3 actors with a position")
    arrays = scenario.arrays()
    scored = table["scored"].to_numpy()
    frames = []
    plan = []
    for scheme in schemes:
        cap = capability_matrix(scenario, scheme)
        plan.append((scheme, cap, units(arrays, table["group"].to_numpy(), cap, scored)))
    total, done = sum(len(u) for _, _, u in plan) * len(chosen), 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    for scheme, cap, unit_list in plan:
        for model in chosen:
            # Keyword arguments from the scenario's records pass only when keyed by id (roles),
            # so that they hold on each proposal's subset of actors and issues.
            given = dict(model.scenario_kwargs(scenario)) if model.kwargs_by_id and model.scenario_kwargs else {}
            res = run_model(model, arrays, cap, unit_list, seed=seed, draws=draws,
                            params=given | dict((params or {}).get(model.name) or {}), tick=tick)
            df = table.loc[scored, ["issue", "group", "split", "procedure", "rule", "outcome"]].copy()
            df.insert(0, "capability", scheme)
            df.insert(0, "model", model.name)
            df["forecast"] = res["forecast"][scored]
            df["abs_error"] = (df["forecast"] - df["outcome"]).abs()
            df["reason"] = res["reason"][scored]
            qs = dict(res["quantiles"])
            if res["draws"] is not None:
                d = res["draws"][:, scored]
                for level in LEVELS:
                    qs[level] = np.full(arrays.n_issues, np.nan)
                    qs[level][scored] = np.quantile(d, level, axis=0)
                df["crps_draws"] = crps_from_draws(d, df["outcome"].to_numpy())
            for level in sorted(qs):
                df[quantile_key(level)] = qs[level][scored]
            frames.append(df)
    return pd.concat(frames, ignore_index=True)

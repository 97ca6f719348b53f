"""Backtest: how close each model comes to the outcomes of real decisions (DEU, or any scenario
whose issues carry a known outcome).

The functional core: :func:`predict` runs every model on every scored issue and gives one row per
(model, capability scheme, issue); :func:`summarise` turns those rows into metrics with bootstrap
intervals; :func:`backtest_command` is the pure entry the CLI calls.

Scored set (the DEU convention): issues with an outcome and at least three actors with a position.
Models that look at issues one at a time run on each proposal (``Issue.group``, DEU's ``prnr``) as
a batch; models registered with ``joint=True`` run on each proposal as a whole, so the exchange
model trades only among issues of the same proposal. A model that fails on a proposal is retried
issue by issue (unless joint); each failure is recorded with its reason, and the model is scored
on the issues it did forecast, with its ``n`` shown.

Metrics, on the 0–100 scale: mean absolute error (MAE), root mean squared error, median absolute
error, share within 10 points, a 95 % bootstrap interval for the MAE and for the paired difference
MAE(model) − MAE(reference) on the issues both forecast. The bootstrap resamples proposals, not
issues, because issues of one proposal are decided together (Efron & Tibshirani 1993, ch. 6 on
clustered data). Models that give quantiles (keys ``q10``, ``q25``, … in their output) or are
stochastic (several draws) are also scored on the coverage of their central 50 % and 80 %
intervals and the continuous ranked probability score (CRPS; Gneiting & Raftery 2007), estimated
from quantiles as twice the mean pinball loss over a midpoint grid of levels, or from draws as
E|X − y| − ½ E|X − X'|.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from accord.errors import AccordError, ScenarioError
from accord.models import registry
from accord.results import quantile_key
from accord.scenario import Scenario, ScenarioArrays

#: Quantile levels asked of models whose ``forecast`` accepts ``quantiles=``: a 20-point midpoint
#: grid (for CRPS) and the ends of the central 50 % and 80 % intervals.
CRPS_LEVELS = tuple(round((k - 0.5) / 20, 4) for k in range(1, 21))
INTERVAL_LEVELS = (0.1, 0.25, 0.5, 0.75, 0.9)
LEVELS = tuple(sorted(set(CRPS_LEVELS) | set(INTERVAL_LEVELS)))
CAPABILITY_SCHEMES = ("equal", "council-votes", "council-weights", "gdp")
MIN_ACTORS = 3
_QKEY = re.compile(r"^q(\d+(?:\.\d+)?)$")


# -- the issues and their context ---------------------------------------------------------------

def issue_table(scenario: Scenario) -> pd.DataFrame:
    """One row per issue: ``issue``, ``group``, ``outcome``, ``n_actors``, ``scored``, ``split``,
    ``procedure``, ``rule``, ``intro`` (DEU columns where the scenario came from a DEU reader)."""
    a = scenario.arrays()
    deu = {}
    if scenario.meta and scenario.meta.get("deu"):
        deu = {r["isnr"]: r for r in scenario.meta["deu"]}
    outcomes = dict(scenario.meta.get("outcomes", {})) if scenario.meta else {}
    rows = []
    for k, issue in enumerate(scenario.issues):
        r = deu.get(issue.id, {})
        out = r.get("out", outcomes.get(issue.id))
        rule = r.get("counvte") or issue.rule.kind
        rows.append({
            "issue": issue.id,
            "group": issue.group or r.get("prnr") or issue.id,
            "outcome": np.nan if out is None else float(out),
            "n_actors": int(a.involved[:, k].sum()),
            "split": r.get("split") or "",
            "procedure": r.get("proc") or "",
            "rule": "Unan" if str(rule).lower().startswith(("unan", "consensus")) else ("QMV" if str(rule).upper().startswith("QMV") else str(rule)),
            "intro": r.get("intro") or "",
        })
    df = pd.DataFrame(rows)
    df["scored"] = df["outcome"].notna() & (df["n_actors"] >= MIN_ACTORS)
    return df


def capability_matrix(scenario: Scenario, scheme: str) -> np.ndarray:
    """Capability of each actor on each issue, shape (n_actors, n_issues).

    ``equal`` (all 1); ``council-votes`` (Shapley–Shubik index of the Council game in force, see
    :mod:`accord.backtest.capability`); ``council-weights`` (the Treaty vote weights or population, same
    Commission/Parliament choices); ``gdp`` (``gdp_weight`` from the DEU folder's actors.csv); or
    the path of a CSV file with ``actor`` and a numeric column.
    """
    from accord.backtest import capability as cap

    ids = scenario.actor_ids
    n, m = len(ids), len(scenario.issues)
    if scheme == "equal":
        return np.ones((n, m))
    if scheme in ("council-votes", "council-weights"):
        table = issue_table(scenario)
        a = scenario.arrays()
        out = np.zeros((n, m))
        cache: dict[tuple, np.ndarray] = {}
        for k, row in table.iterrows():
            group_present = tuple(sorted({ids[j] for kk in np.flatnonzero(table["group"] == row["group"]) for j in np.flatnonzero(a.involved[:, kk])}))
            key = (row["intro"], row["group"], row["procedure"], row["rule"], group_present)
            if key not in cache:
                try:
                    cache[key] = cap.eu_capability(
                        ids, intro=row["intro"] or None, prnr=row["group"], procedure=row["procedure"] or "COD",
                        unanimity=row["rule"] == "Unan", states_present=group_present,
                        index="votes" if scheme == "council-weights" else "shapley-shubik",
                    )
                except ValueError as exc:
                    raise ScenarioError(f"issue {row['issue']}: intro {row['intro']!r}: {exc}") from None
            out[:, k] = cache[key]
        return out
    if scheme == "gdp":
        actors = (scenario.meta or {}).get("deu_actors")
        if not actors or not all("gdp_weight" in actors.get(i, {}) for i in ids):
            raise ScenarioError("capability 'gdp' needs an actors.csv with a gdp_weight for every actor")
        return np.repeat(np.array([actors[i]["gdp_weight"] for i in ids], float)[:, None], m, axis=1)
    if Path(scheme).is_file():
        return np.repeat(cap.read_capability_file(scheme, ids)[:, None], m, axis=1)
    raise AccordError(
        f"unknown capability {scheme!r}; expected one of {', '.join(CAPABILITY_SCHEMES)} or a CSV file"
    )


# -- running models -----------------------------------------------------------------------------

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
              seed: int = 0, draws: int = 1, params: dict | None = None) -> dict:
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
            params: dict[str, dict] | None = None) -> pd.DataFrame:
    """One row per (model, capability scheme, scored issue) with ``forecast``, ``outcome``,
    ``abs_error``, ``reason`` (why no forecast), the issue context and any quantiles ``q…``."""
    chosen = registry.resolve(models if models is None or isinstance(models, (list, tuple)) else [models])
    schemes = [capability] if isinstance(capability, str) else list(capability)
    table = issue_table(scenario)
    if not table["scored"].any():
        raise ScenarioError("no issue has an outcome and at least 3 actors with a position")
    arrays = scenario.arrays()
    scored = table["scored"].to_numpy()
    frames = []
    for scheme in schemes:
        cap = capability_matrix(scenario, scheme)
        unit_list = units(arrays, table["group"].to_numpy(), cap, scored)
        for model in chosen:
            res = run_model(model, arrays, cap, unit_list, seed=seed, draws=draws,
                            params=(params or {}).get(model.name))
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
                df["crps_draws"] = _crps_draws(d, df["outcome"].to_numpy())
            for level in sorted(qs):
                df[quantile_key(level)] = qs[level][scored]
            frames.append(df)
    return pd.concat(frames, ignore_index=True)


# -- scoring ------------------------------------------------------------------------------------

def pinball(y, q, level):
    """Pinball (quantile) loss of quantile ``q`` at ``level`` for outcome ``y``."""
    return np.where(y < q, (1 - level) * (q - y), level * (y - q))


def crps_from_quantiles(y: np.ndarray, q: dict[float, np.ndarray]) -> np.ndarray:
    """CRPS ≈ 2 Σ_k w_k pinball_k, w_k the width of level k's cell in [0, 1] (midpoint rule).

    For the 20-point midpoint grid of :data:`CRPS_LEVELS` this is the midpoint rule for
    CRPS = 2 ∫₀¹ pinball_τ dτ (Gneiting & Raftery 2007, eq. 21 ff.).
    """
    levels = np.array(sorted(q))
    edges = np.concatenate([[0.0], (levels[1:] + levels[:-1]) / 2, [1.0]])
    w = np.diff(edges)
    return 2 * sum(wk * pinball(y, q[lv], lv) for wk, lv in zip(w, levels, strict=True))


def _crps_draws(d: np.ndarray, y: np.ndarray) -> np.ndarray:
    first = np.abs(d - y[None, :]).mean(axis=0)
    second = np.abs(d[:, None, :] - d[None, :, :]).mean(axis=(0, 1))
    return first - 0.5 * second


def _cluster_weights(groups: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap weights (n_boot, n_issues): each proposal drawn with replacement."""
    labels, inverse = np.unique(groups, return_inverse=True)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7919]))
    draws = rng.integers(0, len(labels), size=(n_boot, len(labels)))
    counts = np.zeros((n_boot, len(labels)))
    np.add.at(counts, (np.arange(n_boot)[:, None], draws), 1.0)
    return counts[:, inverse], inverse


def _boot_mean(x: np.ndarray, groups: np.ndarray, n_boot: int, seed: int) -> tuple[float, float]:
    if len(x) < 2 or n_boot <= 0:
        return (np.nan, np.nan)
    w, _ = _cluster_weights(groups, n_boot, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = (w @ x) / w.sum(axis=1)
    lo, hi = np.nanpercentile(stats, [2.5, 97.5])
    return float(lo), float(hi)


def _point_metrics(e: np.ndarray) -> dict:
    a = np.abs(e)
    return {
        "mae": float(a.mean()) if len(a) else np.nan,
        "rmse": float(np.sqrt((a ** 2).mean())) if len(a) else np.nan,
        "median_ae": float(np.median(a)) if len(a) else np.nan,
        "within10": float((a <= 10).mean()) if len(a) else np.nan,
    }


def summarise(pred: pd.DataFrame, *, reference: str = "compromise", n_boot: int = 2000,
              seed: int = 0) -> pd.DataFrame:
    """Metrics per (model, capability): see the module docstring for their definitions."""
    rows = []
    for (model, scheme), df in pred.groupby(["model", "capability"], sort=False):
        ok = df["forecast"].notna()
        d = df[ok]
        e = (d["forecast"] - d["outcome"]).to_numpy()
        row = {"model": model, "capability": scheme, "n": int(ok.sum()), "n_failed": int((~ok).sum())}
        row.update(_point_metrics(e))
        row["mae_lo"], row["mae_hi"] = _boot_mean(np.abs(e), d["group"].to_numpy(), n_boot, seed)
        ref = pred[(pred["model"] == reference) & (pred["capability"] == scheme)].set_index("issue")
        if len(ref) and model != reference:
            both = d[d["issue"].map(ref["forecast"]).notna().to_numpy()]
            diff = both["abs_error"].to_numpy() - both["issue"].map(ref["abs_error"]).to_numpy()
            row["diff"] = float(diff.mean()) if len(diff) else np.nan
            row["diff_lo"], row["diff_hi"] = _boot_mean(diff, both["group"].to_numpy(), n_boot, seed)
        else:
            row["diff"] = row["diff_lo"] = row["diff_hi"] = np.nan
        for col, values in (("procedure", ("COD", "CNS")), ("rule", ("QMV", "Unan"))):
            for v in values:
                sel = d[d[col] == v]
                row[f"mae_{v}"] = float(sel["abs_error"].mean()) if len(sel) else np.nan
                row[f"n_{v}"] = len(sel)
        row.update(_interval_metrics(d))
        reasons = df.loc[~ok, "reason"].astype(str)
        row["failures"] = "; ".join(f"{r} ({c} issues)" for r, c in reasons.value_counts().items())
        rows.append(row)
    return pd.DataFrame(rows)


def _interval_metrics(d: pd.DataFrame) -> dict:
    out = {"coverage50": np.nan, "coverage80": np.nan, "crps": np.nan}
    if not len(d):
        return out
    y = d["outcome"].to_numpy()
    cols = {float(m.group(1)) / 100: c for c in d.columns if (m := _QKEY.match(c)) and d[c].notna().all()}
    for name, lo, hi in (("coverage50", 0.25, 0.75), ("coverage80", 0.1, 0.9)):
        if lo in cols and hi in cols:
            inside = (d[cols[lo]].to_numpy() <= y + 1e-9) & (y <= d[cols[hi]].to_numpy() + 1e-9)
            out[name] = float(inside.mean())
    if "crps_draws" in d.columns and d["crps_draws"].notna().all():
        out["crps"] = float(d["crps_draws"].mean())
    elif len(cols) >= 3:
        grid = {lv: d[c].to_numpy() for lv, c in cols.items() if lv in CRPS_LEVELS} or {lv: d[c].to_numpy() for lv, c in cols.items()}
        out["crps"] = float(crps_from_quantiles(y, grid).mean())
    return out


# -- the entry the CLI calls --------------------------------------------------------------------

def backtest(scenario: Scenario, models=None, capability="equal", *, split=None, seed: int = 0,
             n_boot: int = 2000, draws: int = 10, reference: str = "compromise",
             params: dict[str, dict] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, predictions) for a scenario with known outcomes; ``split`` keeps issues whose
    DEU split is that value (or one of those values)."""
    if split not in (None, "all"):
        keep = {split} if isinstance(split, str) else set(split)
        table = issue_table(scenario)
        ids = table.loc[table["split"].isin(keep), "issue"].tolist()
        if not ids:
            raise ScenarioError(f"no issue has split {split!r}")
        scenario = scenario.with_issues(ids)
    pred = predict(scenario, models, capability, seed=seed, draws=draws, params=params)
    names = set(pred["model"])
    if reference not in names:
        ref = predict(scenario, [reference], capability, seed=seed, draws=draws, params=params)
        summary = summarise(pd.concat([pred, ref], ignore_index=True), reference=reference, n_boot=n_boot, seed=seed)
        summary = summary[summary["model"].isin(names)].reset_index(drop=True)
    else:
        summary = summarise(pred, reference=reference, n_boot=n_boot, seed=seed)
    return summary, pred


def backtest_command(path, models=None, capability="equal", *, split=None, seed: int = 0,
                     n_boot: int = 2000, draws: int = 10, reference: str = "compromise") -> tuple[dict, pd.DataFrame]:
    """Read ``path`` (DEU folder or deposit file, or any scenario file with ``meta.outcomes``),
    backtest, and return ``(report, summary)``.

    ``models``: names (``None`` or ``["all"]``: every registered model; comma-separated names
    allowed); ``capability``: a scheme name, a CSV path, or several (list or comma-separated).
    The report is the JSON contract ``{"n_issues", "split", "capability", "reference",
    "models": [{"model", "capability", "mae", "rmse", "n", ...}]}``.
    """
    p = Path(path)
    if p.is_dir() or _is_deu(p):
        from accord.io.deu import read_deu

        scenario = read_deu(p)
    else:
        from accord.io import read_scenario

        scenario = read_scenario(p)
    if isinstance(capability, str):
        capability = [c.strip() for c in capability.split(",") if c.strip()] or ["equal"]
    summary, pred = backtest(scenario, models, capability, split=split, seed=seed, n_boot=n_boot,
                             draws=draws, reference=reference)
    n_issues = int(pred["issue"].nunique())
    report = {
        "n_issues": n_issues,
        "split": split or "all",
        "capability": list(capability),
        "reference": reference,
        "models": [{k: _plain(v) for k, v in row.items()} for row in summary.to_dict("records")],
    }
    return report, summary


def _is_deu(p: Path) -> bool:
    from accord.io.deu import sniff_deu

    try:
        return p.is_file() and sniff_deu(p) == "deu"
    except AccordError:
        return False


def _plain(v):
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v

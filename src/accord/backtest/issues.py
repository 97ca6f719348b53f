"""The scored issues of a backtest and their context: outcome, proposal, procedure, voting rule,
and the capability of each actor on each issue under a named scheme."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from accord.errors import AccordError, ScenarioError
from accord.scenario import Scenario

CAPABILITY_SCHEMES = ("equal", "council-votes", "council-weights", "gdp")
#: Issues with fewer actors holding a position are not scored (the DEU convention).
MIN_ACTORS = 3


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

"""Whether each forecast is agreed: the process's verdict beside every model's forecast.

A forecast says where an issue lands *if* a decision is taken; the process says whether and when
it is taken. :func:`agreement` runs the process once per model (strategic mode, the inputs as
stated) so that the forecast table, the web results page and the report can show both side by
side, and an issue is never shown as "50" in one place and "blocked at 100" in another without
the reason. ``accord process --draws`` gives the probabilities over the input uncertainty.
"""

from __future__ import annotations

from accord.errors import AccordError
from accord.process.run import run_process
from accord.scenario import Scenario

#: What a forecast table says of an issue the process did not agree.
STATUS_WORDS = {"agreed": "agreed", "blocked": "blocked", "unchanged": "no change", "closed": "never opens"}


def has_agenda(scenario: Scenario) -> bool:
    """Whether anything in the scenario can stop a forecast from being agreed."""
    return bool(scenario.preconditions) or any(i.rule.kind != "none" or i.veto for i in scenario.issues)


def agreement(scenario: Scenario, models: list[str], *, seed: int = 0,
              params: dict[str, dict] | None = None) -> dict[str, dict[str, dict]]:
    """``{model: {issue: {"p_agreed", "status", "stage", "why"}}}`` from one strategic process
    run per model; every issue agreed at stage 1 when the scenario has no rules, vetoes or
    preconditions. A model the process cannot run gets ``status: "unknown"`` and the reason."""
    out: dict[str, dict[str, dict]] = {}
    for name in models:
        if not has_agenda(scenario):
            out[name] = {i.id: {"p_agreed": 1.0, "status": "agreed", "stage": 1,
                                "why": "no formal rule: the forecast stands"} for i in scenario.issues}
            continue
        try:
            result = run_process(scenario, name, seed=seed, params=(params or {}).get(name))
        except AccordError as exc:
            out[name] = {i.id: {"p_agreed": None, "status": "unknown", "stage": None, "why": str(exc)}
                         for i in scenario.issues}
            continue
        out[name] = {item["issue"]: {"p_agreed": float(item["agreed"]), "status": item["status"],
                                     "stage": item["stage"], "why": item["explanation"]}
                     for item in result.issues()}
    return out


def short(entry: dict) -> str:
    """A table cell: ``agreed``, ``agreed at stage 2``, ``blocked``, ``never opens``."""
    word = STATUS_WORDS.get(entry["status"], entry["status"])
    return f"{word} at stage {entry['stage']}" if entry["status"] == "agreed" and (entry["stage"] or 1) > 1 else word

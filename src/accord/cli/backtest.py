"""``accord backtest``: accuracy of every model on decisions with known outcomes (DEU layout)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.cli.common import Fmt, ModelOpt, _emit_machine, _fmt, app, out, progress_bar
from accord.limits import check_count
from accord.rng import MAX_SEED


@app.command()
def backtest(
    path: Annotated[Path, typer.Argument(help="DEU folder (issues.csv + positions.csv) or the deposit's single file.")],
    model: ModelOpt = None,
    capability: Annotated[str, typer.Option(help="equal, council-votes, council-weights, gdp, or a CSV file actor,capability; comma-separate several.")] = "equal",
    split: Annotated[str | None, typer.Option(help="Score only train or dev (default: every issue).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the bootstrap and stochastic models.", min=0, max=MAX_SEED)] = 0,
    boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals of MAE (0: no intervals).", min=0)] = 2000,
    format: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.table,
    plot: Annotated[Path | None, typer.Option(help="Write a reliability chart of the models' interval forecasts (PNG or SVG).")] = None,
) -> None:
    """Score models against real outcomes: MAE, RMSE, bootstrap intervals, breakdowns, and the
    coverage and CRPS of models that give a distribution."""
    from accord.backtest import backtest_command

    check_count("--boot", boot, "bootstrap", low=0)
    models = None
    if model:
        models = [m.strip() for name in model for m in name.split(",") if m.strip()]
        if "all" in models:
            models = None
    with progress_bar("backtest", "proposals × models") as bar:
        task = bar.add_task("units", total=None)
        report, df, pred = backtest_command(
            path, models=models, capability=capability, split=split, seed=seed, n_boot=boot, return_predictions=True,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    if plot is not None:
        from accord.backtest import interval_coverage
        from accord.report.reliability import plot_reliability

        title = f"Interval reliability, {report['n_issues']} issues ({report.get('split') or 'all'})"
        plot_reliability(interval_coverage(pred), title=title).figure.savefig(plot, bbox_inches="tight")
    if _emit_machine(format, lambda: report, lambda: df):
        return
    title = f"backtest on {report['n_issues']} issues ({report.get('split') or 'all'}), lower is better"
    table = Table(title=escape(title), title_justify="left")
    cols = [("model", "model"), ("capability", "capability"), ("n", "n"), ("MAE", "mae"), ("95% CI", None),
            ("RMSE", "rmse"), ("median AE", "median_ae"), ("within 10", "within10"),
            (f"Δ vs {report.get('reference', 'compromise')} [95% CI]", None), ("COD", "mae_COD"), ("CNS", "mae_CNS"),
            ("QMV", "mae_QMV"), ("Unan", "mae_Unan"), ("cov. 50%", "coverage50"), ("cov. 80%", "coverage80"),
            ("CRPS", "crps")]
    for label, _ in cols:
        table.add_column(label, justify="left" if label in ("model", "capability") else "right")
    for row in df.to_dict(orient="records"):
        cells = []
        for label, key in cols:
            if label == "95% CI":
                cells.append(f"{_fmt(row.get('mae_lo', float('nan')))}–{_fmt(row.get('mae_hi', float('nan')))}")
            elif label.startswith("Δ"):
                d = row.get("diff", float("nan"))
                cells.append(f"{d:+.2f} [{row.get('diff_lo', float('nan')):+.2f}, {row.get('diff_hi', float('nan')):+.2f}]" if d == d else "—")
            elif key in ("within10", "coverage50", "coverage80"):
                v = row.get(key, float("nan"))
                cells.append(f"{100 * v:.0f}%" if v == v else "—")
            elif key in ("model", "capability"):
                cells.append(escape(str(row[key])))
            elif key == "n":
                cells.append(str(int(row[key])) + (f" ({int(row['n_failed'])} failed)" if row.get("n_failed") else ""))
            else:
                cells.append(_fmt(row.get(key, float("nan"))))
        table.add_row(*cells)
    out.print(table)
    if "learned" in set(df["model"]) and (report.get("split") or "all") in ("all", "train"):
        out.print("[dim]learned was fitted on the DEU III train split: on train issues its figures are in-sample; "
                  "docs/backtest.md gives cross-validated ones.[/dim]")
    for row in df.to_dict(orient="records"):
        for reason in (row.get("failures") or [])[:3] if isinstance(row.get("failures"), list) else []:
            out.print(f"[dim]{escape(row['model'])}: {escape(str(reason))}[/dim]")

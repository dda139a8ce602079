"""``spsim run``, ``spsim validate`` and ``spsim params``."""

from __future__ import annotations

import argparse
import difflib
import platform
import shutil
import sys
from pathlib import Path

from ... import __version__
from ...errors import UsageError
from ...io import atomic_output, claim_output, write_csv, write_json, write_parquet
from ...model.breakdown import GROUP_COLUMNS
from ...model.config import diff_from_defaults, to_dict
from ...model.outcomes import COLUMNS
from ...model.params import Config, parameter_table
from ...model.scaling import describe, scale_place
from ...studies.limits import check_memory
from ...studies.posterior import describe_builtins, load_posterior, posterior_record
from ...studies.stats import t_interval
from .common import dump_toml, load, out_dir


def cmd_validate(args: argparse.Namespace) -> int:
    cfg = load(args)
    where = args.config or "built-in default town"
    if not args.diff:
        print(f"# {where}: valid")
        print(dump_toml(to_dict(cfg)), end="")
        return 0
    diff = diff_from_defaults(cfg)
    n = sum(len(v) if isinstance(v, dict) else 1 for v in diff.values())
    print(f"# {where}: valid; " + (f"{n} setting(s) differ from the built-in default town" if diff
                                   else "the same as the built-in default town"))
    print(dump_toml(diff), end="")
    return 0


def _sections() -> list[str]:
    return list(Config.model_fields)


def cmd_params(args: argparse.Namespace) -> int:
    rows = parameter_table()
    if args.section is not None:
        if args.section not in _sections():
            close = difflib.get_close_matches(args.section, _sections(), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else f"sections: {', '.join(_sections())}"
            raise UsageError(f"params: no section '{args.section}'; {hint}")
        rows = [r for r in rows if r["key"].split(".")[0].removesuffix("[]") == args.section]
    if args.markdown:
        print("| key | default | unit | range | source | meaning |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            cells = (f"`{r['key']}`", r["default"], r["unit"], r["range"], r["source"], r["description"])
            print("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")  # '|' would split a cell
    else:
        for r in rows:
            print(f"{r['key']} = {r['default']!r}  [{r['unit']}; {r['range']}]  {r['description']}"
                  f"  (source: {r['source']})")
    return 0


def cmd_posteriors(args: argparse.Namespace) -> int:
    """List the built-in posteriors with their provenance, or show one posterior in full."""
    if args.posterior is None:
        items = describe_builtins()
        if not items:
            print("no built-in posteriors yet; give --posterior FILE with a posterior CSV (docs/calibration.md)")
            return 0
        for it in items:
            prov = it["provenance"]
            what = "; ".join(f"{k}: {prov[k]}" for k in ("regime", "believes", "method", "date", "version",
                                                         "spsim_version") if k in prov)
            print(f"{it['name']}: {it['rows']} parameter sets over {len(it['parameters'])} parameters"
                  + (f" ({what})" if what else " (no provenance file)"))
            print(f"  {', '.join(it['parameters'])}")
        print("use one with --posterior NAME (run, compare, evaluate, sweep, targets); details: spsim posteriors NAME")
        return 0
    post = load_posterior(args.posterior)
    import numpy as np

    kind = "built-in posterior" if post.builtin else "posterior file"
    print(f"{post.name}: {kind} {post.path}, {post.rows} parameter sets, sha256 {post.sha256}")
    print(f"  {'parameter':48s} {'median':>10s} {'5%':>10s} {'95%':>10s}")
    for j, key in enumerate(post.keys):
        q5, q50, q95 = np.percentile(post.values[:, j], [5, 50, 95])
        print(f"  {key:48s} {q50:10.4g} {q5:10.4g} {q95:10.4g}")
    for k, v in post.provenance.items():
        short = not isinstance(v, (dict, list)) or (isinstance(v, list) and len(v) <= 8 and all(
            not isinstance(x, (dict, list)) for x in v))
        print(f"  {k}: {v}" if short else f"  {k}: (see {post.path.with_suffix('.json')})")
    if not post.provenance:
        print(f"  no provenance: {post.path.with_suffix('.json')} does not exist")
    return 0


def _summary_lines(summary) -> list[str]:
    """Each outcome's mean over replicates, with its Student-t 95% interval (spsim.studies.stats)."""
    show = [
        ("lonely_share_mean", "share lonely (mean)", "{:.1%}"),
        ("gp_consultations_per_person_year", "GP consultations per person-year", "{:.2f}"),
        ("gp_social_share", "consultations mainly social", "{:.1%}"),
        ("ae_attendances_per_1000_year", "A&E attendances per 1,000 per year", "{:.0f}"),
        ("referrals_total", "referrals", "{:,.0f}"),
        ("lw_intake_total", "clients taken on", "{:,.0f}"),
        ("clients_per_fte_year", "clients per link-worker FTE-year", "{:.0f}"),
        ("lw_wait_weeks_mean", "mean wait for a link worker (weeks)", "{:.1f}"),
        ("clients_supported_total", "clients supported to discharge", "{:,.0f}"),
        ("groups_active_final", "active groups at the end", "{:.0f}"),
        ("volunteers_final", "group volunteers at the end", "{:,.0f}"),
    ]
    out = []
    for key, label, fmt in show:
        col = summary[key].dropna()
        if col.empty:
            out.append(f"  {label:38s} -")
            continue
        m, lo, hi, _, n = t_interval(col.to_numpy(float), nonnegative=True)  # every row is a level
        if n > 1:
            out.append(f"  {label:38s} {fmt.format(m)}  (95% interval {fmt.format(lo)} to {fmt.format(hi)})")
        else:
            out.append(f"  {label:38s} {fmt.format(m)}")
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from ...studies.runner import run

    cfg = load(args)
    out = out_dir(args, cfg)
    check_memory(cfg.population.size, min(args.workers, cfg.simulation.replicates))
    claim_output(out, "run", replace=args.replace)
    scaled_line = describe(cfg, scale_place(cfg)[1])
    if scaled_line and not args.quiet:
        print(f"spsim run: {scaled_line}", file=sys.stderr)

    sim = cfg.simulation
    total_weeks = (sim.burn_in_weeks + sim.weeks) * sim.replicates
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=total_weeks, unit="wk", desc=f"{sim.name} x{sim.replicates}", file=sys.stderr,
                   disable=None, mininterval=0.5, leave=False)
    panel = getattr(args, "panel", None)
    parts = None
    if panel is not None:
        import tempfile

        parts = Path(tempfile.mkdtemp(prefix=".spsim-panel-"))
    try:
        result = run(cfg, workers=args.workers, progress=bar.update if bar is not None else None,
                     panel=(str(parts), panel) if parts is not None else None)
    except BaseException:
        if parts is not None:
            shutil.rmtree(parts, ignore_errors=True)
        raise
    finally:
        if bar is not None:
            bar.close()

    ts, summary, by_group = result.timeseries(), result.summary(), result.summary_by_group()
    import mesa
    import numpy as np

    info = {
        "spsim_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "config": to_dict(cfg),
        "config_source": args.config or "built-in default",
        "overlays": [str(o) for o in args.overlay],
        "overrides": list(args.overrides),
        "seed": sim.seed,
        "replicate_seeds": result.seeds(),
        "posterior": posterior_record(cfg),
        "columns": {k: {"unit": u, "meaning": m} for k, (u, m) in COLUMNS.items()},
        "summary_by_group_columns": {k: {"unit": u, "meaning": m} for k, (u, m) in GROUP_COLUMNS.items()},
        "population_described": cfg.population.described,
        "population_scaling": cfg.population.scaling,
        "scaled": result.scaled(),
        "timings": {
            "workers": result.workers,
            "wall_seconds": round(result.wall_seconds, 4),
            "build_seconds": [round(r.build_seconds, 4) for r in result.replicates],
            "run_seconds": [round(r.run_seconds, 4) for r in result.replicates],
            "resident_weeks_per_second": round(
                cfg.population.size * (sim.burn_in_weeks + sim.weeks) * sim.replicates
                / max(sum(r.run_seconds for r in result.replicates), 1e-9)),
        },
    }

    if panel is not None:
        from ...studies.panel import NETWORK_COLUMNS, PANEL_COLUMNS

        info["panel"] = {"period": panel,
                         "panel_columns": {k: m for k, (_, m) in PANEL_COLUMNS.items()},
                         "network_columns": {k: m for k, (_, m) in NETWORK_COLUMNS.items()}}

    def write(tmp: Path) -> None:
        write_parquet(ts, tmp / "timeseries.parquet")
        write_csv(ts, tmp / "timeseries.csv")
        write_csv(summary, tmp / "summary.csv")
        write_csv(by_group, tmp / "summary_by_group.csv")
        write_json(info, tmp / "run.json")
        if parts is not None:
            from ...studies.panel import NETWORK_SCHEMA, PANEL_SCHEMA, merge_parts

            reps = range(sim.replicates)
            merge_parts([parts / f"panel-{r}.parquet" for r in reps], tmp / "panel.parquet", PANEL_SCHEMA)
            merge_parts([parts / f"network-{r}.parquet" for r in reps], tmp / "network.parquet", NETWORK_SCHEMA)

    try:
        atomic_output(out, write, kind="run")
    finally:
        if parts is not None:
            shutil.rmtree(parts, ignore_errors=True)
    if not args.quiet:
        print(f"spsim {__version__}: {sim.name}, {cfg.population.size:,} residents, {sim.weeks} weeks "
              f"(+{sim.burn_in_weeks} burn-in), {sim.replicates} replicate(s), seed {sim.seed}, "
              f"{result.wall_seconds:.1f} s")
        if info["posterior"] is not None:
            rec = info["posterior"]
            print(f"  parameters drawn from the posterior {rec['name']} ({rec['distinct_sets_used']} of its "
                  f"{rec['rows']} sets): intervals carry parameter uncertainty as well as noise")
        print("\n".join(_summary_lines(summary)))
        extra = ", panel.parquet, network.parquet" if panel is not None else ""
        print(f"results in {out}/: timeseries.parquet, timeseries.csv, summary.csv, summary_by_group.csv, "
              f"run.json{extra}")
    return 0

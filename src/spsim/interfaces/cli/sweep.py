"""``spsim sweep`` and ``spsim sensitivity``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ... import __version__
from ...io import default_out
from ...model.overrides import simulation_overrides
from .common import HELP, add_posterior_option, positive_int

if TYPE_CHECKING:
    import pandas as pd

    from ...studies.experiment import Experiment

# The studies modules are imported by the commands that use them, not when the parser is built:
# every ``spsim`` command builds the whole parser, and these imports were about 50 ms of each
# (measured with ``python -X importtime``; ``spsim run`` never needs them).


def add_parsers(sub) -> None:
    s = sub.add_parser("sweep", help="run an experiment: many runs over a design, resumable, in parallel")
    s.add_argument("experiment", help="experiment file (.toml or .yaml), e.g. experiments/link-worker-capacity.toml")
    # The experiment file fixes the scenario, seed, weeks and replicates (it is the record of the
    # design), so of the shared run options the sweep takes --workers, --out and --quiet.
    how = s.add_mutually_exclusive_group()
    how.add_argument("--workers", type=positive_int("workers"), default=1, metavar="N", help=HELP["workers"])
    how.add_argument("--scheduler", metavar="ADDRESS",
                     help="run on a Dask cluster instead, e.g. tcp://10.0.0.5:8786 (see README)")
    s.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: results/<experiment name>)")
    s.add_argument("--resume", action="store_true",
                   help="continue a sweep in --out: skip finished runs, retry failed ones")
    s.add_argument("--dry-run", action="store_true", help="validate the experiment and print the plan; run nothing")
    s.add_argument("--quiet", action="store_true", help=HELP["quiet"])
    add_posterior_option(s)

    a = sub.add_parser("sensitivity", help="Sobol indices or Morris statistics of a finished sobol/morris sweep")
    a.add_argument("sweep_dir", type=Path, metavar="DIR", help="the sweep's results folder")
    a.add_argument("--outcome", dest="outcomes", action="append", default=None, metavar="NAME",
                   help="analyse this outcome (repeatable; default: the experiment's outcomes)")
    a.add_argument("--quiet", action="store_true", help="do not print the table")


def _fmt(v: float) -> str:
    if v != v:
        return "-"
    a = abs(v)
    return f"{v:,.0f}" if a >= 1000 else f"{v:.1f}" if a >= 10 else f"{v:.3g}"


def points_table(exp: Experiment, points: pd.DataFrame, limit: int = 40) -> str:
    if len(points) > limit:
        return f"({len(points)} points: see points.csv)"
    lines = []
    head = [*exp.keys, *exp.outcomes]
    rows = []
    for _, r in points.iterrows():
        cells = [str(exp.points[int(r["point"])][k]) for k in exp.keys]  # typed (iterrows makes floats)
        for o in exp.outcomes:
            m, lo, hi = r[o], r[f"{o}_ci_low"], r[f"{o}_ci_high"]
            cells.append(_fmt(m) + (f" ± {_fmt((hi - lo) / 2)}" if lo == lo else ""))
        rows.append(cells)
    widths = [max(len(h), *(len(c[i]) for c in rows)) for i, h in enumerate(head)]
    lines.append("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    lines.extend("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) for cells in rows)
    return "\n".join(lines)


def cmd_sweep(args: argparse.Namespace) -> int:
    import pandas as pd

    from ...studies.experiment import load_experiment
    from ...studies.sensitivity import format_table
    from ...studies.sweep import INDEX, by_point, count_done, design_frame, run_sweep

    exp = load_experiment(args.experiment, simulation_overrides(posterior=args.posterior))
    out = args.out or default_out(exp.name)
    if args.dry_run:
        print(exp.describe())
        print(f"output: {out}/ ({count_done(exp, out)} run(s) already there)")
        print(design_frame(exp, limit=40).drop(columns=["point_hash"]).to_string(index=False))
        if len(exp.points) > 40:
            print(f"... ({len(exp.points):,} points in all)")
        return 0
    if not args.quiet:
        print(exp.describe(), file=sys.stderr)
    try:
        res = run_sweep(exp, out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                        progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"spsim: interrupted; finished runs are kept in {out}/runs; continue with --resume", file=sys.stderr)
        return 130
    for rid, why in res.discarded:
        print(f"spsim: runs/{rid}.parquet was {why}: set aside and run again", file=sys.stderr)
    if not args.quiet:
        print(f"spsim {__version__} sweep {exp.name}: {res.runs} runs ({res.distinct} distinct): "
              f"{res.ran} run now on {res.executor}, {res.already_done} already done, {len(res.failed)} failed; "
              f"{res.wall_seconds:.1f} s")
        for rid, err in res.failed[:5]:
            print(f"  failed {rid}: {err}")
        pts = by_point(exp, res.summary)
        print(points_table(exp, pts))
        extra = ", sensitivity.csv, sensitivity.png" if (out / "sensitivity.csv").exists() else ""
        if (out / "sensitivity.csv").exists() and not args.quiet:
            print(format_table(pd.read_csv(out / "sensitivity.csv")))
        print(f"results in {out}/: summary.parquet, summary.csv, points.csv, runs/*.parquet, index.jsonl{extra}")
    if res.failed:
        print(f"spsim: {len(res.failed)} run(s) failed (errors in {out}/{INDEX}); rerun with --resume to retry them",
              file=sys.stderr)
        return 1
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from ...studies.sensitivity import analyse_dir, format_table

    table = analyse_dir(args.sweep_dir, args.outcomes)
    if not args.quiet:
        print(format_table(table))
        print(f"results in {args.sweep_dir}/: sensitivity.csv, sensitivity.png")
    return 0

"""Draw the lever response curves into docs/levers.md (and docs/levers/*.png).

    PYTHONPATH=$PWD/src .venv/bin/python docs/lever_curves.py [--replicates 5] [--size 50000] [--weeks 104]
        [--workers 2]

For each lever (link-worker FTE 0-8, volunteering spillover 0-0.6, groups at the start 0-200) the
default town is run at each value with common random numbers (the same seeds), and the mean and 95%
interval over replicates (Student t, ``spsim.studies.stats``, as everywhere in spsim) of four
outcomes are plotted: mean wait, clients supported per year, lonely share and GP consultations per
person-year. The tables add, for the lonely share and GP demand, the change from the lever's
lowest value with its interval from paired replicates. Values are always the default town's
(50,000 residents); with ``--size`` below that the model scales FTE and groups with the residents
itself (``population.described``, docs/places.md), and clients per year are given per 50,000.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from spsim.studies.stats import t_half_width, t_interval  # noqa: E402

LEVERS = {
    "link_workers.fte": ("Link-worker FTE", [0.0, 1.0, 2.0, 4.0, 6.0, 8.0]),
    "volunteering.spillover": ("Volunteering spillover", [0.0, 0.15, 0.3, 0.45, 0.6]),
    "groups.count": ("Groups at the start", [0, 50, 100, 150, 200]),
}
OUTCOMES = {
    "lw_wait_weeks_mean": "mean wait (weeks)",
    "clients_supported_per_year": "clients supported per year",
    "lonely_share_mean": "lonely share",
    "gp_consultations_per_person_year": "GP consultations per person-year",
}


def curves(replicates: int, size: int, weeks: int, workers: int):
    import pandas as pd

    from spsim.model.config import load_config
    from spsim.studies.runner import run

    s = size / 50_000
    rows = []
    for key, (_, values) in LEVERS.items():
        for v in values:
            # the default town's values: the model scales FTE and groups to --size itself (scaling.py);
            # scaling them here as well made a 20,000-resident run use 0.4 x 0.4 of the default town
            sets = [f"population.size={size}", f"simulation.weeks={weeks}", f"simulation.replicates={replicates}",
                    f"{key}={int(v) if key == 'groups.count' else v}"]
            summ = run(load_config(None, sets), workers=workers).summary().sort_values("replicate")
            summ["clients_supported_per_year"] = summ["clients_supported_total"] / (weeks / 52) / s
            for _, rep in summ.iterrows():
                rows.append({"lever": key, "value": v, "replicate": int(rep["replicate"]),
                             **{k: rep[k] for k in OUTCOMES}})
            print(f"{key}={v} done", file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def draw(df, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    names = []
    for key, (label, _) in LEVERS.items():
        sub = df[df.lever == key]
        fig, axes = plt.subplots(1, len(OUTCOMES), figsize=(14, 3.2))
        for ax, (col, ylabel) in zip(axes, OUTCOMES.items(), strict=True):
            g = sub.groupby("value")[col]
            m, sd, n = g.mean(), g.std(ddof=1), g.count()
            half = np.nan_to_num(t_half_width(sd.to_numpy(), n.to_numpy()))
            ax.plot(m.index, m.values, marker="o")
            ax.fill_between(m.index, m - half, m + half, alpha=0.25)
            ax.set_xlabel(label)
            ax.set_title(ylabel, fontsize=9)
        fig.tight_layout()
        name = f"levers/{key.replace('.', '_')}.png"
        fig.savefig(out.parent / name, dpi=90)
        plt.close(fig)
        names.append(name)
    return names


PAIRED = ("lonely_share_mean", "gp_consultations_per_person_year")


def cell(x) -> str:
    mean, low, high, _, n = t_interval(x)
    if n == 0:
        return "-"
    return f"{mean:.4g}" if n < 2 else f"{mean:.4g} ± {(high - low) / 2:.2g}"


def table(df) -> str:
    lines = []
    for key, (label, _) in LEVERS.items():
        sub = df[df.lever == key].sort_values(["value", "replicate"])
        first = sub[sub.value == sub.value.min()]
        lines.append(f"\n### {label} (`{key}`)\n")
        lines.append("| value | " + " | ".join(OUTCOMES.values()) + " | "
                     + " | ".join(f"change in {OUTCOMES[k]} from {sub.value.min():g} (paired)" for k in PAIRED) + " |")
        lines.append("|---" * (len(OUTCOMES) + len(PAIRED) + 1) + "|")
        for v, grp in sub.groupby("value"):
            cells = [cell(grp[col].astype(float)) for col in OUTCOMES]
            for col in PAIRED:
                d = grp[col].to_numpy(float) - first[col].to_numpy(float)
                cells.append("0" if v == sub.value.min() else cell(d))
            lines.append(f"| {v:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=5)
    ap.add_argument("--size", type=int, default=50_000)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "levers.md")
    a = ap.parse_args(argv)
    df = curves(a.replicates, a.size, a.weeks, a.workers)
    images = draw(df, a.out.parent / "levers")
    text = [
        "# Lever response curves",
        "",
        "Generated by `python docs/lever_curves.py "
        f"--replicates {a.replicates} --size {a.size} --weeks {a.weeks}` (do not edit by hand). The default town "
        "(2 FTE, spillover 0.15, 100 groups) with one lever moved at a time, common random numbers; points are "
        "means over replicates, bands and ± are 95% intervals (Student t over replicates, as everywhere in spsim). "
        "The paired changes are replicate-by-replicate differences from the lever's lowest value, which the "
        "common random numbers make far more precise than the levels. "
        + ("" if a.size == 50_000 else f"Run at {a.size:,} residents: the model scaled FTE and groups by "
           f"{a.size / 50_000:g} (population.described); values and clients per year are the default town's. "),
        "",
        *[f"![{p}]({p})" for p in images],
        table(df),
        "",
    ]
    a.out.write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

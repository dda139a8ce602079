"""Which conclusions survive every evidence regime: the same comparison under posteriors fitted to
different evidence (``controlled``, ``uncontrolled``, ``both``; docs/calibration.md), set side by side.

Each regime's comparison gives, per scenario, the share of paired replicates in which it reduces GP
demand, reduces loneliness, returns more than £1 per £1 (:func:`spsim.studies.uncertainty.share_better`,
over parameter uncertainty and noise). A share is put into words on the IPCC's calibrated likelihood
scale (Mastrandrea et al. 2010, *Guidance note for lead authors of the IPCC Fifth Assessment Report on
consistent treatment of uncertainties*): **likely** at 66% or more, **unlikely** at 33% or less, otherwise
**about as likely as not**. A conclusion *survives every regime* when its verdict is the same, and
not "about as likely as not", under every regime: whichever kind of evidence a planner believes, the
model then says the same thing.
"""

from __future__ import annotations

import math

import pandas as pd

from .uncertainty import ANSWERS

LIKELY, UNLIKELY = 0.66, 0.33  # IPCC calibrated language (Mastrandrea et al. 2010)
TOSS_UP = "about as likely as not"


def verdict(share: float) -> str:
    """The share of replicates in words: likely, unlikely, about as likely as not ('' if unknown)."""
    if not math.isfinite(share):
        return ""
    if share >= LIKELY:
        return "likely"
    if share <= UNLIKELY:
        return "unlikely"
    return TOSS_UP


def parse_regimes(spec: str) -> list[str]:
    """``--posterior A,B,...`` -> [A, B, ...]; ValueError (a sentence) on an empty or repeated item."""
    names = [s.strip() for s in spec.split(",")]
    if any(not n for n in names):
        raise ValueError(f"--posterior {spec!r}: an empty name in the list (give NAME,NAME,... without spaces or "
                         "trailing commas)")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"--posterior {spec!r}: {', '.join(dup)} given more than once")
    return names


def regimes_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """regimes.csv: one row per non-baseline scenario and planner's answer; per regime the share of
    replicates on the better side, its verdict and the mean paired difference; then whether the
    verdict survives every regime and the conclusion in words. ``tables``: regime -> comparison.csv."""
    first = next(iter(tables.values()))
    scenarios = list(dict.fromkeys(first.loc[~first.is_baseline, "scenario"]))
    rows = []
    for scenario in scenarios:
        for key, question, _, _ in ANSWERS:
            row: dict = {"scenario": scenario, "outcome": key, "question": question}
            verdicts = []
            for regime, t in tables.items():
                sel = t[(t.scenario == scenario) & (t.outcome == key)]
                share = float(sel.share_better.iloc[0]) if len(sel) else math.nan
                diff = float(sel.diff_mean.iloc[0]) if len(sel) else math.nan
                if len(sel) and not math.isfinite(diff):  # answers measured against the baseline already
                    diff = float(sel["mean"].iloc[0])
                row[f"share_{regime}"] = share
                row[f"verdict_{regime}"] = verdict(share)
                row[f"mean_{regime}"] = diff
                verdicts.append(verdict(share))
            if all(not v for v in verdicts):
                continue  # this answer is not in the comparison (e.g. no costs)
            same = len(set(verdicts)) == 1 and verdicts[0] in ("likely", "unlikely")
            row["survives_every_regime"] = same
            if same:
                row["conclusion"] = f"{verdicts[0]} in every regime that it {question}"
            elif all(v == TOSS_UP for v in verdicts):
                row["conclusion"] = "about as likely as not in every regime: no regime settles it"
            else:
                row["conclusion"] = "depends on which evidence is believed: " + "; ".join(
                    f"{r} {v or 'unknown'}" for r, v in zip(tables, verdicts, strict=True))
            rows.append(row)
    return pd.DataFrame(rows)

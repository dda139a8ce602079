"""The instruments real evaluations use, observed with realistic measurement noise.

Each resident has true scores that the model moves week by week:

* UCLA-3 loneliness (3-9, continuous; :func:`spsim.model.mechanisms.loneliness.true_ucla`), derived
  consistently with the ONS direct question (lonely often/always <-> 6.5 and above);
* ONS4 life satisfaction (0-10): the model's ``wellbeing`` plus a lasting personal part
  (``wellbeing.life_satisfaction_person_sd``), clipped to 0-10;
* SWEMWBS (short Warwick-Edinburgh Mental Wellbeing Scale, raw score 7-35): ``swemwbs_mean`` +
  ``swemwbs_per_point`` x (life satisfaction - mean) + a lasting personal part.

:func:`observe` returns what a questionnaire would record: the true score plus normal error whose
variance makes the short-term test-retest correlation equal the published reliability
(``wellbeing.*_retest``: error variance = true variance x (1 - r) / r), rounded and clipped to the
instrument's range. Observation draws from its own stream (``instruments``), so observing never
changes the model's own luck.
"""

from __future__ import annotations

import numpy as np

INSTRUMENTS = ("ucla3", "life_satisfaction", "swemwbs")
RANGES = {"ucla3": (3, 9), "life_satisfaction": (0, 10), "swemwbs": (7, 35)}


def true_scores(model) -> dict[str, np.ndarray]:
    r, wb = model.residents, model.cfg.wellbeing
    ls = np.clip(r.wellbeing.astype(np.float64) + r.ls_offset, 0.0, 10.0)
    sw = wb.swemwbs_mean + wb.swemwbs_per_point * (ls - wb.baseline) + r.swemwbs_offset
    return {"ucla3": r.ucla.astype(np.float64), "life_satisfaction": ls, "swemwbs": sw}


def error_sd(true: np.ndarray, retest: float) -> float:
    """SD of measurement error giving test-retest correlation ``retest`` for these true scores."""
    return float(np.sqrt(np.var(true) * (1.0 - retest) / retest))


def observe(model, u: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Observed scores (int8) for every resident; ``u`` (3, n) uniforms, drawn from the
    ``instruments`` stream if not given."""
    from scipy.special import ndtri

    wb = model.cfg.wellbeing
    n = model.residents.n
    if u is None:
        u = model.streams["instruments"].random((len(INSTRUMENTS), n))
    retest = {"ucla3": wb.ucla3_retest, "life_satisfaction": wb.life_satisfaction_retest,
              "swemwbs": wb.swemwbs_retest}
    out = {}
    for j, (name, true) in enumerate(true_scores(model).items()):
        z = ndtri(np.clip(u[j], 1e-12, 1 - 1e-12))
        lo, hi = RANGES[name]
        out[name] = np.clip(np.rint(true + error_sd(true, retest[name]) * z), lo, hi).astype(np.int8)
    return out

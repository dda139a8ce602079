"""Common random numbers at build time: group levers must not change who the residents are.

Initial loneliness used to be drawn from the population stream after the groups were seeded,
so changing e.g. ``groups.count`` redrew which residents start lonely. Loneliness now starts at
the steady state of its rules, in which group members recover faster, so a group lever may move
who starts lonely; the luck that decides it (one uniform per resident from ``initial_loneliness``)
must stay the same.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spsim.model import SocialPrescribingModel
from spsim.model.config import load_config

# Columns that describe the resident, not their place in a group.
RESIDENT_COLUMNS = ("age_band", "household", "neighbourhood", "deprivation", "practice", "ltc", "gp_base",
                    "ae_base", "queue_key", "confidence", "needs", "in_episode")


class Built:
    def __init__(self, model):
        self.residents = model.residents
        self.lonely_luck = next(m for m in model.mechanisms if type(m).__name__ == "Loneliness").init_u

    def __getattr__(self, col):
        return getattr(self.residents, col)


def build(*overrides):
    cfg = load_config(None, ["population.size=2000", *overrides])
    return Built(SocialPrescribingModel(cfg, agents=False))


BASE = build()


@settings(max_examples=8, deadline=None)
@given(
    count=st.integers(0, 200),
    initial_volunteers=st.floats(0, 8),
    max_places=st.integers(1, 60),
)
def test_group_levers_keep_the_same_residents(count, initial_volunteers, max_places):
    other = build(f"groups.count={count}", f"groups.initial_volunteers={initial_volunteers}",
                  f"groups.max_places={max_places}")
    for col in RESIDENT_COLUMNS:
        assert np.array_equal(getattr(BASE, col), getattr(other, col)), col
    assert np.array_equal(BASE.lonely_luck, other.lonely_luck)

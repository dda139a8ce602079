"""Regression: leaving a group and joining one are separate decisions with separate luck.

Groups once used the same uniform row for "a member leaves" and "a non-member joins", so every
member whose draw fell below the join probability left and rejoined in the same week. With
independent draws a same-week rejoin needs both events: about p_leave * p_join per member-week.
"""

from spsim.model import SocialPrescribingModel
from spsim.model.config import load_config
from spsim.model.mechanisms.groups import Groups
from spsim.model.population import weekly_prob


def test_leavers_do_not_rejoin_more_often_than_chance():
    # High leave and join rates make the dependence easy to see in a small town.
    leave, join_per_year = 0.05, 5.0
    cfg = load_config(None, [
        "population.size=3000", "population.scaling=absolute", "simulation.burn_in_weeks=0", "simulation.weeks=40",
        f"groups.leave_per_week={leave}", f"groups.self_join_per_year={join_per_year}",
        "groups.count=30", "groups.early_leave_low_confidence=0",
    ])
    model = SocialPrescribingModel(cfg, agents=False)
    groups = next(m for m in model.mechanisms if isinstance(m, Groups))
    inner = groups.step
    seen = {"member_weeks": 0, "rejoined": 0}

    def step(m, u):
        r = m.residents
        member, since = r.group >= 0, r.group_since.copy()
        inner(m, u)
        rejoined = member & (r.group >= 0) & (r.group_since == m.week) & (since != m.week)
        seen["member_weeks"] += int(member.sum())
        seen["rejoined"] += int(rejoined.sum())

    groups.step = step
    model.run()
    p_join = float(weekly_prob(join_per_year))
    assert seen["member_weeks"] > 2000  # enough exposure for the comparison below to mean something
    rate = seen["rejoined"] / seen["member_weeks"]
    # independent draws: at most leave * p_join (~0.0046); one shared draw: ~min(leave, p_join) = 0.05
    assert rate < 3 * leave * p_join, (rate, seen)

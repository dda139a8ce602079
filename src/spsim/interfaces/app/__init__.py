"""The app (``spsim app``): the classroom (a small town, levers in hand) and the planner (a comparison
and its report)."""

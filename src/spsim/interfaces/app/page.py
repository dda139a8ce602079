"""The classroom app's page for Solara (``spsim app`` runs ``solara run spsim.app_page``).

Built on Mesa's :func:`mesa.visualization.SolaraViz`: its sidebar holds Reset / Play / Step and
the model parameters (``model_params``: a preset chooser and sliders; moving a slider takes
effect on *Reset*, which builds a new town from the parameters, as in every Mesa app). The main
area holds two kept-and-updated matplotlib figures, the network view and the four live plots, and
(second tab) more series drawn with Mesa's :func:`mesa.visualization.make_plot_component`.

Every browser tab gets its own town (the model is made inside the page component).
"""

from __future__ import annotations

import solara
from mesa.visualization import Slider, SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from .classroom import DEFAULTS, ClassroomModel, discover_presets


def model_params() -> dict:
    """SolaraViz parameters: the preset chooser, the four lever sliders and the seed."""
    presets = list(discover_presets())
    preset = DEFAULTS["preset"] if DEFAULTS["preset"] in presets else presets[0]
    return {
        "preset": {"type": "Select", "value": preset, "values": presets, "label": "Local model (preset)"},
        "population": Slider("Residents", DEFAULTS["population"], 200, 3000, 100),
        "fte": Slider("Link-worker capacity (FTE)", DEFAULTS["fte"], 0.0, 2.0, 0.05),
        "spillover": Slider("Volunteering spillover (share of helped)", DEFAULTS["spillover"], 0.0, 1.0, 0.05),
        "groups": Slider("Community groups at the start", DEFAULTS["groups"], 0, 30, 1),
        "seed": {"type": "InputText", "value": DEFAULTS["seed"], "label": "Random seed"},
    }


def _value(param):
    return param.value if isinstance(param, Slider) else param["value"]


def _figure(model: ClassroomModel, kind: str):
    fig = model.picture(kind)
    return solara.FigureMatplotlib(fig, format="png", dependencies=[id(model), model.week, kind])


@solara.component
def TownComponent(model: ClassroomModel):
    """The network view with a one-line summary of the week above it."""
    update_counter.get()  # redraw after every step / reset
    with solara.Column(gap="2px") as main:
        solara.Text(model.settings_line(), classes=["spsim-settings"], style={"font-size": "0.85rem"})
        solara.Text(model.summary_line(), classes=["spsim-summary"], style={"font-weight": "bold"})
        solara.Text("Move a slider or pick a preset, then press RESET to build a new town with it.",
                    style={"font-size": "0.8rem", "color": "#666"})
        _figure(model, "town")
    return main


@solara.component
def TrendsComponent(model: ClassroomModel):
    """Share lonely, GP demand, the link-work queue, volunteers and group places, week by week."""
    update_counter.get()
    return _figure(model, "trends")


def _more_plots():
    return [
        make_plot_component({"Referrals": "#6a3d9a", "A&E attendances": "#e31a1c"}, page=1),
        make_plot_component({"Groups open": "#1b9e77"}, page=1),
        make_plot_component({"Mean wellbeing (0-10)": "#08519c"}, page=1),
    ]


@solara.component
def Page():
    params = solara.use_memo(model_params, [])
    model = solara.use_memo(lambda: ClassroomModel(**{k: _value(v) for k, v in params.items()}), [])
    SolaraViz(
        model,
        components=[(TownComponent, 0), (TrendsComponent, 0), *_more_plots()],
        model_params=params,
        name="spsim classroom: loneliness, link workers and community groups",
        play_interval=150,
    )

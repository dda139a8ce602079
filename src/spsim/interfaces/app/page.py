"""The app's page for Solara (``spsim app`` runs ``solara run spsim.interfaces.app.page``).

Two tabs: **Classroom** (a small town, levers in hand) and **Planner** (a scenario comparison and its
report, :mod:`.planner_page`). The classroom drives :class:`~.model.ClassroomModel` (a Mesa model with
a DataCollector) with its own controls rather than Mesa's SolaraViz, so that a preset can move the
sliders, the sliders show their values, and nothing internal (render interval, threads, "Time: 22.0")
is on show. As in every Mesa app, a new setting takes effect on **Reset**, which builds a new town
and keeps the previous run to draw it faintly. Every browser tab gets its own town.
"""

from __future__ import annotations

import functools
import threading
import time

import solara

from .loop import loop_svg
from .model import DEFAULTS, ClassroomModel
from .planner_page import PlannerPage
from .presets import NO_SERVICE, SLIDERS, discover_presets, preset_levers

PLAY_INTERVAL = 0.15  # seconds between weeks while playing (on top of the step and redraw)


@functools.lru_cache(maxsize=1)
def presets() -> tuple[str, ...]:
    """Preset names, found once per server (not on every connection)."""
    return tuple(discover_presets())


@functools.lru_cache(maxsize=64)
def levers(preset: str, population: int) -> dict:
    return preset_levers(preset, population)


def _figure(model: ClassroomModel, kind: str, tick: int):
    png = solara.use_memo(lambda: model.png(kind), dependencies=[id(model), model.week, kind, tick])
    return solara.Image(png, format="png")


def _describe(name: str, value, model_places: int | None = None) -> str:
    if name == "population":
        return f"{int(value):,} residents"
    if name == "fte":
        return f"{value:.2f} FTE" + (f" = {model_places} caseload places" if model_places is not None else "")
    if name == "spillover":
        return f"{value:.0%} of helped residents volunteer"
    return f"{int(value)} groups"


@solara.component
def Controls(state: dict, on_reset, on_step, playing):
    """The sidebar: preset, sliders (each showing its value), seed, and Reset / Play / Step."""
    preset, seed = state["preset"], state["seed"]

    def choose(name: str):
        preset.set(name)
        for k, v in levers(name, int(state["population"].value)).items():
            if k in state:
                state[k].set(v)

    def resize(n):
        state["population"].set(int(n))
        scaled = levers(preset.value, int(n))  # FTE and groups follow the residents, per resident
        state["fte"].set(scaled["fte"])
        state["groups"].set(scaled["groups"])

    with solara.Card("Levers", margin=0, classes=["spsim-controls"]):
        solara.Select("Local model (preset)", values=list(presets()), value=preset.value, on_value=choose)
        solara.Text("Choosing a preset sets the sliders to its values per resident.",
                    style={"font-size": "0.8rem", "color": "#555"})
        for name, (label, lo, hi, step) in SLIDERS.items():
            value = state[name].value
            on_value = resize if name == "population" else state[name].set
            disabled = name == "fte" and preset.value == NO_SERVICE
            if isinstance(step, int):
                solara.SliderInt(label, value=int(value), min=lo, max=hi, step=step, on_value=on_value,
                                 thumb_label="always", disabled=disabled)
            else:
                solara.SliderFloat(label, value=float(value), min=lo, max=hi, step=step, on_value=on_value,
                                   thumb_label="always", disabled=disabled)
            per_fte = levers(preset.value, int(state["population"].value))["caseload_per_fte"]
            places = int(round(float(value) * per_fte)) if name == "fte" else None
            solara.Text(_describe(name, value, places), classes=[f"spsim-value-{name}"],
                        style={"font-size": "0.85rem", "margin": "-14px 0 8px 0", "color": "#333"})
        solara.InputText("Random seed", value=seed.value, on_value=seed.set, continuous_update=True)
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=on_reset)
            solara.Button("Pause" if playing.value else "Play", color="primary",
                          on_click=lambda: playing.set(not playing.value))
            solara.Button("Step", color="primary", on_click=on_step, disabled=playing.value)
        solara.Text("Sliders and presets take effect on RESET, which builds a new town; the run before "
                    "stays as a dotted line in the plots.", style={"font-size": "0.8rem", "color": "#555"})


@solara.component
def Classroom():
    state = {
        "preset": solara.use_reactive(DEFAULTS["preset"]),
        "population": solara.use_reactive(DEFAULTS["population"]),
        "fte": solara.use_reactive(DEFAULTS["fte"]),
        "spillover": solara.use_reactive(DEFAULTS["spillover"]),
        "groups": solara.use_reactive(DEFAULTS["groups"]),
        "seed": solara.use_reactive(DEFAULTS["seed"]),
    }
    model = solara.use_reactive(solara.use_memo(lambda: ClassroomModel(**DEFAULTS), []))
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    error = solara.use_reactive("")
    lock = solara.use_memo(threading.Lock, [])
    tab = solara.use_reactive(0)

    def step():
        with lock:
            model.value.step()
        tick.set(tick.value + 1)

    def reset():
        playing.set(False)
        try:
            with lock:
                new = ClassroomModel(**{k: v.value for k, v in state.items()})
                new.keep_previous(model.value)
        except Exception as e:  # a bad seed: one line, the old town stays
            error.set(str(e))
            return
        error.set("")
        model.set(new)
        tick.set(tick.value + 1)

    def play_loop():
        while playing.value and model.value.running:
            time.sleep(PLAY_INTERVAL)
            if playing.value:
                step()
        playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    m = model.value
    with solara.Columns([1, 3.2]):
        with solara.Column():
            Controls(state, reset, step, playing)
            if error.value:
                solara.Error(error.value)
        with solara.Column(gap="2px"):
            solara.Text(m.settings_line(), classes=["spsim-settings"], style={"font-size": "0.85rem"})
            solara.Text(m.summary_line(), classes=["spsim-summary"], style={"font-weight": "bold"})
            if m.previous is not None:
                solara.Text(f"Dotted lines in the plots: the previous run ({m.previous_label}, "
                            f"{int(m.previous.index.max())} weeks)", classes=["spsim-previous"],
                            style={"font-size": "0.8rem", "color": "#555"})
            with solara.lab.Tabs(value=tab.value, on_value=tab.set, lazy=True):  # draw only the tab on show
                with solara.lab.Tab("Town and referral loop"):
                    with solara.Row(classes=["spsim-town"]):
                        _figure(m, "town", tick.value)
                        solara.HTML(tag="div", unsafe_innerHTML=loop_svg(m), classes=["spsim-loop"])
                with solara.lab.Tab("Week by week"):
                    with solara.Row(classes=["spsim-trends"]):
                        _figure(m, "trends", tick.value)
                with solara.lab.Tab("More measures"):
                    with solara.Row(classes=["spsim-more"]):
                        _figure(m, "more", tick.value)


@solara.component
def Page():
    solara.Title("spsim: the classroom and the planner")
    solara.Style(".spsim-controls .v-input__slot { flex-wrap: wrap; margin-top: 4px; }"
                 ".spsim-controls .v-input__slot > .v-label { width: 100%; margin-bottom: 34px; }"
                 ".spsim-controls .v-slider__thumb-label { font-size: 0.7rem; }")
    with solara.Column(style={"padding": "8px 16px"}):
        # plain HTML, not solara.Markdown: every Markdown loads KaTeX and Mermaid from Solara's CDN,
        # and KaTeX is not among the assets installed with it, so offline its stylesheet 404s
        solara.HTML(tag="h2", unsafe_innerHTML="spsim: loneliness, link workers and community groups")
        with solara.lab.Tabs(lazy=True):
            with solara.lab.Tab("Classroom"):
                Classroom()
            with solara.lab.Tab("Planner"):
                PlannerPage()

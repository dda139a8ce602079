"""The planner tab: choose scenarios (presets or uploaded files), replicates and years, run a
comparison with a progress bar, read the report's first screen and its plots, download report.html.

The report is the one ``spsim compare`` writes (:func:`spsim.interfaces.report.build_report`), shown
as it is in a frame, so an improved report appears here without changes to this page.
"""

from __future__ import annotations

import base64
import html

import solara

from ...errors import ConfigError, UsageError
from .planner import REPLICATES, YEARS, planner_presets, run_planner

RESIDENTS = {"as in the baseline file": None, "10,000 (quick look)": 10_000, "2,000 (very quick)": 2_000}


@solara.component
def PlannerPage():
    names = solara.use_memo(lambda: list(planner_presets()), [])
    first = [n for n in ("baseline", "default") if n in names] or names[:2]
    chosen = solara.use_reactive(first)
    uploads = solara.use_reactive([])  # [(name, bytes)]
    replicates = solara.use_reactive(5)
    years = solara.use_reactive(2)
    residents = solara.use_reactive(next(iter(RESIDENTS)))
    progress = solara.use_reactive(0.0)
    status = solara.use_reactive("")
    error = solara.use_reactive("")
    result = solara.use_reactive(None)
    run_id = solara.use_reactive(0)

    def work():
        if run_id.value == 0:
            return
        error.set("")
        progress.set(0.0)
        status.set("starting")

        def tick(done, total):
            progress.set(100.0 * done / total)
            status.set(f"{done} of {total} runs done")

        try:
            res = run_planner(chosen.value, uploads.value, replicates.value, years.value,
                              RESIDENTS[residents.value], tick)
        except (ConfigError, UsageError) as e:
            error.set(str(e))
            status.set("")
            return
        result.set(res)
        progress.set(100.0)
        status.set("done")

    task = solara.lab.use_task(work, dependencies=[run_id.value], prefer_threaded=True)
    running = task.pending

    def add_file(info):
        data = info["data"] if isinstance(info, dict) else None
        if data:
            uploads.set([*uploads.value, (info["name"], bytes(data))])

    with solara.Columns([1, 3]):
        with solara.Card("Scenarios", margin=0, classes=["spsim-controls", "spsim-planner-controls"]):
            solara.SelectMultiple("Scenarios (the first is the baseline)", all_values=names, values=chosen.value,
                                  on_value=chosen.set)
            solara.FileDrop(label="Or drop a scenario file (.toml, .yaml) here", on_file=add_file, lazy=False)
            for name, _ in uploads.value:
                solara.Text(f"uploaded: {name}", classes=["spsim-upload"])
            if uploads.value:
                solara.Button("Forget uploaded files", text=True, on_click=lambda: uploads.set([]))
            solara.SliderInt("Replicates", value=replicates.value, min=REPLICATES[0], max=REPLICATES[1],
                             on_value=replicates.set, thumb_label="always")
            solara.SliderInt("Years", value=years.value, min=YEARS[0], max=YEARS[1], on_value=years.set,
                             thumb_label="always")
            solara.Select("Residents", values=list(RESIDENTS), value=residents.value, on_value=residents.set)
            if RESIDENTS[residents.value]:
                solara.Text("A smaller copy of each place, for a quick look: link-worker FTE, groups and "
                            "practices scale with it (docs/places.md).",
                            style={"font-size": "0.75rem", "color": "#555", "display": "block"})
            with solara.Row():
                solara.Button("Run comparison", color="primary", disabled=running,
                              on_click=lambda: run_id.set(run_id.value + 1))
            if running or status.value:
                solara.ProgressLinear(progress.value, classes=["spsim-planner-progress"])
                solara.Text(status.value, classes=["spsim-progress"], style={"display": "block"})
            if error.value:
                solara.Error(error.value, classes=["spsim-planner-error"])
            solara.Text("Every scenario runs on the same residents and the same luck, so differences come from "
                        "the policy. Use 10 or more replicates for decisions.",
                        style={"font-size": "0.8rem", "color": "#555"})
        with solara.Column():
            res = result.value
            if res is None:
                solara.HTML(tag="p", unsafe_innerHTML=(  # not Markdown: see page.py
                    "Choose scenarios and press <b>Run comparison</b>: the report appears here."))
            else:
                with solara.Row():
                    solara.FileDownload(res.html.encode("utf-8"), filename="report.html", label="Download report.html",
                                        mime_type="text/html")
                for note in res.notes:
                    solara.Text(note, style={"font-size": "0.8rem"})
                srcdoc = html.escape(res.html, quote=True)
                solara.HTML(tag="div", unsafe_innerHTML=(
                    f'<iframe class="spsim-report" title="report" srcdoc="{srcdoc}" '
                    'style="width:100%;height:640px;border:1px solid #ccc"></iframe>'))
                solara.HTML(tag="h3", unsafe_innerHTML="The report's plots")
                for name, png in res.plots.items():
                    data = base64.b64encode(png).decode("ascii")
                    solara.HTML(tag="div", unsafe_innerHTML=(
                        f'<img class="spsim-plot" alt="{html.escape(name)}" src="data:image/png;base64,{data}" '
                        'style="max-width:100%">'))

"""spsim compare: paired statistics, common random numbers, costs, the CLI and the report's content.

The browser test (the report as a person sees it) is in test_report_browser.py.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CONFIGS, SHIPPED_SCHEMES
from spsim.interfaces.cli import main
from spsim.interfaces.report import STYLES, fmt_ci, fmt_gbp, png_size
from spsim.model.config import load_config
from spsim.studies.compare import (
    ALIGNED_KEYS,
    OUTCOMES,
    add_vs_baseline,
    comparison_table,
    load_scenarios,
    run_comparison,
    t_interval,
    t_quantile,
)

# the numbers these tests set are the small town's own, not scaled from the place (docs/places.md)
SMALL = ["population.size=2000", "population.scaling=\"absolute\"", "simulation.weeks=26",
         "simulation.burn_in_weeks=26", "groups.count=8", "simulation.seed=5"]


def write_config(path: Path, name: str, fte: float, extra: str = "") -> str:
    path.write_text(f'[simulation]\nname = "{name}"\n\n[link_workers]\nfte = {fte}\n{extra}', encoding="utf-8")
    return str(path)


# ----------------------------------------------------------------------------- statistics
# t(0.975, df) from printed tables
T_TABLE = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 9: 2.262, 19: 2.093, 29: 2.045}


def test_t_quantile_matches_printed_table():
    for df, t in T_TABLE.items():
        assert t_quantile(df) == pytest.approx(t, abs=5e-4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30))
def test_t_interval_is_mean_plus_minus_t_standard_error(xs):
    mean, lo, hi, sd, n = t_interval(xs)
    a = np.asarray(xs)
    assert n == len(xs)
    assert mean == pytest.approx(a.mean(), rel=1e-9, abs=1e-6)
    half = t_quantile(n - 1) * a.std(ddof=1) / math.sqrt(n)
    assert lo == pytest.approx(a.mean() - half, rel=1e-9, abs=1e-6)
    assert hi == pytest.approx(a.mean() + half, rel=1e-9, abs=1e-6)
    assert lo <= mean <= hi


def test_t_interval_edge_cases():
    mean, lo, hi, sd, n = t_interval([3.0])
    assert (mean, n) == (3.0, 1) and math.isnan(lo) and math.isnan(hi)
    assert t_interval([2.0, 2.0, 2.0])[:3] == (2.0, 2.0, 2.0)
    mean, lo, hi, sd, n = t_interval([1.0, float("nan"), 3.0])  # NaN replicates are left out
    assert n == 2 and mean == 2.0
    assert t_interval([])[4] == 0


def _values(base: list[float], other: list[float], key: str = "gp_per_1000_year") -> pd.DataFrame:
    rows = []
    for name, xs in (("base", base), ("other", other)):
        for r, x in enumerate(xs):
            row = {o.key: 1.0 for o in OUTCOMES if not o.vs_baseline}
            row.update(scenario=name, replicate=r, spend=0.0, cost_gp=0.0, cost_ae=0.0)
            row[key] = x
            rows.append(row)
    return add_vs_baseline(pd.DataFrame(rows), "base")


def test_difference_is_paired_by_replicate():
    base, other = [100.0, 200.0, 300.0], [99.0, 198.5, 299.2]
    table = comparison_table(_values(base, other), ["base", "other"])
    row = table[(table.scenario == "other") & (table.outcome == "gp_per_1000_year")].iloc[0]
    d = np.array(other) - np.array(base)  # -1.0, -1.5, -0.8
    half = 4.303 * d.std(ddof=1) / math.sqrt(3)
    assert row.diff_mean == pytest.approx(d.mean())
    assert row.diff_ci_low == pytest.approx(d.mean() - half, rel=1e-3)
    assert row.diff_ci_high == pytest.approx(d.mean() + half, rel=1e-3)
    assert row.diff_ci_high < 0  # paired: clearly lower, although the levels' intervals overlap widely
    assert row.ci_low < np.mean(base) < row.ci_high
    # replicate order must not matter: pairs are matched by replicate number, not row position
    shuffled = _values(base, other).sample(frac=1.0, random_state=1)
    t2 = comparison_table(shuffled, ["base", "other"])
    assert t2.equals(table)


def test_costs_against_baseline():
    rows = [
        dict(scenario="base", replicate=0, spend=0.0, cost_gp=1000.0, cost_ae=500.0),
        dict(scenario="base", replicate=1, spend=0.0, cost_gp=1100.0, cost_ae=400.0),
        dict(scenario="sp", replicate=0, spend=300.0, cost_gp=900.0, cost_ae=480.0),
        dict(scenario="sp", replicate=1, spend=300.0, cost_gp=1010.0, cost_ae=370.0),
    ]
    v = add_vs_baseline(pd.DataFrame(rows), "base").set_index(["scenario", "replicate"])
    assert v.loc[("sp", 0), "savings"] == 120.0 and v.loc[("sp", 1), "savings"] == 120.0
    assert v.loc[("sp", 0), "extra_spend"] == 300.0
    assert v.loc[("sp", 0), "net_cost"] == 180.0
    assert v.loc[("sp", 0), "return_per_pound"] == pytest.approx(0.4)
    assert v.loc[("base", 0), "net_cost"] == 0.0
    assert math.isnan(v.loc[("base", 0), "return_per_pound"])  # no extra spend: no return


# ----------------------------------------------------------------------------- scenarios
def test_identical_scenarios_differ_by_exactly_zero(tmp_path):
    """Common random numbers: the same levers under two names give identical replicates, so every
    paired difference is exactly 0 (a model that drew different luck per scenario would fail)."""
    a = write_config(tmp_path / "a.toml", "a", 0.2)
    b = write_config(tmp_path / "b.toml", "b", 0.2)
    scen = load_scenarios([a, b], None, [*SMALL, "simulation.weeks=10", "simulation.replicates=2"], [])
    comp = run_comparison(scen)
    d = comp.table[(comp.table.scenario == "b") & comp.table.diff_replicates.gt(0)]
    assert len(d) > 10
    assert (d.diff_mean == 0).all()
    two = d[d.diff_replicates == 2]  # some outcomes exist in one replicate only (e.g. cost per client)
    assert len(two) > 10 and (two.diff_ci_low == 0).all() and (two.diff_ci_high == 0).all()
    ts = comp.timeseries
    cols = [c for c in ts.columns if c not in ("scenario",)]
    week_rows = lambda name: ts[ts.scenario == name][cols].reset_index(drop=True)  # noqa: E731
    assert week_rows("a").equals(week_rows("b"))
    # ...and the two replicates themselves differ (different luck per replicate)
    r = comp.values[comp.values.scenario == "a"]
    assert r.gp_per_1000_year.nunique() == 2


def test_alignment_takes_seed_weeks_replicates_and_size_from_the_baseline(tmp_path):
    base = str(tmp_path / "base.toml")
    base_text = ('[simulation]\nname = "base"\nseed = 7\nweeks = 12\nreplicates = 2\nburn_in_weeks = 4\n\n'
                 "[population]\nsize = 1500\n\n[link_workers]\nfte = 0.0\n")
    Path(base).write_text(base_text, encoding="utf-8")
    other = tmp_path / "other.toml"
    other.write_text('[simulation]\nname = "other"\nseed = 99\nweeks = 30\nreplicates = 5\nburn_in_weeks = 10\n'
                     'posterior = "elsewhere.csv"\nposterior_draws = 3\n\n'  # the baseline has none: not read
                     "[population]\nsize = 3000\n\n[link_workers]\nfte = 1.5\n", encoding="utf-8")
    scen = load_scenarios([str(other)], base, [], [])
    assert [s.name for s in scen] == ["base", "other"]
    cfg = scen[1].cfg
    for sec, key in ALIGNED_KEYS:
        assert getattr(getattr(cfg, sec), key) == getattr(getattr(scen[0].cfg, sec), key)
    assert cfg.link_workers.fte == 1.5  # the lever itself is untouched
    assert {k for k, _, _ in scen[1].adjusted} == {".".join(k) for k in ALIGNED_KEYS}
    assert ("population.size", 3000, 1500) in scen[1].adjusted
    assert scen[0].adjusted == []


def test_names_clash_falls_back_to_file_names(tmp_path):
    a = write_config(tmp_path / "north.toml", "same", 0.0)
    b = write_config(tmp_path / "south.toml", "same", 1.0)
    assert [s.name for s in load_scenarios([a, b], None, [], [])] == ["north", "south"]
    # --baseline also listed among the CONFIGs is run once
    assert [s.name for s in load_scenarios([a, b], b, [], [])] == ["south", "north"]


# ----------------------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """A three-scenario comparison through the CLI. The third file asks for another seed and
    population, which compare must override with the baseline's."""
    d = tmp_path_factory.mktemp("compare")
    none = write_config(d / "none.toml", "no-service", 0.0, "\n[population]\nsize = 2000\n")
    some = write_config(d / "some.toml", "some-link-work", 0.3, "\n[population]\nsize = 2000\n")
    more = write_config(d / "more.toml", "more-link-work", 1.0, "\n[population]\nsize = 2500\n")
    more_text = Path(more).read_text().replace('name = "more-link-work"', 'name = "more-link-work"\nseed = 99')
    Path(more).write_text(more_text, encoding="utf-8")
    out = d / "out"
    # no turnover: every post is filled, so pay is the funded FTE's (vacancies are tested in test_feedback.py)
    args = ["compare", none, some, more, "--replicates", "3", "--out", str(out), "--quiet",
            "--set", "workforce.turnover_per_year=0"]
    for s in SMALL:
        if not s.startswith(("population.size", "simulation.seed")):
            args += ["--set", s]
    rc = main(args)
    assert rc == 0
    return out


def test_a_scheme_with_other_service_costs_is_reported_with_what_they_are(tmp_path):
    """Programmes are a service cost of their own (``cost_programmes_gbp``): the report shows them
    as "Other service costs" with the model's meaning of the column, not the developers' pay (a
    separate row). This once raised ModuleNotFoundError for every scheme with programmes."""
    none = write_config(tmp_path / "none.toml", "no-service", 0.0)
    prog = write_config(tmp_path / "prog.toml", "programmes", 0.3,
                        "\n[programmes]\ncount = 1\n\n[community_development]\nfte = 0.2\n")
    out = tmp_path / "out"
    args = ["compare", none, prog, "--replicates", "2", "--out", str(out), "--quiet"]
    for s in SMALL:
        args += ["--set", s]
    assert main(args) == 0
    table = pd.read_csv(out / "comparison.csv").set_index(["scenario", "outcome"])
    assert table.loc[("programmes", "cost_other_service"), "mean"] > 0
    assert table.loc[("programmes", "cost_development"), "mean"] > 0
    html = (out / "report.html").read_text(encoding="utf-8")
    row = re.search(r"Other service costs<span class=\"unit\">([^<]*)</span>", html)
    assert row is not None and "programmes" in row.group(1), row
    assert "developer" not in row.group(1).lower()


def test_cli_writes_every_output(compared):
    names = sorted(p.name for p in compared.iterdir())
    plots = [n for n in names if n.endswith(".png")]
    assert {"comparison.csv", "report.html", "replicates.csv", "timeseries.parquet", "run.json", "decision.csv",
            "equity.csv", "horizons.csv"} <= set(names)
    assert len(plots) == 7
    for p in plots:
        w, h = png_size((compared / p).read_bytes())
        assert w >= 800 and h >= 300, p
    table = pd.read_csv(compared / "comparison.csv")
    assert len(table) == 3 * len(OUTCOMES)
    assert list(table.scenario.unique()) == ["no-service", "some-link-work", "more-link-work"]
    assert table.is_baseline.tolist() == [True] * len(OUTCOMES) + [False] * 2 * len(OUTCOMES)
    assert table["unit"].notna().all()


def test_cli_aligns_and_says_so(compared):
    info = json.loads((compared / "run.json").read_text())
    more = info["scenarios"][2]
    assert more["config"]["population"]["size"] == 2000
    assert more["config"]["simulation"]["seed"] == 20261123  # the baseline's (the default seed)
    assert {a["key"] for a in more["adjusted_to_baseline"]} == {"population.size", "simulation.seed"}
    html = (compared / "report.html").read_text()
    assert "Adjusted to match the baseline" in html
    assert "<code>population.size</code> = 2,000 (the file gives 2,500)" in html


def test_comparison_matches_replicates(compared):
    """The CSV's means and paired differences are those of the per-replicate values."""
    table = pd.read_csv(compared / "comparison.csv")
    reps = pd.read_csv(compared / "replicates.csv")
    base = reps[reps.scenario == "no-service"].set_index("replicate")
    for name in ("some-link-work", "more-link-work"):
        mine = reps[reps.scenario == name].set_index("replicate")
        for key in ("lonely_share", "gp_per_1000_year", "ae_per_1000_year", "clients_supported_per_year", "net_cost"):
            row = table[(table.scenario == name) & (table.outcome == key)].iloc[0]
            assert row["mean"] == pytest.approx(mine[key].mean(), rel=1e-12)
            if key != "net_cost":
                assert row.diff_mean == pytest.approx((mine[key] - base[key]).mean(), rel=1e-9, abs=1e-12)
        # costs add up, replicate by replicate
        assert np.allclose(mine.net_cost, mine.extra_spend - mine.savings)
        assert np.allclose(mine.savings, (base.cost_gp + base.cost_ae) - (mine.cost_gp + mine.cost_ae))
    # link-worker pay per year is FTE x salary x (1 + on-costs), each read from the scenario's own config
    lw = table[(table.outcome == "cost_link_workers")].set_index("scenario")["mean"]
    grants = table[(table.outcome == "cost_grants")].set_index("scenario")["mean"]
    info = json.loads((compared / "run.json").read_text())
    for sc in info["scenarios"]:
        c = sc["config"]["link_workers"]
        assert lw[sc["name"]] == pytest.approx(c["fte"] * c["salary_gbp"] * (1 + c["on_cost_rate"]))
        # grants are modelled (groups.py), and these scenarios give none
        assert sc["config"]["grants"]["budget_gbp_per_year"] == 0 and grants[sc["name"]] == 0
    assert lw["no-service"] == 0 < lw["some-link-work"] < lw["more-link-work"]


def test_decision_table_is_ranked_and_consistent(compared):
    """The first screen: ranked by net social value, which is the loneliness value plus NHS cost
    avoided minus extra spend, replicate by replicate; probabilities of benefit are probabilities."""
    dec = pd.read_csv(compared / "decision.csv")
    assert list(dec["rank"]) == [1, 2]
    assert dec.net_social_value.is_monotonic_decreasing
    assert dec.p_benefit_lonely.between(0, 1).all()
    reps = pd.read_csv(compared / "replicates.csv")
    sc = reps[reps.scenario != "no-service"]
    value = load_config(None).costs.loneliness_value_gbp_per_person_year
    assert np.allclose(sc.net_social_value, sc.lonely_py_avoided * value + sc.savings - sc.extra_spend)
    base = reps[reps.scenario == "no-service"].set_index("replicate")
    for _name, part in sc.groupby("scenario"):
        part = part.set_index("replicate")
        assert np.allclose(part.lonely_py_avoided, (base.lonely_share - part.lonely_share) * 2000)
        assert np.allclose(part.spend, part.cost_link_workers + part.cost_development + part.cost_connectors
                           + part.cost_grants + part.cost_other_service)
    table = pd.read_csv(compared / "comparison.csv").set_index(["scenario", "outcome"])
    row = table.loc[("more-link-work", "cost_per_lonely_py")]
    avoided = table.loc[("more-link-work", "lonely_py_avoided"), "mean"]
    if avoided > 0:  # a ratio of the means, as documented
        assert row["mean"] == pytest.approx(table.loc[("more-link-work", "extra_spend"), "mean"] / avoided)
    else:
        assert math.isnan(row["mean"])


def test_capacity_outcomes_are_shares_and_counts(compared):
    reps = pd.read_csv(compared / "replicates.csv")
    ts = pd.read_parquet(compared / "timeseries.parquet")
    more = reps[reps.scenario == "more-link-work"]
    assert more.caseload_utilisation.between(0, 1).all()
    assert reps.group_place_utilisation.between(0, 1).all()
    assert reps[reps.scenario == "no-service"].caseload_utilisation.isna().all()  # no places to use
    for (name, r), w in ts.groupby(["scenario", "replicate"]):
        v = reps[(reps.scenario == name) & (reps.replicate == r)].iloc[0]
        assert v.gave_up_per_year == pytest.approx(w.lw_reneged.sum() / (len(w) / 52))
        assert v.lw_waiting_end == w.lw_waiting.iloc[-1]


def test_equity_groups_cover_everyone(compared):
    eq = pd.read_csv(compared / "equity.csv")
    for (name, dim), part in eq[eq.measure == "referred_per_1000"].groupby(["scenario", "dimension"]):
        assert part.residents.sum() == 2000, (name, dim)
    base = eq[(eq.scenario == "no-service") & (eq.measure == "referred_per_1000")]
    assert (base["mean"] == 0).all()  # nobody is referred without a service
    helped = eq[(eq.scenario == "more-link-work") & (eq.measure == "supported_per_1000")]
    assert (helped["mean"] >= 0).all() and helped["mean"].max() > 0


def test_horizons_only_for_recorded_years(compared):
    h = pd.read_csv(compared / "horizons.csv")
    assert h.empty or set(h.year) <= {1}  # the fixture records 26 weeks: no whole year
    html = (compared / "report.html").read_text(encoding="utf-8")
    assert "Use <code>--weeks 260</code> for five years" in html


def independent_arms_ratio_quantile(n: int, arms: int, q: float, draws: int = 200_000) -> float:
    """The ``q`` quantile of the pooled ratio of paired to unpaired interval widths,
    sqrt(sum_k s_{d_k}^2) / sqrt(sum_k (s_{a_k}^2 + s_b^2)), when ``arms`` scenarios and their shared
    baseline ``b`` have ``n`` independent replicates each (no common random numbers; d_k = a_k - b),
    by simulation with a fixed seed. Paired and unpaired widths use the same t quantile, so only
    the standard deviations enter, and the law does not depend on the (equal) variance."""
    rng = np.random.default_rng(20261201)
    x = rng.standard_normal((arms + 1, draws, n))
    b, a = x[0], x[1:]
    paired = sum((a[k] - b).var(axis=1, ddof=1) for k in range(arms))
    unpaired = sum(a[k].var(axis=1, ddof=1) for k in range(arms)) + arms * b.var(axis=1, ddof=1)
    return float(np.quantile(np.sqrt(paired / unpaired), q))


def test_paired_intervals_are_narrower_than_the_levels(compared):
    """Common random numbers at work: the paired intervals of the differences from the baseline are
    far narrower than the intervals an unpaired comparison of the same replicates would give.

    Var(A - B) = Var(A) + Var(B) - 2 Cov(A, B): without common random numbers Cov = 0 and the
    paired interval is as wide as the unpaired one, sqrt(w_a^2 + w_b^2) (same n, same t quantile).
    With 3 replicates a single ratio is noisy even then (median 1, and 5% of independent pairs fall
    below 0.32), so for each outcome the two scenarios are pooled and the bound is the 5% quantile of
    the pooled ratio for independent arms sharing a baseline (simulated): a ratio below it is
    evidence at 5% that the arms share their luck. (The earlier bound, half of one level's width,
    asked for a correlation near 0.9 between arms and was not derived; a service that changes
    loneliness a lot lowers that correlation for the lonely share.)"""
    table = pd.read_csv(compared / "comparison.csv").set_index(["scenario", "outcome"])
    names = ("some-link-work", "more-link-work")
    reps = int(table.replicates.max())
    bound = independent_arms_ratio_quantile(reps, len(names), 0.05)
    for key in ("gp_per_1000_year", "lonely_share"):
        width = {n: table.loc[(n, key), "ci_high"] - table.loc[(n, key), "ci_low"] for n in (*names, "no-service")}
        diff = [table.loc[(n, key), "diff_ci_high"] - table.loc[(n, key), "diff_ci_low"] for n in names]
        unpaired = sum(width[n] ** 2 for n in names) + len(names) * width["no-service"] ** 2
        ratio = math.sqrt(sum(d * d for d in diff) / unpaired)
        assert ratio < bound, (key, ratio, bound)


def test_service_supports_clients_and_costs_money(compared):
    table = pd.read_csv(compared / "comparison.csv").set_index(["scenario", "outcome"])
    assert table.loc[("no-service", "clients_supported_per_year"), "mean"] == 0
    assert table.loc[("more-link-work", "clients_supported_per_year"), "diff_ci_low"] > 0
    assert table.loc[("more-link-work", "extra_spend"), "mean"] > table.loc[("some-link-work", "extra_spend"), "mean"]


class _Doc(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.links, self.scripts_src, self.row_heads, self.in_row_th = [], [], [], [], False
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        if tag in ("link", "a") and "href" in a:
            self.links.append(a["href"])
        if tag == "script" and "src" in a:
            self.scripts_src.append(a["src"])
        if tag == "th" and a.get("scope") == "row":
            self.in_row_th = True
            self.row_heads.append("")

    def handle_endtag(self, tag):
        if tag == "th":
            self.in_row_th = False

    def handle_data(self, data):
        self.text.append(data)
        if self.in_row_th:
            self.row_heads[-1] += data


def test_report_is_self_contained_labelled_and_readable(compared):
    from PIL import Image

    html = (compared / "report.html").read_text(encoding="utf-8")
    doc = _Doc()
    doc.feed(html)
    assert len(doc.imgs) == 7
    for img in doc.imgs:
        assert len(img.get("alt", "")) > 80  # says what the chart shows, with its numbers
        assert img["src"].startswith("data:image/png;base64,")
        im = Image.open(io.BytesIO(base64.b64decode(img["src"].split(",", 1)[1])))
        im.load()  # decodes fully
        assert im.size == (int(img["width"]), int(img["height"])) and im.size[0] >= 800
    # offline: no external stylesheets, scripts, fonts or images
    assert all(h.startswith("#") for h in doc.links) and not doc.scripts_src  # only in-page section links
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "url(" not in html
    # every table row names its unit
    assert len(doc.row_heads) >= 8 + 10
    for head in doc.row_heads:
        if head.startswith(("no-service", "some-link-work", "more-link-work")):
            continue  # rows that are scenarios (method section, decision table): the columns carry the units
        assert re.search(r"(per|%|£|weeks|residents|groups)", head), head
    text = " ".join(doc.text)
    assert re.search(r"£\d{1,3},\d{3}", text)  # money with thousands separators
    assert "\u2212" in text  # real minus signs
    for phrase in ("What the intervals mean", "Why before-and-after claims overstate", "regression to the mean",
                   "Grants", "Net cost", "Return per pound", "Cost per client supported",
                   "Link-worker pay with on-costs", "Share of residents lonely", "GP consultations",
                   "A&E attendances", "Wait for a link worker", "Clients supported", "Group volunteers",
                   "Active community groups", "Decision", "Confidence in a lower mean", "replicate noise only",
                   "Uncertainty: parameters and noise", "cannot be split into parameters and noise",
                   "Capacity", "Gave up waiting", "Referrals lost to waits", "Caseload places used",
                   "Equity", "Deprivation quintile", "Age band", "GP practice", "Lonely person-years avoided",
                   "Cost per lonely person-year avoided", "Cost per GP consultation avoided",
                   "Value of loneliness avoided", "9,537", "WELLBY", "Community connectors",
                   "Community-developer pay with on-costs", "No FTE search was run"):
        assert phrase in text, phrase


def test_styles_tell_scenarios_apart_without_colour():
    assert len({(ls if isinstance(ls, str) else str(ls), m) for _, ls, m, _ in STYLES}) == len(STYLES)
    assert len({m for _, _, m, _ in STYLES}) == len(STYLES)
    assert len({h for *_, h in STYLES}) == len(STYLES)


def test_number_formatting():
    assert fmt_gbp(97280) == "£97,280"
    assert fmt_gbp(-1234.4) == "\u2212£1,234"
    assert fmt_gbp(0) == "£0"
    assert fmt_ci("share", 0.0663, 0.0641, 0.0686) == ("6.6%", "6.4% to 6.9%")
    m = "\u2212"
    assert fmt_ci("share", -0.00082, -0.00094, -0.00069, diff=True) == (f"{m}0.082 pp", f"{m}0.094 pp to {m}0.069 pp")
    assert fmt_ci("number", 5105.1, 5092.3, 5118.0) == ("5,105", "5,092 to 5,118")
    assert fmt_ci("number", -7.75, -8.2, -7.3, diff=True) == ("\u22127.8", "\u22128.2 to \u22127.3")
    assert fmt_ci("ratio", 0.1766, 0.1706, 0.1826) == ("£0.18", "£0.17 to £0.18")
    assert fmt_ci("weeks", float("nan"), float("nan"), float("nan")) == ("\u2013", "")
    assert fmt_ci("gbp", 97280, 97280, 97280) == ("£97,280", "")  # same in every replicate: no interval


def test_reproducible_bytes_whatever_the_workers(tmp_path):
    a = write_config(tmp_path / "a.toml", "a", 0.0)
    b = write_config(tmp_path / "b.toml", "b", 0.5)
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        args = ["compare", a, b, "--replicates", "2", "--workers", workers, "--quiet", "--out", str(out)]
        for s in [*SMALL, "simulation.weeks=8", "simulation.burn_in_weeks=4"]:
            args += ["--set", s]
        assert main(args) == 0
        outs.append(out)
    for name in ("comparison.csv", "replicates.csv", "report.html", "plot_costs.png"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


@pytest.mark.parametrize("argv, needle", [
    (["compare", "configs/default.toml", "--out", "{out}"], "at least two"),
    (["compare", "configs/default.toml", "configs/default.toml", "--out", "{out}"], "at least two"),
    (["compare", "configs/default.toml", "{missing}", "--out", "{out}"], "file not found"),
    (["compare", "configs/default.toml", "{bad}", "--out", "{out}"], "link_workers.ftee"),
    (["compare", "configs/default.toml", "configs/default.yaml", "--set", "link_workers.nope=1", "--out", "{out}"],
     "link_workers.nope"),
    (["compare", "configs/default.toml", "configs/default.yaml", "--out"], "--out"),
    (["compare", "configs/default.toml", "{other}", "--out", "{file}"], "not a directory"),
    (["compare", "configs/default.toml", "{other}", "--replicates", "0", "--out", "{out}"], "replicates"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, argv, needle):
    root = Path(__file__).resolve().parents[1]
    bad = tmp_path / "bad.toml"
    bad.write_text("[link_workers]\nftee = 1\n", encoding="utf-8")
    other = write_config(tmp_path / "other.toml", "other", 1.0)
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    subs = {"{out}": str(tmp_path / "out"), "{missing}": str(tmp_path / "missing.toml"), "{bad}": str(bad),
            "{other}": other, "{file}": str(tmp_path / "afile")}
    argv = [subs.get(a, str(root / a) if a.startswith("configs/") else a) for a in argv]
    rc = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "out").exists()


def test_example_configs_load_and_differ_only_in_link_workers():
    root = Path(__file__).resolve().parents[1] / "configs"
    scen = load_scenarios([str(root / "default.toml"), str(root / "more-link-workers.toml")],
                          str(root / "baseline.toml"), [], [])
    from spsim.studies.compare import differing_parameters

    assert [s.name for s in scen] == ["baseline", "default", "more-link-workers"]
    assert differing_parameters(scen[0].cfg, scen[1].cfg) == [("link_workers.fte", 0.0, 2.0)]
    assert differing_parameters(scen[0].cfg, scen[2].cfg) == [("link_workers.fte", 0.0, 4.0)]
    assert all(not s.adjusted for s in scen)
    assert load_config(root / "baseline.toml").link_workers.fte == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED_SCHEMES)
def test_every_shipped_scenario_gets_its_planner_report(tmp_path, name):
    """A planner's comparison of each shipped scenario with the baseline runs end to end and writes
    its report: each local model has features of its own (connectors, programmes, teams, grants,
    developers), and a report path that only one of them reaches once crashed for every scheme with
    programmes. Small and short: this checks that the report is made, not what it says."""
    out = tmp_path / "out"
    args = ["compare", str(CONFIGS / "baseline.toml"), str(CONFIGS / f"{name}.toml"), "--replicates", "2",
            "--weeks", "8", "--set", "population.size=1500", "--set", "simulation.burn_in_weeks=8",
            "--out", str(out), "--quiet"]
    assert main(args) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Service spend" in html and (out / "comparison.csv").stat().st_size > 0

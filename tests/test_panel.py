"""The synthetic panel (``spsim run --panel``) and network files: exact columns, one row per
resident per period, counts that add up to the run's own totals, states at the period's end, and
the same bytes from serial and parallel runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from spsim.interfaces.cli import main
from spsim.studies.panel import PANEL_COLUMNS, period_of

COLUMNS = ["replicate", "resident", "period", "age_band", "sex", "deprivation_quintile", "practice",
           "degree", "lives_alone", "gp_consultations", "ae_attendances", "lonely", "ucla3",
           "life_satisfaction", "swemwbs", "referred", "on_caseload", "contacts", "volunteer", "group_member"]
N, WEEKS = 1500, 14
ARGS = ["--set", f"population.size={N}", "--set", "simulation.burn_in_weeks=4", "--weeks", str(WEEKS),
        "--replicates", "2", "--quiet"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("panel")
    assert main(["run", *ARGS, "--panel", "monthly", "--out", str(base / "serial")]) == 0
    assert main(["run", *ARGS, "--panel", "monthly", "--workers", "2", "--out", str(base / "parallel")]) == 0
    return base


def test_columns_are_exactly_those_documented(runs):
    assert list(PANEL_COLUMNS) == COLUMNS
    assert pq.ParquetFile(runs / "serial" / "panel.parquet").schema_arrow.names == COLUMNS
    assert pq.ParquetFile(runs / "serial" / "network.parquet").schema_arrow.names == ["replicate", "a", "b", "kind"]


def test_one_row_per_resident_per_period_streamed_by_period(runs):
    f = pq.ParquetFile(runs / "serial" / "panel.parquet")
    periods = int(period_of(WEEKS - 1, 12)) + 1  # 14 recorded weeks -> months 0, 1, 2, 3
    assert periods == 4
    assert f.num_row_groups == 2 * periods  # one row group per replicate and period: streamed
    df = f.read().to_pandas()
    assert len(df) == 2 * N * periods
    for _, g in df.groupby(["replicate", "period"]):
        assert np.array_equal(g.resident.to_numpy(), np.arange(N))
    assert sorted(df.period.unique()) == list(range(periods))


def test_counts_add_up_to_the_run_totals_and_states_are_end_of_period(runs):
    df = pd.read_parquet(runs / "serial" / "panel.parquet")
    ts = pd.read_parquet(runs / "serial" / "timeseries.parquet")
    for rep in (0, 1):
        d, t = df[df.replicate == rep], ts[ts.replicate == rep]
        assert d.gp_consultations.sum() == t.gp_consultations.sum()
        assert d.ae_attendances.sum() == t.ae_attendances.sum()
        last = d[d.period == d.period.max()]
        assert last.lonely.sum() == round(t.lonely_share.iloc[-1] * N)
        assert last.on_caseload.sum() == t.lw_active_clients.iloc[-1]
        assert last.group_member.sum() == t.group_members.iloc[-1]
    assert df.ucla3.between(3, 9).all() and df.life_satisfaction.between(0, 10).all()
    assert df.swemwbs.between(7, 35).all()
    assert (df.gp_consultations >= 0).all() and (df.contacts >= 0).all()
    # fixed traits do not change between periods
    for col in ("age_band", "sex", "deprivation_quintile", "practice", "lives_alone"):
        assert (df.groupby(["replicate", "resident"])[col].nunique() == 1).all()


def test_network_file_lists_every_tie_once(runs):
    net = pd.read_parquet(runs / "serial" / "network.parquet")
    df = pd.read_parquet(runs / "serial" / "panel.parquet")
    assert set(net.kind) <= {"household", "neighbour", "group"}
    assert (net.a < net.b).all() and net.a.min() >= 0 and net.b.max() < N
    assert not net.duplicated(["replicate", "a", "b"]).any()
    for rep in (0, 1):
        e = net[net.replicate == rep]
        deg = np.bincount(e.a, minlength=N) + np.bincount(e.b, minlength=N)
        last = df[(df.replicate == rep) & (df.period == df.period.max())]
        assert np.array_equal(deg, last.degree.to_numpy())


def test_serial_and_parallel_write_the_same_bytes(runs):
    for name in ("panel.parquet", "network.parquet"):
        assert (runs / "serial" / name).read_bytes() == (runs / "parallel" / name).read_bytes()


@pytest.mark.parametrize("period,per_year", [("weekly", 52), ("monthly", 12), ("quarterly", 4)])
def test_periods_split_a_year_evenly(period, per_year):
    p = period_of(np.arange(52), per_year)
    assert p[0] == 0 and p[-1] == per_year - 1
    assert np.all(np.diff(p) >= 0) and np.all(np.diff(p) <= 1)


def test_bad_panel_period_is_a_usage_error(tmp_path, capsys):
    assert main(["run", *ARGS, "--panel", "daily", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "--panel" in err and "daily" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_writing_a_panel_does_not_change_the_results(runs, tmp_path):
    assert main(["run", *ARGS, "--out", str(tmp_path / "plain")]) == 0
    for name in ("timeseries.parquet", "summary.csv"):
        assert (tmp_path / "plain" / name).read_bytes() == (runs / "serial" / name).read_bytes()
    assert not (tmp_path / "plain" / "panel.parquet").exists()

"""A synthetic panel for researchers: one row per resident per period, streamed to Parquet.

``spsim run --panel {weekly,monthly,quarterly}`` writes ``panel.parquet`` (see docs/panel.md for
every column) and ``network.parquet`` (the ties at the end of the run). Each replicate's
:class:`PanelWriter` (an analyzer) adds up counts over the period and writes one row group per
period with ``pyarrow.parquet.ParquetWriter``, so memory stays flat however long the run; the
replicates' files are then joined row group by row group in replicate order (:func:`merge_parts`),
so serial and parallel runs write the same bytes.

Periods cover the recorded weeks only (after burn-in): recorded week ``w`` (0-based) belongs to
period ``floor(w * per_year / 52)`` with 52, 12 or 4 periods a year, so a month is 4 or 5 weeks
and a quarter 13. Counts are summed over the period's weeks; states are those at its end; the
instruments (UCLA-3, ONS4 life satisfaction, SWEMWBS) are observed at its end with measurement
noise (:mod:`spsim.model.instruments`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..model.instruments import observe

PERIODS_PER_YEAR = {"weekly": 52, "monthly": 12, "quarterly": 4}

#: column -> (arrow type, meaning); the order is the file's
PANEL_COLUMNS: dict[str, tuple[pa.DataType, str]] = {
    "replicate": (pa.int32(), "replicate number"),
    "resident": (pa.int32(), "resident id, 0 to N-1 (the same ids as network.parquet)"),
    "period": (pa.int32(), "period from 0 (recorded weeks only)"),
    "age_band": (pa.int8(), "0: under 25, 1: 25-64, 2: 65+"),
    "sex": (pa.int8(), "0 female, 1 male"),
    "deprivation_quintile": (pa.int8(), "1 least to 5 most deprived"),
    "practice": (pa.int32(), "GP practice registered with"),
    "degree": (pa.int32(), "ties at the end of the period (household, neighbours and friends, group)"),
    "lives_alone": (pa.bool_(), "lives in a one-person household"),
    "gp_consultations": (pa.int32(), "GP consultations in the period"),
    "ae_attendances": (pa.int32(), "A&E attendances in the period"),
    "lonely": (pa.bool_(), "true state: lonely often/always (the ONS direct question) at the end"),
    "ucla3": (pa.int8(), "observed UCLA-3 loneliness score (3-9) at the end, with measurement noise"),
    "life_satisfaction": (pa.int8(), "observed ONS4 life satisfaction (0-10) at the end, with noise"),
    "swemwbs": (pa.int8(), "observed SWEMWBS raw score (7-35) at the end, with noise"),
    "referred": (pa.bool_(), "referred to link work (any route) during the period"),
    "on_caseload": (pa.bool_(), "on a link worker's caseload at the end"),
    "contacts": (pa.int32(), "link-worker contacts received during the period"),
    "volunteer": (pa.bool_(), "volunteering formally at the end"),
    "group_member": (pa.bool_(), "holds a place in a community group at the end"),
}
PANEL_SCHEMA = pa.schema([(k, t) for k, (t, _) in PANEL_COLUMNS.items()])

NETWORK_KINDS = ("household", "neighbour", "group")
NETWORK_COLUMNS: dict[str, tuple[pa.DataType, str]] = {
    "replicate": (pa.int32(), "replicate number"),
    "a": (pa.int32(), "one end (resident id), a < b"),
    "b": (pa.int32(), "the other end (resident id)"),
    "kind": (pa.string(), "household, neighbour (friends and neighbours, rewired ties included) "
                          "or group (made at a group)"),
}
NETWORK_SCHEMA = pa.schema([(k, t) for k, (t, _) in NETWORK_COLUMNS.items()])


def period_of(recorded_week: np.ndarray | int, per_year: int) -> np.ndarray | int:
    return (np.asarray(recorded_week) * per_year) // 52


class PanelWriter:
    """Analyzer writing one replicate's panel to ``path`` (and its ties to ``network_path``)."""

    def __init__(self, path: Path, period: str, network_path: Path | None = None):
        if period not in PERIODS_PER_YEAR:
            raise ValueError(f"panel period must be one of {', '.join(PERIODS_PER_YEAR)}, not {period!r}")
        self.path, self.network_path = Path(path), network_path
        self.per_year = PERIODS_PER_YEAR[period]

    def init(self, model) -> None:
        n = model.residents.n
        sim = model.cfg.simulation
        self.burn, self.weeks = sim.burn_in_weeks, sim.weeks
        self.gp = np.zeros(n, np.int32)
        self.ae = np.zeros(n, np.int32)
        self.referred = np.zeros(n, bool)
        self.contacts = np.zeros(n, np.int32)
        self.prev_contacts = model.residents.lw_contacts.astype(np.int32)
        self.ids = np.arange(n, dtype=np.int32)
        self.writer = pq.ParquetWriter(self.path, PANEL_SCHEMA, compression="zstd")

    def apply(self, model) -> None:
        r = model.residents
        lc = r.lw_contacts.astype(np.int32)
        gained = lc - self.prev_contacts
        self.prev_contacts = lc
        w = model.week - self.burn - 1  # recorded week just finished (0-based), < 0 in burn-in
        if w < 0 or w >= self.weeks:
            return
        self.gp += getattr(model, "gp_count", model.seen_gp)
        self.ae += model.ae_this_week
        self.referred |= model.referred_this_week
        self.contacts += np.maximum(gained, 0)  # a new referral restarts the count: not a contact
        period = int(period_of(w, self.per_year))
        last = w + 1 >= self.weeks or int(period_of(w + 1, self.per_year)) != period
        if last:
            self._emit(model, period)
        if model.week - self.burn >= self.weeks:
            self.close(model)

    def _emit(self, model, period: int) -> None:
        r, n = model.residents, model.residents.n
        obs = observe(model)
        cols = {
            "replicate": np.full(n, model.replicate, np.int32), "resident": self.ids,
            "period": np.full(n, period, np.int32), "age_band": r.age_band, "sex": r.sex,
            "deprivation_quintile": r.deprivation, "practice": r.practice.astype(np.int32),
            "degree": model.network.degree().astype(np.int32), "lives_alone": r.lives_alone,
            "gp_consultations": self.gp, "ae_attendances": self.ae, "lonely": r.lonely,
            "ucla3": obs["ucla3"], "life_satisfaction": obs["life_satisfaction"], "swemwbs": obs["swemwbs"],
            "referred": self.referred, "on_caseload": r.lw_status == 2, "contacts": self.contacts,
            "volunteer": r.volunteer, "group_member": r.group >= 0,
        }
        self.writer.write_table(pa.table({k: pa.array(np.asarray(v)) for k, v in cols.items()}, schema=PANEL_SCHEMA))
        self.gp[:] = 0
        self.ae[:] = 0
        self.referred[:] = False
        self.contacts[:] = 0

    def close(self, model) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
            if self.network_path is not None:
                write_network(model, self.network_path)


def network_table(model) -> pa.Table:
    a, b, kind = model.network.tie_table()
    order = np.lexsort((b, a))
    kinds = np.array(NETWORK_KINDS, dtype=object)[kind[order]]
    return pa.table({"replicate": pa.array(np.full(a.size, model.replicate, np.int32)),
                     "a": pa.array(a[order].astype(np.int32)), "b": pa.array(b[order].astype(np.int32)),
                     "kind": pa.array(kinds, pa.string())}, schema=NETWORK_SCHEMA)


def write_network(model, path: Path) -> None:
    pq.write_table(network_table(model), path, compression="zstd")


def merge_parts(parts: list[Path], out: Path, schema: pa.Schema) -> None:
    """Join Parquet files row group by row group (memory: one row group at a time)."""
    with pq.ParquetWriter(out, schema, compression="zstd") as w:
        for p in parts:
            f = pq.ParquetFile(p)
            for i in range(f.num_row_groups):
                w.write_table(f.read_row_group(i))

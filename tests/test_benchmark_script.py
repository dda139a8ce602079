"""The benchmark script runs and writes well-formed results. No timing thresholds here: speed is
judged by running benchmarks/bench_model.py itself (see docs/performance.md)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from spsim.model import WEEKLY_ORDER
from spsim.model.params import Config

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_model.py"


def run_bench(*args: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), *args, "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc, json.loads(out.read_text())


def positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def test_quick_run_writes_well_formed_json(tmp_path):
    proc, data = run_bench("--quick", "--sizes", "2000", "3000", "--weeks", "3", "--by-mechanism",
                           tmp_path=tmp_path)
    assert data["schema"] == "spsim-bench/1"
    m = data["machine"]
    assert m["thread_env"] == {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    assert m["nproc"] >= 1 and m["cpu_model"] and m["python"] and m["numpy"]
    assert data["settings"] == {"weeks": 3, "repeat": 1, "quick": True, "by_mechanism": True, "burn_in_weeks": 0}
    assert data["default_town"] is None
    assert data["floors"] == []  # the 100k floor is only judged when 100k is measured

    assert [s["residents"] for s in data["sizes"]] == [2000, 3000]
    for s in data["sizes"]:
        assert s["weeks"] == 3 and s["repeat"] == 1
        for key in ("import_s", "build_agents_s", "build_arrays_s", "run_s", "run_arrays_s", "run_cpu_s",
                    "resident_weeks_per_s", "resident_weeks_per_s_arrays", "resident_weeks_per_s_best",
                    "resident_weeks_per_cpu_s", "peak_rss_mib", "rss_after_import_mib"):
            assert positive(s[key]), (key, s[key])
        assert len(s["run_s_all"]) == len(s["build_agents_s_all"]) == 1
        assert s["resident_weeks_per_s"] == pytest.approx(s["residents"] * 3 / s["run_s"])
        assert s["resident_weeks_per_s_arrays"] == pytest.approx(s["residents"] * 3 / s["run_arrays_s"])
        assert s["resident_weeks_per_s_best"] >= s["resident_weeks_per_s"]  # best repeat vs median
        # ru_maxrss is a running peak, read three times in this order
        assert s["rss_after_import_mib"] <= s["peak_rss_arrays_mib"] <= s["peak_rss_mib"]

        bm = s["by_mechanism"]
        assert bm["weeks"] == 3 and positive(bm["step_ms_per_week"])
        names = [row["mechanism"] for row in bm["mechanisms"]]
        assert names == [cls.stream for cls in WEEKLY_ORDER] + ["recorder", "other"]
        rows = {cls.stream: cls.rows for cls in WEEKLY_ORDER}
        for row in bm["mechanisms"][:-2]:  # every mechanism does some work; those with rows draw uniforms
            assert positive(row["step_ms_per_week"]), row
            assert positive(row["rng_ms_per_week"]) == bool(rows[row["mechanism"]]), row
            assert row["total_ms_per_week"] == pytest.approx(row["rng_ms_per_week"] + row["step_ms_per_week"])
        total = sum(row["total_ms_per_week"] for row in bm["mechanisms"])
        assert total == pytest.approx(bm["step_ms_per_week"], rel=1e-6)
        assert sum(row["share"] for row in bm["mechanisms"]) == pytest.approx(1.0, rel=1e-6)

    # the printed table names each size
    assert "2,000" in proc.stdout and "3,000" in proc.stdout and "by mechanism" in proc.stdout


@pytest.mark.slow
def test_default_town_mode(tmp_path):
    """The default town (50k residents, 26 + 104 weeks) once, without the CLI timing: a few seconds."""
    proc, data = run_bench("--default-town", "--quick", "--no-cli", tmp_path=tmp_path)
    assert data["sizes"] == []
    t = data["default_town"]
    sim = Config().simulation  # the default town as `spsim run` has it
    assert (t["residents"], t["burn_in_weeks"], t["weeks"], t["repeat"]) == (50_000, sim.burn_in_weeks, sim.weeks, 1)
    for key in ("import_s", "build_s", "run_s", "build_run_summarise_s", "build_run_summarise_cpu_s",
                "resident_weeks_per_s", "peak_rss_mib"):
        assert positive(t[key]), (key, t[key])
    assert t["build_run_summarise_s"] >= t["build_s"] + t["run_s"]
    assert t["cli_wall_s"] is None
    assert [f["floor"] for f in data["floors"]] == ["default town build + run < 5 s"]
    assert "default town" in proc.stdout


def test_rejects_tiny_sizes(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--sizes", "10"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "--sizes" in proc.stderr


def test_command_benchmark_times_the_command_and_its_parts(tmp_path):
    """benchmarks/bench_command.py on a small town (the default town's figures come from running it
    without --spsim-arg): well-formed JSON, every run timed, the phases named; no thresholds."""
    script = SCRIPT.parent / "bench_command.py"
    small = ["--set", "population.size=2000", "--set", "simulation.burn_in_weeks=2", "--set",
             "groups.warm_start_weeks=2", "--weeks", "3"]
    out = tmp_path / "cmd.json"
    proc = subprocess.run([sys.executable, str(script), "--repeat", "1", "--make-run", "--phases", "--no-compile",
                           *(f"--spsim-arg={a}" for a in small), "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == "spsim-bench-command/1"
    assert data["settings"]["commands"] == ["run --quiet", "make run"] and data["settings"]["spsim_args"] == small
    (tree,) = data["trees"].values()
    for name in ("run --quiet", "make run"):
        c = tree["commands"][name]
        assert len(c["runs"]) == 1 and all(positive(r["wall_s"]) and positive(r["cpu_s"]) for r in c["runs"])
        assert c["wall_s_min"] <= c["wall_s_median"]
    ph = tree["phases_cpu_s_median"]
    assert {"import: mesa (pandas, scipy.spatial, networkx, ...)", "build: all", "weeks: all (burn-in + recorded)",
            "main: all"} <= set(ph)
    assert {f"step: {m.__name__}" for m in WEEKLY_ORDER} <= set(ph)
    assert ph["weeks: all (burn-in + recorded)"] <= ph["main: all"]
    assert "spsim run" in proc.stdout

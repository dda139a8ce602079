"""The command line, in-process (``spsim.interfaces.cli.main``) and as a real ``python -m spsim`` process.

Contract (see ``spsim/cli.py``): a good run writes timeseries.parquet, timeseries.csv,
summary.csv and run.json; bad input ends with exactly one line on stderr naming the file and
field, exit status 2, no traceback, and nothing written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import spsim.interfaces.cli.run
from spsim.interfaces.cli import main
from spsim.model.config import load_config, validate
from spsim.model.params import parameter_table

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
SMALL = ["--set", "population.size=1000", "--weeks", "8"]
TS_COLUMNS = ["scenario", "replicate", "week", "lonely_share", "gp_consultations", "ae_attendances", "referrals",
              "lw_waiting", "lw_active_clients", "lw_wait_weeks_mean", "clients_supported", "group_attendance",
              "groups_active", "volunteers"]
OUTPUTS = {"timeseries.parquet", "timeseries.csv", "summary.csv", "summary_by_group.csv", "run.json",
           ".spsim.json"}  # .spsim.json: the owner manifest (docs/reliability.md)


def run_subprocess(args: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    """``python -m spsim ARGS`` with this checkout's sources first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run([sys.executable, "-m", "spsim", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, **kw)


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for folders), and mtimes folded in."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = None if p.is_dir() else (p.read_bytes(), p.stat().st_mtime_ns)
    return out


def assert_one_line_error(rc: int, out: str, err: str) -> str:
    assert rc == 2, (rc, err)
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert err.startswith("spsim: error: ")
    assert out == ""
    return err.strip()


# ------------------------------------------------------------------------------------ a good run
@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """One in-process run with 2 replicates, shared by the output-format tests."""
    d = tmp_path_factory.mktemp("run")
    out = d / "out"
    rc = main(["run", *SMALL, "--replicates", "2", "--seed", "11", "--out", str(out), "--quiet"])
    assert rc == 0
    return out


def test_run_writes_the_five_files(small_run):
    assert {p.name for p in small_run.iterdir()} == OUTPUTS
    assert not [p for p in small_run.parent.iterdir() if p.name.startswith(".")], "temp folder left behind"


def test_timeseries_csv_is_long_format(small_run):
    ts = pd.read_csv(small_run / "timeseries.csv")
    assert list(ts.columns[:3]) == ["scenario", "replicate", "week"]
    assert set(TS_COLUMNS) <= set(ts.columns)
    assert len(ts) == 2 * 8
    assert (ts["scenario"] == "default").all()
    for r in (0, 1):
        assert ts.loc[ts.replicate == r, "week"].tolist() == list(range(1, 9))
    assert ts[[c for c in TS_COLUMNS if c not in ("scenario", "lw_wait_weeks_mean")]].notna().all().all()


def test_parquet_and_csv_hold_the_same_data(small_run):
    pq = pd.read_parquet(small_run / "timeseries.parquet")
    csv = pd.read_csv(small_run / "timeseries.csv")
    assert list(pq.columns) == list(csv.columns)
    pd.testing.assert_frame_equal(pq, csv, check_exact=True, check_dtype=False)
    for c in pq.columns:  # same kinds of column (int stays int, float stays float)
        assert pq[c].dtype.kind == csv[c].dtype.kind or c == "scenario", (c, pq[c].dtype, csv[c].dtype)


def test_summary_has_one_row_per_replicate(small_run):
    s = pd.read_csv(small_run / "summary.csv")
    assert s["replicate"].tolist() == [0, 1]
    assert (s["scenario"] == "default").all()
    assert (s["weeks"] == 8).all()


def test_run_json_records_config_seeds_version_timings(small_run):
    info = json.loads((small_run / "run.json").read_text())
    cfg = load_config(None, ["population.size=1000", "simulation.seed=11", "simulation.weeks=8",
                             "simulation.replicates=2"])
    assert validate(info["config"]) == cfg
    assert info["seed"] == 11
    assert [s["replicate"] for s in info["replicate_seeds"]] == [0, 1]
    assert info["spsim_version"] == spsim.__version__
    t = info["timings"]
    assert t["workers"] == 1 and t["wall_seconds"] > 0
    assert len(t["build_seconds"]) == len(t["run_seconds"]) == 2
    assert set(TS_COLUMNS[3:]) <= set(info["columns"])


def test_run_prints_a_summary_unless_quiet(tmp_path, capsys):
    assert main(["run", *SMALL, "--set", "simulation.burn_in_weeks=2", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "results in" in out and "share lonely" in out
    assert main(["run", *SMALL, "--set", "simulation.burn_in_weeks=2", "--out", str(tmp_path / "q"), "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def test_rerun_into_a_folder_with_other_files_is_refused_unless_replace(tmp_path, capsys):
    """A folder holding files spsim did not write is not written into (docs/reliability.md)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "summary.csv").write_text("stale")
    args = ["run", *SMALL, "--set", "simulation.burn_in_weeks=2", "--out", str(out), "--quiet"]
    assert main(args) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine" and (out / "summary.csv").read_text() == "stale"
    assert main([*args, "--replace"]) == 0
    assert {p.name for p in out.iterdir()} == OUTPUTS
    assert (out / "summary.csv").read_text() != "stale"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_subprocess_run(tmp_path):
    p = run_subprocess(["run", *SMALL, "--out", "res"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert {x.name for x in (tmp_path / "res").iterdir()} == OUTPUTS
    ts = pd.read_csv(tmp_path / "res" / "timeseries.csv")
    assert list(ts.columns[:3]) == ["scenario", "replicate", "week"] and len(ts) == 8
    assert "results in res/" in p.stdout


# ------------------------------------------------------------------------------------ bad input
# name -> (files to create {name: text}, argv after 'run' ({d} is the folder), strings the error line names)
BAD = {
    "missing file": ({}, ["{d}/nope.toml"], ["nope.toml", "not found"]),
    "empty file": ({"empty.toml": ""}, ["{d}/empty.toml"], ["empty.toml", "empty"]),
    "wrong type": ({"wt.toml": '[link_workers]\nfte = "lots"\n'}, ["{d}/wt.toml"], ["wt.toml", "link_workers.fte"]),
    "bool for int": ({"b.toml": "[groups]\ncount = true\n"}, ["{d}/b.toml"], ["b.toml", "groups.count"]),
    "negative fte": ({"neg.toml": "[link_workers]\nfte = -1\n"}, ["{d}/neg.toml"], ["neg.toml", "link_workers.fte"]),
    "spillover 1.5": ({"sp.yaml": "volunteering:\n  spillover: 1.5\n"}, ["{d}/sp.yaml"],
                      ["sp.yaml", "volunteering.spillover"]),
    "unknown key": ({"uk.toml": "[link_workers]\nftee = 3\n"}, ["{d}/uk.toml"],
                    ["uk.toml", "link_workers.ftee", "did you mean 'fte'"]),
    "unknown section": ({"us.toml": "[link_worker]\nfte = 3\n"}, ["{d}/us.toml"],
                        ["us.toml", "link_worker", "did you mean 'link_workers'"]),
    "newline in key": ({"nl.toml": '"link\\nworkers" = 1\n'}, ["{d}/nl.toml"], ["nl.toml", "unknown key"]),
    "--set unknown key": ({}, ["--set", "link_workers.ftee=3"],
                          ["--set", "link_workers.ftee", "did you mean 'link_workers.fte'"]),
    "--set bad value": ({}, ["--set", "volunteering.spillover=1.5"], ["--set", "volunteering.spillover"]),
    "--set no value": ({}, ["--set", "link_workers.fte"], ["--set", "link_workers.fte"]),
    "yaml exec tag": ({"evil.yaml": 'simulation: !!python/object/apply:os.system ["touch {d}/pwned"]\n'},
                      ["{d}/evil.yaml"], ["evil.yaml"]),
    "unknown extension": ({"s.json": "{{}}"}, ["{d}/s.json"], ["s.json"]),
    "directory as config": ({"cfgdir/x": ""}, ["{d}/cfgdir"], ["cfgdir", "directory"]),
    "bad overlay": ({"base.toml": "[link_workers]\nfte = 3\n", "shock.toml": "[groups]\ncont = 3\n"},
                    ["{d}/base.toml", "--overlay", "{d}/shock.toml"], ["shock.toml", "groups.cont"]),
    "--weeks 0": ({}, ["--weeks", "0"], ["--weeks"]),
    "--weeks x": ({}, ["--weeks", "x"], ["--weeks", "'x'"]),
    "--replicates 0": ({}, ["--replicates", "0"], ["--replicates"]),
    "--workers -1": ({}, ["--workers", "-1"], ["--workers"]),
    "--seed -1": ({}, ["--seed", "-1"], ["--seed"]),
    "unknown option": ({}, ["--bogus"], ["--bogus"]),
}


def make_case(tmp_path: Path, name: str) -> tuple[list[str], list[str]]:
    files, argv, names = BAD[name]
    for fname, text in files.items():
        p = tmp_path / fname
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text.format(d=tmp_path))
    return [a.format(d=tmp_path) for a in argv], names


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, case):
    argv, names = make_case(tmp_path, case)
    before = snapshot(tmp_path)
    out = tmp_path / "out"
    rc = main(["run", *argv, *SMALL, "--out", str(out)])
    line = assert_one_line_error(rc, *capsys.readouterr())
    for n in names:
        assert n in line, (n, line)
    assert not out.exists()
    assert snapshot(tmp_path) == before  # nothing else appeared (no temp folder, no pwned marker)


@pytest.mark.parametrize("case", ["negative fte", "unknown key", "yaml exec tag", "--weeks x", "unknown option"])
def test_bad_input_leaves_an_existing_out_folder_untouched(tmp_path, capsys, case):
    argv, _ = make_case(tmp_path, case)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("previous results\n")
    (out / "notes.txt").write_text("keep me\n")
    before = snapshot(tmp_path)
    rc = main(["run", *argv, *SMALL, "--out", str(out)])
    assert_one_line_error(rc, *capsys.readouterr())
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("case", ["missing file", "wrong type", "unknown key", "bad overlay", "--set unknown key"])
def test_validate_refuses_bad_input_the_same_way(tmp_path, capsys, case):
    argv, names = make_case(tmp_path, case)
    line = assert_one_line_error(main(["validate", *argv]), *capsys.readouterr())
    for n in names:
        assert n in line


def test_out_path_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "out"
    f.write_text("not a folder")
    line = assert_one_line_error(main(["run", *SMALL, "--out", str(f)]), *capsys.readouterr())
    assert str(f) in line
    assert f.read_text() == "not a folder"


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["run", "a.toml", "b.toml"], ["params", "--json"]])
def test_bad_command_line(argv, capsys):
    assert_one_line_error(main(argv), *capsys.readouterr())


@pytest.mark.parametrize("case", ["yaml exec tag", "--weeks x"])  # a few only: each costs an interpreter start
def test_subprocess_bad_input(tmp_path, case):
    argv, names = make_case(tmp_path, case)
    before = snapshot(tmp_path)
    p = run_subprocess(["run", *argv, "--out", "out"], cwd=tmp_path)
    line = assert_one_line_error(p.returncode, p.stdout, p.stderr)
    for n in names:
        assert n in line
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------------------------ writing fails
def _failing(real, fail_on: int, calls: list):
    """A writer that works ``fail_on - 1`` times, then writes half a file and raises."""

    def writer(obj, path):
        calls.append(path.name)
        if len(calls) == fail_on:
            Path(path).write_bytes(b"half a fi")
            raise OSError(28, "No space left on device")
        return real(obj, path)

    return writer


@pytest.mark.parametrize(
    "writer, fail_on",
    [("write_parquet", 1), ("write_csv", 1), ("write_csv", 2), ("write_json", 1)],
)
@pytest.mark.parametrize("existing", [False, True])
def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch, capsys, writer, fail_on, existing):
    calls: list = []
    run_module = spsim.interfaces.cli.run
    monkeypatch.setattr(run_module, writer, _failing(getattr(run_module, writer), fail_on, calls))
    out = tmp_path / "new" / "deeper" / "out"
    if existing:
        out.mkdir(parents=True)
        (out / "summary.csv").write_text("previous results\n")
        (out / "timeseries.csv").write_text("previous results\n")
    before = snapshot(tmp_path)
    # an uncaught exception fails this test: the user must get one line and exit status 2
    rc = main(["run", *SMALL, "--set", "simulation.burn_in_weeks=2", "--out", str(out), "--quiet"])
    assert rc == 2
    assert len(calls) == fail_on, "the patched writer was not reached"
    err = capsys.readouterr().err
    assert err.startswith("spsim: error:") and "No space left on device" in err and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before  # not created, not partly updated, no temp folder, no parents


# ------------------------------------------------------------------------------------ validate, params
def test_validate_prints_toml_that_loads_back(tmp_path, capsys):
    cfg_file = tmp_path / "s.yaml"
    cfg_file.write_text('simulation:\n  name: "town \\"A\\"\\tB"\nlink_workers:\n  fte: 3.5\n')
    ov = tmp_path / "ov.toml"
    ov.write_text("[groups]\ncount = 42\n")
    args = [str(cfg_file), "--overlay", str(ov), "--set", "volunteering.spillover=0.33"]
    assert main(["validate", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    expected = load_config(cfg_file, ["volunteering.spillover=0.33"], overlays=[ov])
    assert validate(tomllib.loads(out)) == expected
    assert expected.simulation.name == 'town "A"\tB' and expected.groups.count == 42
    printed = tmp_path / "printed.toml"
    printed.write_text(out)
    assert load_config(printed) == expected
    assert main(["validate", str(printed)]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == out.splitlines()[1:]  # idempotent after the header


def test_validate_default(capsys):
    assert main(["validate"]) == 0
    assert validate(tomllib.loads(capsys.readouterr().out)) == load_config()


def _md_cells(line: str) -> list[str]:
    """Split a Markdown table row on unescaped pipes."""
    cells, cur, i = [], "", 0
    body = line.strip()
    assert body.startswith("|") and body.endswith("|"), line
    body = body[1:-1]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] == "|":
            cur += "|"
            i += 2
            continue
        if body[i] == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += body[i]
        i += 1
    cells.append(cur.strip())
    return cells


def test_params_markdown_has_a_row_per_parameter(capsys):
    assert main(["params", "--markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = _md_cells(lines[0])
    assert header == ["key", "default", "unit", "range", "source", "meaning"]
    rows = [_md_cells(x) for x in lines[2:]]
    table = parameter_table()
    assert len(rows) == len(table)
    for cells, r in zip(rows, table, strict=True):
        assert len(cells) == len(header), cells
        assert cells[0] == f"`{r['key']}`"
        assert cells[3] == r["range"] and cells[4] == r["source"]


def test_params_plain_lists_every_key(capsys):
    assert main(["params"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [x.split(" = ")[0] for x in lines] == [r["key"] for r in parameter_table()]


def test_params_into_a_closed_pipe_has_no_traceback(tmp_path):
    """`spsim params | head -1` must not end in a BrokenPipeError traceback."""
    r, w = os.pipe()
    os.close(r)  # every write to w fails with EPIPE
    try:
        env = dict(os.environ, PYTHONPATH=str(SRC))
        p = subprocess.run([sys.executable, "-m", "spsim", "params", "--markdown"], cwd=tmp_path, env=env,
                           stdout=w, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(w)
    assert "Traceback" not in p.stderr, p.stderr
    assert p.stderr.count("\n") <= 1
    assert p.returncode != 0  # the output was not delivered

"""Scenario files, ``--set`` overrides and overlays: what is accepted, what is refused and how.

Every refusal must be a :class:`ConfigError` whose text is one line naming the file (or
``--set``) and, where there is one, the dotted field.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spsim.interfaces.cli.common import dump_toml
from spsim.model.config import DEFAULT_SOURCE, ConfigError, load_config, to_dict, validate
from spsim.model.overrides import parse_value
from spsim.model.params import Config, PracticeRow, TeamParams, parameter_table

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"
TABLE = parameter_table()
KEYS = [r["key"] for r in TABLE]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def config_error(*args, **kwargs) -> ConfigError:
    """Call load_config expecting a ConfigError; check it is one line and return it."""
    with pytest.raises(ConfigError) as info:
        load_config(*args, **kwargs)
    err = info.value
    assert "\n" not in str(err) and "\r" not in str(err), repr(str(err))
    assert str(err).strip() == str(err)
    return err


def get(cfg: Config, key: str):
    section, name = key.split(".")
    if section == "teams[]":  # a list of sections: the row documents one item's defaults
        return getattr(TeamParams(), name)
    if section == "practice_list[]":
        return getattr(PracticeRow(), name)
    return getattr(getattr(cfg, section), name)


# ------------------------------------------------------------------------------------ defaults
def test_builtin_default_equals_shipped_default_files():
    builtin = load_config()
    assert builtin == Config()
    # the shipped files also state the population they describe (docs/places.md)
    stated = Config.model_validate({"population": {"described": 50_000}})
    assert load_config(CONFIGS / "default.toml") == stated
    assert load_config(CONFIGS / "default.yaml") == stated
    assert load_config(str(CONFIGS / "default.yaml")) == stated  # str paths too


def test_defaults_validate_and_round_trip_through_dict():
    cfg = Config()
    assert validate(to_dict(cfg)) == cfg
    for row in TABLE:
        assert get(cfg, row["key"]) == row["default"], row["key"]


def test_parameter_table_has_every_leaf_field_once():
    flat = []
    for s, sec in to_dict(Config()).items():
        fields = {"teams": TeamParams.model_fields, "practice_list": PracticeRow.model_fields}.get(s, sec)
        flat += [f"{s}[].{k}" if s in ("teams", "practice_list") else f"{s}.{k}" for k in fields]
    assert KEYS == flat
    assert len(set(KEYS)) == len(KEYS)


@pytest.mark.parametrize("row", TABLE, ids=KEYS)
def test_every_parameter_is_documented(row):
    assert row["unit"].strip(), "no unit"
    assert row["description"].strip(), "no description"
    assert row["range"].strip() and row["range"].strip() != "to", f"no range: {row['range']!r}"
    src = row["source"].strip()
    assert src, "no source"
    if src == "-":  # only run controls (name, seed, replicates) may have no source
        assert row["key"].startswith("simulation."), f"{row['key']} is a model parameter without a source"


def _numeric_rows():
    """Numeric parameters that --set can reach (items of the teams list are set in files)."""
    return [r for r in TABLE if isinstance(r["default"], (int, float)) and not isinstance(r["default"], bool)
            and "[]" not in r["key"]]


def _bounds(text: str) -> tuple[str, str]:
    lo, sep, hi = text.partition(" to ")
    assert sep, f"range {text!r} is not 'LO to HI'"
    return lo.strip(), hi.strip()


def _accepts(key: str, value) -> bool:
    section, name = key.split(".")
    try:
        validate({section: {name: value}})
    except ConfigError as e:
        assert e.field == key, (e.field, key)
        return False
    return True


@pytest.mark.parametrize("row", _numeric_rows(), ids=[r["key"] for r in _numeric_rows()])
def test_documented_range_is_the_validated_range(row):
    """The range printed by `spsim params` is exactly what validation lets through."""
    key, is_int = row["key"], isinstance(row["default"], int)
    lo_s, hi_s = _bounds(row["range"])
    for text, direction in ((lo_s, -math.inf), (hi_s, math.inf)):
        exclusive = "excl" in text
        num_text = text.split()[0]
        if is_int:
            v = int(num_text)
            assert _accepts(key, v) != exclusive, f"{key}: bound {v} ({text})"
            assert not _accepts(key, v + (1 if direction > 0 else -1)), f"{key}: just outside {v}"
        else:
            num = float(num_text)
            assert _accepts(key, num) != exclusive, f"{key}: bound {num} ({text})"
            assert not _accepts(key, float(np.nextafter(num, direction))), f"{key}: just outside {num}"
            if exclusive:
                assert _accepts(key, float(np.nextafter(num, -direction)))
    assert _accepts(key, row["default"])


def test_choice_parameter_range_lists_the_choices():
    row = next(r for r in TABLE if r["key"] == "link_workers.waiting_policy")
    choices = [c.strip() for c in row["range"].split("|")]
    assert choices == ["fifo", "need"]
    for c in choices:
        assert load_config(overrides=[f"link_workers.waiting_policy={c}"]).link_workers.waiting_policy == c
    err = config_error(overrides=["link_workers.waiting_policy=lifo"])
    assert err.field == "link_workers.waiting_policy"


# ------------------------------------------------------------------------------------ --set
@pytest.mark.parametrize(
    "text, expected",
    [("3", 3), ("-7", -7), ("0.2", 0.2), ("1e3", 1000.0), ("true", True), ("false", False),
     ('"fifo"', "fifo"), ("fifo", "fifo"), ("hello world", "hello world"), ("", "")],
)
def test_parse_value(text, expected):
    got = parse_value(text)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    "assignment, key, expected",
    [
        ("link_workers.fte=3", "link_workers.fte", 3.0),
        ("link_workers.fte=0.5", "link_workers.fte", 0.5),
        ("simulation.weeks=12", "simulation.weeks", 12),
        ("volunteering.spillover=0.4", "volunteering.spillover", 0.4),
        ("simulation.name=my town", "simulation.name", "my town"),
        ('simulation.name="quoted"', "simulation.name", "quoted"),
        ("link_workers.waiting_policy=need", "link_workers.waiting_policy", "need"),
        (" groups.count = 7 ", "groups.count", 7),
    ],
)
def test_set_reaches_the_right_field_and_nothing_else(assignment, key, expected):
    cfg = load_config(overrides=[assignment])
    got = get(cfg, key)
    assert got == expected and type(got) is type(expected)
    base, new = to_dict(Config()), to_dict(cfg)
    section, name = key.split(".")
    base[section].pop(name)
    new[section].pop(name)
    assert new == base


def test_later_set_wins_and_set_beats_file(tmp_path):
    f = write(tmp_path, "s.toml", "[link_workers]\nfte = 3.0\ncaseload_per_fte = 20\n")
    cfg = load_config(f, ["link_workers.fte=4", "link_workers.fte=5"])
    assert cfg.link_workers.fte == 5.0
    assert cfg.link_workers.caseload_per_fte == 20  # the file's other keys survive


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0))
def test_any_spillover_in_range_round_trips_through_set(x):
    cfg = load_config(overrides=[f"volunteering.spillover={x!r}"])
    assert cfg.volunteering.spillover == x


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats(max_value=0.0, exclude_max=True), st.floats(min_value=1.0, exclude_min=True)))
def test_any_spillover_out_of_range_is_refused(x):
    err = config_error(overrides=[f"volunteering.spillover={x!r}"])
    assert err.field == "volunteering.spillover"
    assert "--set" in err.source


def test_nan_is_refused_everywhere_a_float_is_bounded():
    err = config_error(overrides=["volunteering.spillover=nan"])
    assert err.field == "volunteering.spillover"


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=5200))
def test_any_weeks_in_range_round_trips(w):
    assert load_config(overrides=[f"simulation.weeks={w}"]).simulation.weeks == w


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.integers(max_value=0), st.integers(min_value=5201)))
def test_any_weeks_out_of_range_is_refused(w):
    err = config_error(overrides=[f"simulation.weeks={w}"])
    assert err.field == "simulation.weeks"


@settings(max_examples=40, deadline=None)
@given(st.floats(max_value=0.0, exclude_max=True, allow_nan=False))
def test_any_negative_fte_is_refused(x):
    err = config_error(overrides=[f"link_workers.fte={x!r}"])
    assert err.field == "link_workers.fte"


@pytest.mark.parametrize(
    "assignment, field, hint",
    [
        ("link_workers.ftee=3", "link_workers.ftee", "link_workers.fte"),
        ("link_worker.fte=3", "link_worker.fte", "link_workers"),
        ("volunteering.spilover=0.2", "volunteering.spilover", "volunteering.spillover"),
        ("simulaton.weeks=3", "simulaton.weeks", "simulation"),
    ],
)
def test_set_unknown_key_suggests(assignment, field, hint):
    err = config_error(overrides=[assignment])
    assert err.source == "--set"
    assert err.field == field
    assert f"did you mean '{hint}'" in str(err)


@pytest.mark.parametrize("assignment", ["link_workers.fte", "fte=3", "link_workers.fte.x=3", "=3"])
def test_malformed_set_is_refused(assignment):
    err = config_error(overrides=[assignment])
    assert err.source == "--set"
    key = assignment.partition("=")[0]
    if key:
        assert err.field == key


# ------------------------------------------------------------------------------------ bad files
@pytest.mark.parametrize(
    "name, text, field, hint",
    [
        ("a.toml", "[link_workers]\nftee = 3\n", "link_workers.ftee", "fte"),
        ("b.toml", "[link_worker]\nfte = 3\n", "link_worker", "link_workers"),
        ("c.yaml", "volunteering:\n  spilover: 0.2\n", "volunteering.spilover", "spillover"),
        ("d.yml", "simulaton:\n  weeks: 3\n", "simulaton", "simulation"),
    ],
)
def test_unknown_key_in_file_names_file_field_and_suggests(tmp_path, name, text, field, hint):
    f = write(tmp_path, name, text)
    err = config_error(f)
    assert err.source == str(f)
    assert err.field == field
    assert str(f) in str(err) and field in str(err)
    assert f"did you mean '{hint}'" in str(err)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=20).filter(lambda k: k not in {r["key"].split(".")[1] for r in TABLE}))
def test_any_unknown_key_gives_a_one_line_error(key):
    with pytest.raises(ConfigError) as info:
        validate({"link_workers": {key: 1}}, "x.toml")
    msg = str(info.value)
    assert "\n" not in msg and "\r" not in msg, repr(msg)
    assert info.value.field == f"link_workers.{key}"
    assert "unknown key" in msg
    if key.isprintable():
        assert key in msg


@pytest.mark.parametrize(
    "name, text, field",
    [
        ("wt.toml", '[link_workers]\nfte = "lots"\n', "link_workers.fte"),
        ("wt2.toml", "[simulation]\nweeks = 2.5\n", "simulation.weeks"),
        ("wt3.toml", "[simulation]\nname = 3\n", "simulation.name"),
        ("wt4.toml", "[simulation]\nweeks = true\n", "simulation.weeks"),
        ("wt5.toml", "[link_workers]\nfte = false\n", "link_workers.fte"),
        ("wt6.toml", "link_workers = 3\n", "link_workers"),
        ("wt7.yaml", "link_workers:\n  fte: [1, 2]\n", "link_workers.fte"),
        ("wt8.yaml", "link_workers:\n  waiting_policy: lifo\n", "link_workers.waiting_policy"),
        ("neg.toml", "[link_workers]\nfte = -1\n", "link_workers.fte"),
        ("sp.toml", "[volunteering]\nspillover = 1.5\n", "volunteering.spillover"),
        ("w0.toml", "[simulation]\nweeks = 0\n", "simulation.weeks"),
        ("p.yaml", "population:\n  size: 10\n", "population.size"),
    ],
)
def test_wrong_type_or_out_of_range_names_file_and_field(tmp_path, name, text, field):
    f = write(tmp_path, name, text)
    err = config_error(f)
    assert err.source == str(f)
    assert err.field == field
    assert f"{f}: {field}: " in str(err)


def test_yaml_exec_tag_is_refused_and_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    f = write(tmp_path, "evil.yaml",
              f'simulation: !!python/object/apply:os.system ["touch {marker}"]\n')
    err = config_error(f)
    assert err.source == str(f)
    assert "yaml" in str(err).lower()
    assert not marker.exists()
    f2 = write(tmp_path, "evil2.yaml",
               f"link_workers:\n  fte: !!python/object/apply:subprocess.call [[touch, {marker}]]\n")
    config_error(f2)
    assert not marker.exists()


@pytest.mark.parametrize("name, text", [("e.toml", ""), ("e2.toml", "\n  \n"), ("e.yaml", ""),
                                        ("e2.yaml", "# only a comment\n"), ("e3.yaml", "---\n")])
def test_empty_file_is_refused(tmp_path, name, text):
    f = write(tmp_path, name, text)
    err = config_error(f)
    assert err.source == str(f)
    assert "empty" in str(err)


def test_explicitly_empty_table_is_the_default(tmp_path):
    assert load_config(write(tmp_path, "t.toml", "[simulation]\n")) == Config()
    assert load_config(write(tmp_path, "t.yaml", "{}\n")) == Config()


def test_missing_file(tmp_path):
    f = tmp_path / "nope.toml"
    err = config_error(f)
    assert err.source == str(f) and "not found" in str(err)


def test_directory_instead_of_file(tmp_path):
    d = tmp_path / "scenario.toml"
    d.mkdir()
    err = config_error(d)
    assert err.source == str(d) and "directory" in str(err)


@pytest.mark.parametrize("name", ["s.json", "s.txt", "s"])
def test_unknown_extension(tmp_path, name):
    f = write(tmp_path, name, "[link_workers]\nfte = 3\n")
    err = config_error(f)
    assert err.source == str(f) and "file type" in str(err)


@pytest.mark.parametrize(
    "name, text",
    [("bad.toml", "a = [1,\n"), ("bad.yaml", "a: [1,\n"), ("list.yaml", "- 1\n- 2\n"),
     ("scalar.yaml", "3\n")],
)
def test_unparseable_or_non_table_file(tmp_path, name, text):
    f = write(tmp_path, name, text)
    err = config_error(f)
    assert err.source == str(f)


def test_undecodable_file(tmp_path):
    f = tmp_path / "bin.toml"
    f.write_bytes(b"\xff\xfe\x00[")
    err = config_error(f)
    assert err.source == str(f)


# ------------------------------------------------------------------------------------ overlays
def test_overlay_values_win_and_the_rest_merges(tmp_path):
    base = write(tmp_path, "base.toml",
                 "[link_workers]\nfte = 3.0\ncaseload_per_fte = 20\n[volunteering]\nspillover = 0.2\n")
    ov1 = write(tmp_path, "ov1.yaml", "link_workers:\n  fte: 5.0\ngroups:\n  count: 7\n")
    ov2 = write(tmp_path, "ov2.toml", "[groups]\ncount = 9\n")
    cfg = load_config(base, overlays=[ov1, ov2])
    assert cfg.link_workers.fte == 5.0
    assert cfg.link_workers.caseload_per_fte == 20
    assert cfg.volunteering.spillover == 0.2
    assert cfg.groups.count == 9
    assert load_config(base, ["groups.count=11"], overlays=[ov1, ov2]).groups.count == 11
    assert load_config(None, overlays=[ov2]).groups.count == 9  # overlay on the built-in default


@pytest.mark.parametrize(
    "text, field",
    [("[link_workers]\nftee = 5\n", "link_workers.ftee"),
     ("[volunteering]\nspillover = 1.5\n", "volunteering.spillover")],
)
def test_overlay_errors_name_the_overlay_file(tmp_path, text, field):
    base = write(tmp_path, "base.toml", "[link_workers]\nfte = 3.0\n")
    ov = write(tmp_path, "shock.toml", text)
    err = config_error(base, overlays=[ov])
    assert err.source == str(ov)
    assert err.field == field


def test_missing_overlay_names_the_overlay(tmp_path):
    base = write(tmp_path, "base.toml", "[link_workers]\nfte = 3.0\n")
    ov = tmp_path / "missing.toml"
    err = config_error(base, overlays=[ov])
    assert err.source == str(ov)


def test_error_source_for_builtin_default_with_set():
    err = config_error(overrides=["link_workers.fte=-1"])
    assert err.source.startswith(DEFAULT_SOURCE) and "--set" in err.source


# ------------------------------------------------------------------------------------ printing
@settings(max_examples=80, deadline=None)
@given(
    name=st.text(max_size=30),
    spill=st.floats(min_value=0.0, max_value=1.0),
    # no service, or at least one caseload place (a smaller FTE is refused: docs/reliability.md)
    fte=st.one_of(st.just(0.0), st.floats(min_value=0.1, max_value=1000.0)),
    seed=st.integers(min_value=0, max_value=2**63 - 1),
)
def test_dumped_toml_loads_back_to_the_same_config(name, spill, fte, seed):
    cfg = validate({"simulation": {"name": name, "seed": seed}, "volunteering": {"spillover": spill},
                    "link_workers": {"fte": fte}})
    text = dump_toml(to_dict(cfg))
    assert validate(tomllib.loads(text)) == cfg

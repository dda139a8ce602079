"""The teaching notebooks: generated from notebooks/build.py, and they run top to bottom."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import import_or_skip, load_script

# missing packages skip these tests on a developer's machine and fail them under CI
nbformat = import_or_skip("nbformat", "pip install the notebooks extra")
nbclient = import_or_skip("nbclient", "pip install the notebooks extra")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _build_module():
    return load_script(NOTEBOOKS / "build.py", "notebooks_build")


def test_committed_notebooks_are_what_build_py_writes(tmp_path):
    build = _build_module()
    written = build.main(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    for p in written:
        assert p.read_bytes() == (NOTEBOOKS / p.name).read_bytes(), f"run python notebooks/build.py ({p.name})"
        nb = nbformat.read(p, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # committed clean


def test_there_are_four_notebooks_and_the_readme_says_how_to_open_them():
    assert [p.name for p in sorted(NOTEBOOKS.glob("*.ipynb"))] == [
        "01_guided_tour.ipynb", "02_levers.ipynb", "03_pre_post_evaluation.ipynb", "04_feedback_loops.ipynb"]
    readme = (NOTEBOOKS.parent / "README.md").read_text()
    assert "jupyter lab notebooks/" in readme


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebook_runs_top_to_bottom_from_any_folder(name, tmp_path):
    """Each notebook runs in a kernel started in an unrelated folder (not notebooks/, not the repository),
    as a teacher's Jupyter might be: it finds the repository's configs by itself."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2, f"{name}: expected its plots, got {len(images)} images"

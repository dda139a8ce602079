"""Under CI a missing test dependency fails the run instead of skipping silently."""

from __future__ import annotations

import pytest

from conftest import import_or_skip

MISSING = "spsim_no_such_package_for_this_test"


def test_missing_package_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="missing under CI"):
        import_or_skip(MISSING)


def test_missing_package_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        import_or_skip(MISSING)


def test_present_package_is_returned_either_way(monkeypatch):
    for ci in ("true", None):
        if ci:
            monkeypatch.setenv("CI", ci)
        else:
            monkeypatch.delenv("CI", raising=False)
        assert import_or_skip("json").dumps([1]) == "[1]"

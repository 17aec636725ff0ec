"""File names derived from user-chosen ids: safe on any file system, and one per id."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infrabt.data.files import safe_filename


@pytest.mark.parametrize(("name", "expected"), [("infra_thesis", "infra_thesis"), ("é1", "~0000e91")])
def test_ascii_ids_keep_their_name_and_others_are_spelled_out(name, expected):
    assert safe_filename(name) == expected


def test_ids_that_once_shared_a_tear_sheet_get_their_own():
    assert len({safe_filename(name) for name in ("é1", "ü1", "_1", "~1")}) == 4


@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12))
def test_different_names_never_share_a_file(first, second):
    names = {safe_filename(first), safe_filename(second)}
    assert len(names) == len({first, second})
    assert all(name.isascii() and "/" not in name and not name.startswith(".") for name in names)


def test_a_worker_whose_parent_is_gone_writes_nothing(tmp_path, monkeypatch):
    import infrabt.data.processes
    from infrabt.data.files import OrphanedWorker, write_text

    monkeypatch.setattr(infrabt.data.processes, "_parent", -1)  # not our parent: it is gone
    with pytest.raises(OrphanedWorker, match="the process that asked for it is gone"):
        write_text(tmp_path / "spy.html", "late")
    assert list(tmp_path.iterdir()) == [], "neither the file nor its temp file"

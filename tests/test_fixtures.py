"""The shared fixtures keep to the tests that ask for them: the order of the suite never changes a result.

The two tests run in file order: the first asks for ``shared_prices``; the second does not, and must not
see them.
"""

import os
from pathlib import Path

import pytest

from infrabt.data.paths import data_dir

_seen: dict[str, Path] = {}


def test_a_test_that_asks_for_the_shared_prices_reads_them(shared_prices):
    _seen["shared_prices"] = shared_prices
    assert data_dir() == shared_prices and os.environ["INFRABT_OFFLINE"] == "1"


def test_a_test_that_does_not_ask_for_the_shared_prices_does_not_see_them():
    if "shared_prices" not in _seen:
        pytest.skip("runs after the test above, which was not run")
    assert os.environ.get("INFRABT_DATA_DIR") != str(_seen["shared_prices"])
    assert data_dir() != _seen["shared_prices"]

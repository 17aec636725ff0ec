"""The open universe: shipped metadata, the user's own files merged over it, calendars read off the data."""

import os

import pandas as pd
import pytest

from infrabt.data.errors import ConfigError, UnknownTickerError
from infrabt.data.universe import group, load_universe, resolve, ticker
from infrabt.strategies import EqualWeight, Strategy

USER_FILE = """
[tickers.CRWV]
group = "gpu_datacenter"
name = "CoreWeave"
asset_class = "equity"

[tickers.SUI-USD]
group = "ai_tokens"

[tickers.SPY]
note = "my note"

[groups]
ai_newcomers = ["CRWV", "NVDA"]
"""


def test_an_infrabt_toml_in_the_working_directory_is_merged_over_the_shipped_universe(tmp_path, monkeypatch):
    (tmp_path / "infrabt.toml").write_text(USER_FILE)
    monkeypatch.chdir(tmp_path)
    universe = load_universe()
    assert universe["CRWV"].name == "CoreWeave"
    assert universe["SPY"].note == "my note" and universe["SPY"].group == "benchmark"  # fields merged
    assert "CRWV" in group("gpu_datacenter") and "NVDA" in group("gpu_datacenter")
    assert resolve(["ai_newcomers"]) == ("CRWV", "NVDA")
    assert group("ai_tokens") == ("SUI-USD",)


def test_the_universe_option_file_wins_over_the_others(tmp_path, monkeypatch):
    (tmp_path / "infrabt.toml").write_text('[tickers.CRWV]\nname = "from cwd"\n')
    explicit = tmp_path / "mine.toml"
    explicit.write_text('[tickers.CRWV]\nname = "from --universe"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INFRABT_UNIVERSE", str(explicit))
    assert ticker("CRWV").name == "from --universe"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tickers.CRWV\n", r"mine.toml is not valid TOML: .*line 1"),
        ('[tickers.CRWV]\nasset_class = "stock"\n', r"mine.toml: CRWV has asset_class 'stock'; use one of"),
        ('[tickers.CRWV]\ncolour = "red"\n', r"mine.toml: tickers.CRWV has unknown key\(s\) colour"),
        ('[groups]\nai = ["CRWV"]\n', r"group ai names CRWV, which no universe file lists"),
        ('[groups]\nai = ["nvda"]\n', r"group ai names nvda, which no .*; did you mean NVDA\? symbols are"),
        ('[groups]\nSPY = ["QQQ"]\n', r"SPY is both a group and a ticker"),
        ("[portfolio]\nx = 1\n", r"mine.toml: unknown table\(s\) portfolio"),
        ('[tickers.crwv]\ngroup = "ai"\n', r"\[tickers.crwv\]: .*upper case; write \[tickers.CRWV\]"),
        ('[tickers."brk.b"]\ngroup = "x"\n', r'\[tickers."brk.b"\]: .*upper case; write \[tickers."BRK.B"\]'),
    ],
)
def test_a_malformed_user_universe_names_the_file_and_the_fix(tmp_path, monkeypatch, text, message):
    explicit = tmp_path / "mine.toml"
    explicit.write_text(text)
    monkeypatch.setenv("INFRABT_UNIVERSE", str(explicit))
    with pytest.raises(ConfigError, match=message):
        load_universe()


def test_an_unlisted_ticker_takes_its_calendar_from_its_data(tmp_store, make_prices):
    tmp_store.write("SUI-X", make_prices([1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7], freq="D"), "test")
    tmp_store.write("APLD", make_prices([1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7], freq="B"), "test")
    assert ticker("SUI-X").trades_weekends and not ticker("APLD").trades_weekends
    assert ticker("SUI-X").group == "unlisted"
    crypto = Strategy(id="sui", thesis="t", weighting=EqualWeight(), assets=("SUI-X",), calendar="crypto")
    assert crypto.crypto_only


def test_an_unlisted_ticker_not_cached_yet_is_read_off_its_symbol(tmp_store):
    assert ticker("TAO-USD").trades_weekends and not ticker("MSTR").trades_weekends


def test_a_symbol_that_is_no_symbol_is_refused_with_a_suggestion():
    with pytest.raises(UnknownTickerError, match=r"'BTC USD' is not a ticker symbol.*did you mean BTC-USD"):
        resolve(["BTC USD"])


def test_the_shipped_universe_still_lists_the_41_tickers_in_five_groups():
    universe = load_universe()
    assert len(universe) == 41
    assert {t.group for t in universe.values()} == {
        "benchmark", "crypto", "miners", "gpu_datacenter", "tokenization",
    }  # fmt: skip
    assert all(t.asset_class in ("crypto", "equity", "etf") for t in universe.values())
    assert pd.Index(universe).is_unique


@pytest.mark.parametrize(
    "text",
    [
        '[groups]\n"my rails" = "SPY"\n',
        'tickers."^GSPC" = 5\n',
        '[tickers.HUT]\ngroup = "miners"\nasset_class = "equity"\n[groups]\n"new miners" = ["HUT", "^X"]\n',
    ],
)
def test_the_suggested_toml_line_is_valid_toml(tmp_path, monkeypatch, text):
    import tomllib

    explicit = tmp_path / "mine.toml"
    explicit.write_text(text)
    monkeypatch.setenv("INFRABT_UNIVERSE", str(explicit))
    with pytest.raises(ConfigError) as caught:
        load_universe()
    suggestion = str(caught.value).split("e.g. ", 1)[-1].split("add ", 1)[-1].split(" with its", 1)[0]
    assert suggestion.startswith(("[", '"')), str(caught.value)
    tomllib.loads(suggestion)  # raises if the line we tell the user to write is not TOML


def test_a_pinned_universe_is_read_once_and_re_read_after(tmp_path, monkeypatch):
    from infrabt.data.universe import current, pinned

    user = tmp_path / "mine.toml"
    user.write_text('[tickers.AAA]\ngroup = "first"\n')
    monkeypatch.setenv("INFRABT_UNIVERSE", str(user))
    with pinned():
        user.write_text('[tickers.AAA]\ngroup = "second"\n')
        os.utime(user, ns=(1, 10**18))  # a newer stamp, whatever the file system's clock resolution
        assert current().tickers["AAA"].group == "first"
    assert current().tickers["AAA"].group == "second"


def test_resolve_remembers_its_answers_but_not_its_errors():
    """The memo a sweep relies on: the same answer for a list or a one-shot generator, and an unknown
    symbol refused every time it is asked for, never remembered as empty."""
    first = resolve(name for name in ["miners", "SPY"])
    assert first == resolve(["miners", "SPY"]) == (*group("miners"), "SPY")
    for _ in range(2):
        with pytest.raises(UnknownTickerError):
            resolve(["not a symbol!"])

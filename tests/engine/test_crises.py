"""Crisis windows: the shipped file, user files and their errors, window statistics, computed drawdowns."""

import numpy as np
import pandas as pd
import pytest

from infrabt.data.errors import ConfigError
from infrabt.engine.crises import COLUMNS, Crisis, crisis_table, load_crises, window_stats, worst_drawdowns

ISSUE_WINDOWS = {
    "Q4 2018 sell-off": ("2018-09-20", "2018-12-24"),
    "COVID crash": ("2020-02-19", "2020-03-23"),
    "China mining ban": ("2021-05-12", "2021-07-20"),
    "2022 rate-hike bear": ("2022-01-03", "2022-10-12"),
    "Terra/Luna collapse": ("2022-05-05", "2022-05-12"),
    "FTX collapse": ("2022-11-06", "2022-11-21"),
    "SVB bank run": ("2023-03-08", "2023-03-13"),
    "Yen carry unwind": ("2024-07-16", "2024-08-05"),
    "DeepSeek shock": ("2025-01-24", "2025-01-27"),
    "2025 tariff crash": ("2025-02-19", "2025-04-08"),
    "October 2025 crypto liquidation": ("2025-10-06", "2025-11-21"),
}


def window(start: str, end: str, id: str = "w") -> Crisis:
    return Crisis(id=id, name=id.upper(), start=pd.Timestamp(start), end=pd.Timestamp(end))


def test_shipped_file_lists_every_window_of_the_issue_with_story_and_source():
    crises = {c.name: c for c in load_crises()}
    for name, (start, end) in ISSUE_WINDOWS.items():
        assert name in crises, name
        assert (crises[name].start, crises[name].end) == (pd.Timestamp(start), pd.Timestamp(end))
        assert crises[name].story and crises[name].source
    assert len({c.id for c in crises.values()}) == len(crises)


def test_window_return_drawdown_and_recovery_match_a_hand_computation():
    days = pd.bdate_range("2024-01-01", periods=12)
    values = np.array([100, 110, 105, 90, 80, 95, 100, 104, 108, 111, 90, 120.0])
    returns = pd.Series(values, index=days).pct_change().fillna(0.0)
    table = crisis_table(returns.to_frame("s"), [window(str(days[2].date()), str(days[5].date()))])
    row = table.iloc[0]
    assert row["return"] == pytest.approx(95 / 105 - 1)  # close of the start day to close of the end day
    assert row["max_drawdown"] == pytest.approx(80 / 105 - 1)  # worst fall from a high inside the window
    # the pre-window high is 110 (day 1); it is first regained on day 9 (111), four trading days after day 5
    assert row["recovery_days"] == 4


def test_a_window_on_non_trading_days_uses_the_last_close_before_each_date():
    days = pd.bdate_range("2024-01-01", periods=10)  # Monday 1st .. Friday 12th
    equity = pd.Series(np.arange(100.0, 110.0), index=days)
    ret, _, _ = window_stats(equity, window("2024-01-06", "2024-01-10"))  # Saturday -> Wednesday
    assert ret == pytest.approx(107 / 104 - 1)  # Friday 5th close -> Wednesday 10th close


def test_never_recovered_is_empty_and_already_above_is_zero():
    days = pd.bdate_range("2024-01-01", periods=6)
    falling = pd.Series([100, 90, 80, 70, 60, 50.0], index=days)
    rising = pd.Series([100, 90, 120, 130, 140, 150.0], index=days)
    assert window_stats(falling, window("2024-01-02", "2024-01-04"))[2] is None
    assert window_stats(rising, window("2024-01-02", "2024-01-04"))[2] == 0
    table = crisis_table(falling.pct_change().fillna(0).to_frame("s"), [window("2024-01-02", "2024-01-04")])
    assert pd.isna(table.loc[0, "recovery_days"])


def test_window_outside_the_data_is_kept_with_no_numbers():
    days = pd.bdate_range("2024-01-01", periods=30)
    returns = pd.DataFrame({"a": 0.01, "b": -0.01}, index=days)
    windows = [window("2020-02-19", "2020-03-23", "covid"), window("2024-01-05", "2024-02-20", "tail")]
    table = crisis_table(returns, windows)
    assert list(table.columns) == COLUMNS
    assert len(table) == 4  # every strategy x every window, none dropped
    assert table["return"].isna().all() and table["max_drawdown"].isna().all()
    assert list(table.start[table.window == "covid"]) == ["2020-02-19", "2020-02-19"]


def test_strategy_that_starts_late_has_no_data_for_earlier_windows():
    days = pd.bdate_range("2024-01-01", periods=40)
    returns = pd.DataFrame({"early": 0.001, "late": 0.002}, index=days)
    returns.loc[: days[19], "late"] = np.nan
    table = crisis_table(returns, [window("2024-01-03", "2024-01-10")]).set_index("strategy")
    assert not pd.isna(table.loc["early", "return"])
    assert pd.isna(table.loc["late", "return"])


def test_worst_drawdowns_are_the_deepest_separate_falls_labelled_as_computed():
    days = pd.bdate_range("2024-01-01", periods=13)
    values = [100, 90, 100, 101, 85, 105, 80, 106, 103, 108, 60, 65, 70.0]
    returns = pd.Series(values, index=days).pct_change().fillna(0.0)
    found = worst_drawdowns(returns, n=2, label="spy")
    # deepest: 108 -> 60 (never recovered); second: 105 -> 80; the 101 -> 85 fall is third and left out
    assert [(w.start, w.end) for w in found] == [(days[5], days[6]), (days[9], days[10])]
    assert all(w.computed for w in found)
    assert {w.id for w in found} == {"spy-dd1", "spy-dd2"}
    assert "not recovered" in next(w for w in found if w.id == "spy-dd1").story


def write(tmp_path, text: str):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    return path


GOOD = '[[crisis]]\nid = "a"\nname = "A"\nstart = 2020-01-02\nend = "2020-02-03"\nstory = "s"\nsource = "x"\n'


def test_user_file_with_toml_and_string_dates_loads(tmp_path):
    [crisis] = load_crises(write(tmp_path, GOOD))
    assert (crisis.id, crisis.start, crisis.end) == (
        "a",
        pd.Timestamp("2020-01-02"),
        pd.Timestamp("2020-02-03"),
    )


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD + "[[crisis]]\nid = 'b'\nname = 'B'\nstart = 2020-01-01\nend = 2020-13-40\n", 12, "line 12"),
        (GOOD + "[[crisis]]\nid = 'b'\nname = 'B'\nstart = 2021-05-01\nend = 2021-04-01\n", 11, "not before"),
        (GOOD + "[[crisis]]\nid = 'b'\nname = 'B'\nstart = 'soon'\nend = 2021-04-01\n", 11, "not a date"),
        (
            GOOD + "[[crisis]]\nid = 'b'\nname = 'B'\nstart = 2021-01-01\nend = 2021-04-01\ncolour = 1\n",
            13,
            "colour",
        ),
        (GOOD + "[[crisis]]\nid = 'b'\nstart = 2021-01-01\nend = 2021-04-01\n", 8, "'name'"),
        (
            GOOD + "[[crisis]]\nid = 'a'\nname = 'again'\nstart = 2021-01-01\nend = 2021-04-01\n",
            9,
            "twice",
        ),
        ("[crisis\nid = 1\n", 1, "line 1"),
    ],
)
def test_malformed_file_names_the_line(tmp_path, text, line, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_crises(path)
    message = str(err.value)
    assert str(path) in message and words in message
    if line:
        assert f"line {line}" in message


def test_user_file_cannot_reuse_a_shipped_id(tmp_path):
    path = write(tmp_path, GOOD.replace('id = "a"', 'id = "covid"'))
    with pytest.raises(ConfigError, match=r"line 2: crisis id 'covid' is used twice"):
        load_crises(path, taken=[c.id for c in load_crises()])


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_crises(tmp_path / "nope.toml")


def test_spy_crisis_numbers_match_the_shared_data(shared_prices):
    """Buy-and-hold SPY from the imported prices: COVID -33.7%, 2025 tariffs -18.8% (the issue's check)."""
    from infrabt.data.prices import load_prices

    prices = load_prices(["SPY"], start="2018-01-01", offline=True)
    returns = prices.pct_change().fillna(0.0).rename(columns={"SPY": "spy"})
    table = crisis_table(returns, load_crises()).set_index("window")
    assert round(table.loc["covid", "return"], 3) == -0.337
    assert round(table.loc["tariffs-2025", "return"], 3) == -0.188
    assert round(table.loc["covid", "max_drawdown"], 3) == -0.337

"""``infrabt data ...``: every bad input answers with one line naming the culprit and the fix, exit code 2, no
traceback, and the cache as it was."""

import pandas as pd
import pytest
from typer.testing import CliRunner
from yfinance.exceptions import YFTzMissingError

from infrabt.cli import app
from infrabt.data.universe import load_universe
from tests.conftest import DNS
from tests.faults import BAD_METADATA, CACHE_EDITS, edit_cache, set_metadata, start_python, wait_for
from tests.synthetic import random_walk

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["data", *args])


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), "only a clean exit, never an uncaught exception"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def snapshot(store):
    return {p.name: p.read_bytes() for p in store.prices_dir.glob("*")} if store.prices_dir.is_dir() else {}


@pytest.fixture
def csv_dir(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "SPY.csv").write_text("Date,Close,Adj Close\n2024-01-02,100,99\n2024-01-03,101,100\n")
    (folder / "NVDA.csv").write_text("Date,Adj Close\n2024-01-02,10\n2024-01-03,11\n")
    return folder


@pytest.mark.parametrize("command", ["update", "import", "list", "check"])
def test_every_command_explains_itself_with_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Example: infrabt data " + command in result.output


def test_import_then_list_and_check(tmp_store, csv_dir):
    result = invoke("import", str(csv_dir))
    assert result.exit_code == 0, result.output
    assert tmp_store.tickers() == ["NVDA", "SPY"]
    listed = invoke("list")
    assert listed.exit_code == 0
    rows = {line.split()[0]: line.split() for line in listed.stdout.splitlines() if line.strip()}
    assert rows["SPY"][1:5] == ["benchmark", "2024-01-02", "2024-01-03", "2"]
    assert "csv:csv/SPY.csv" in rows["SPY"]
    assert "not cached:" in listed.stderr and "QQQ" in listed.stderr
    checked = invoke("check")
    assert checked.exit_code == 0
    assert "2 cached tickers checked: all readable and valid" in checked.stderr
    assert "not cached:" in checked.stderr and "QQQ" in checked.stderr


def test_check_shows_suspicious_move_warnings(tmp_store, make_prices):
    tmp_store.write("CLSK", make_prices([15.0, 73.0, 35.0]), "test")
    result = invoke("check")
    assert result.exit_code == 0
    assert "CLSK: 2024-01-03: +386.7% in one day" in result.stderr


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ("Day,Close\n2024-01-02,1\n", ["no Date column"]),
        ("Date,Close\n02.01.2024,1\n", ["cannot read the date '02.01.2024'"]),
        ("Date,Close\n2024-01-02,1\n2024-01-02,2\n", ["duplicate date 2024-01-02"]),
        ("Date,Close\n2024-01-02,n/a\n", ["Close on 2024-01-02", "'n/a', not a number"]),
        ("Date,Adj Close\n2024-01-02,-3\n", ["Adj Close on 2024-01-02 is -3.0", "positive"]),
    ],
)
def test_bad_csv_is_one_line_error_and_cache_unchanged(tmp_store, csv_dir, body, fragments):
    assert invoke("import", str(csv_dir)).exit_code == 0
    before = snapshot(tmp_store)
    (csv_dir / "NVDA.csv").write_text(body)
    result = invoke("import", str(csv_dir))
    assert_one_line_error(result, "NVDA.csv", *fragments)
    assert snapshot(tmp_store) == before


def test_path_that_does_not_exist(tmp_store, tmp_path):
    assert_one_line_error(invoke("import", str(tmp_path / "missing")), "missing does not exist")


def test_csv_for_a_ticker_outside_the_universe_is_imported_and_listed(tmp_store, tmp_path):
    (tmp_path / "AAPL.csv").write_text("Date,Close\n2024-01-02,1\n")
    assert invoke("import", str(tmp_path / "AAPL.csv")).exit_code == 0
    assert tmp_store.tickers() == ["AAPL"]
    listed = invoke("list")
    assert "AAPL" in listed.output and "unlisted" in listed.output


def test_unknown_ticker(tmp_store):
    assert_one_line_error(invoke("update", "XYZ", "--offline"), "no cached prices for XYZ", "data import")


def test_start_after_end(tmp_store):
    assert_one_line_error(
        invoke("update", "SPY", "--start", "2024-02-01", "--end", "2024-01-01"), "after --end", "swap"
    )


def test_ticker_yfinance_returns_empty_for(fake_yahoo, tmp_store, monkeypatch, make_prices):
    monkeypatch.delenv("INFRABT_OFFLINE")
    tmp_store.write("MU", make_prices([1.0, 2.0]), "test")
    before = snapshot(tmp_store)
    fake_yahoo.failures["MU"] = [YFTzMissingError("MU")]
    result = invoke("update", "MU")
    assert_one_line_error(
        result, "yfinance returned no usable prices for MU", "no timezone found", "data import"
    )
    assert snapshot(tmp_store) == before


def test_no_network_falls_back_to_the_cache_with_a_warning(fake_yahoo, tmp_store, monkeypatch, make_prices):
    monkeypatch.delenv("INFRABT_OFFLINE")
    tmp_store.write("SPY", make_prices([1.0, 2.0]), "test")
    before = snapshot(tmp_store)
    fake_yahoo.failures["SPY"] = [Exception(DNS)]
    result = invoke("update", "SPY")
    assert result.exit_code == 1
    assert "warning: no network" in result.stderr and "kept the cached prices of SPY" in result.stderr
    assert snapshot(tmp_store) == before


def test_no_network_and_not_cached_fails_clearly(fake_yahoo, tmp_store, monkeypatch):
    monkeypatch.delenv("INFRABT_OFFLINE")
    fake_yahoo.failures["QQQ"] = [Exception(DNS)]
    assert_one_line_error(invoke("update", "QQQ"), "no network", "no cached prices for QQQ", "data import")


def test_offline_update_never_downloads(tmp_store, monkeypatch, make_prices):
    import yfinance as yf

    monkeypatch.delenv("INFRABT_OFFLINE")
    monkeypatch.setattr(yf, "download", lambda *a, **k: pytest.fail("--offline must not download"))
    tmp_store.write("SPY", make_prices([1.0, 2.0]), "test")
    result = invoke("update", "SPY", "--offline")
    assert result.exit_code == 0
    assert "offline, nothing downloaded; cached: SPY" in result.stderr
    assert_one_line_error(invoke("update", "QQQ", "--offline"), "offline", "infrabt data update QQQ")


def test_update_downloads_with_a_summary(fake_yahoo, tmp_store, monkeypatch):
    monkeypatch.delenv("INFRABT_OFFLINE")
    fake_yahoo.add("GLD", "2024-01-02", [1.0, 2.0, 3.0])
    result = invoke("update", "GLD", "--start", "2024-01-01", "--end", "2024-01-04")
    assert result.exit_code == 0, result.output
    assert "GLD: 2024-01-02 .. 2024-01-04 (3 rows)" in result.stderr
    assert tmp_store.metadata("GLD")["source"] == "yfinance"


def test_corrupt_parquet_is_reported_with_the_rebuild_command(tmp_store, make_prices):
    tmp_store.write("TSM", make_prices([1.0, 2.0]), "test")
    tmp_store.write("AMD", make_prices([1.0, 2.0]), "test")
    tmp_store.path("TSM").write_bytes(b"not parquet at all")
    result = invoke("check")
    assert result.exit_code == 2
    assert "TSM.parquet is corrupt" in result.stderr
    assert "`infrabt data update TSM`" in result.stderr.splitlines()[-1]
    listed = invoke("list")
    assert listed.exit_code == 0 and "corrupt" in listed.stdout


def test_shared_data_lists_all_41_tickers_with_their_true_ranges(shared_prices):
    result = invoke("list")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    universe = load_universe()
    assert len(universe) == 41
    assert set(universe) <= set(rows)
    assert rows["CORZ"][2:5] == ["2024-01-24", "2026-07-13", "618"]
    assert rows["SPY"][2:5] == ["2017-01-03", "2026-07-13", "2393"]
    assert rows["BTC-USD"][2:5] == ["2017-01-01", "2026-06-23", "3461"]
    assert "not cached" not in result.stderr


def test_shared_data_ranges_match_the_sources_table(shared_prices):
    """First, last and rows of every ticker as documented in ../shared/data/prices/SOURCES.md."""
    from infrabt.data.store import PriceStore
    from tests.conftest import SHARED_PRICES

    documented = {}
    for line in (SHARED_PRICES / "SOURCES.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) > 6 and cells[0] in load_universe():
            documented[cells[0]] = (cells[4], cells[5], int(cells[6]))
    assert len(documented) == 41
    store = PriceStore()
    for symbol, expected in documented.items():
        meta = store.metadata(symbol)
        assert (meta["first"], meta["last"], meta["rows"]) == expected, symbol


# --- a cache edited outside infrabt: never exit-0 results, always the command that repairs it ---


@pytest.fixture
def cached(tmp_store):
    """A year of generated SPY and QQQ adjusted closes."""
    walk = random_walk(["SPY", "QQQ"], start="2023-01-02", volatility=0.01)
    for symbol in walk:
        tmp_store.write(symbol, walk[[symbol]].set_axis(["Adj Close"], axis=1), source="test")
    return tmp_store


@pytest.mark.parametrize("edit", sorted(CACHE_EDITS))
def test_run_on_an_edited_cache_fails_naming_the_repair(cached, without_reports, tmp_path, edit):
    edit_cache(cached, "SPY", CACHE_EDITS[edit])
    result = runner.invoke(app, ["run", "qqq", "--offline", "--out", str(tmp_path / "out")])
    assert_one_line_error(result, "SPY.parquet", "infrabt data update SPY")
    assert not (tmp_path / "out" / "returns.csv").exists()


@pytest.mark.parametrize("edit", ["prices x100", "index reset to 1970", "text prices", "symlink"])
def test_check_catches_edits_that_keep_the_file_readable(cached, edit):
    if edit == "symlink":
        cached.path("SPY").unlink()
        cached.path("SPY").symlink_to(cached.path("QQQ"))
    else:
        edit_cache(cached, "SPY", CACHE_EDITS[edit])
    result = invoke("check")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "1 of 2 cached files are corrupt or invalid (SPY)" in result.stderr


@pytest.mark.parametrize("bad", sorted(BAD_METADATA))
def test_list_and_check_survive_malformed_metadata(cached, bad):
    set_metadata(cached, "SPY", BAD_METADATA[bad])
    listed = invoke("list")
    assert listed.exit_code == 0 and "corrupt" in listed.stdout
    assert_one_line_error_last(invoke("check"), "(SPY)")


def assert_one_line_error_last(result, fragment):
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert fragment in result.stderr.splitlines()[-1]


# --- usage errors and --out: one line, exit 2 ---


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "--fees", "abc"], "Invalid value for '--fees'"),
        (["run", "--bogus"], "No such option: --bogus"),
        (["run", "--out", ""], "'--out': is empty; give a folder name"),
        (["sweep", "spec.toml", "--out", " "], "'--out': is empty"),
        (["sweep", "spec.toml", "--out", "x", "--workers", "lots"], "Invalid value for '--workers'"),
        (["data", "nosuch"], "No such command 'nosuch'"),
    ],
)
def test_usage_errors_are_one_line(tmp_store, args, fragment):
    result = runner.invoke(app, args)
    assert_one_line_error(result, fragment, "--help")


def test_a_run_into_a_folder_in_use_fails_naming_the_holder(cached, without_reports, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    holder = start_python(
        "import sys, time\nfrom infrabt.data.locks import folder_lock\n"
        "with folder_lock(sys.argv[1]):\n    open(sys.argv[2], 'w').close()\n    time.sleep(60)\n",
        str(out),
        str(tmp_path / "held"),
    )
    try:
        assert wait_for((tmp_path / "held").exists)
        result = runner.invoke(app, ["run", "qqq", "--offline", "--out", str(out)])
    finally:
        holder.kill()
        holder.wait()
    assert_one_line_error(result, f"in use by infrabt process {holder.pid}")
    assert not (out / "returns.csv").exists()


def test_a_thesis_with_markup_is_listed_as_text(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "loud.py").write_text(
        "from infrabt.strategies import Fixed, Strategy\n"
        "STRATEGY = Strategy(id='loud', thesis='Own [/bold] the [red]rails.',\n"
        "                    weighting=Fixed({'SPY': 1.0}))\n"
    )
    result = runner.invoke(app, ["strategies", "--strategies-dir", str(folder)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Own [/bold] the [red]rails." in result.output


# --- every input that once gave a traceback: one line, exit 2 ---

SPEC = (
    'name = "probe"\nstrategy = "infra_thesis"\n[grid]\n'
    "btc_share = {{ start = 0.0, stop = {stop}, step = {step} }}\n"
)
RANDOM = 'name = "probe"\n{extra}\n[random]\nassets = ["SPY", "QQQ"]\ncount = 3\n{seed}\n'
FORMER_TRACEBACKS = {
    "csv date 0001": ("csv", b"Date,Adj Close\n0001-01-02,1\n", "before 1900"),
    "csv date 9999": ("csv", b"Date,Adj Close\n2024-01-02,1\n9999-01-02,1\n", "after today"),
    "spec stop = inf": ("spec", SPEC.format(stop="inf", step="0.1").encode(), "stop = inf is not a finite"),
    "spec step = nan": ("spec", SPEC.format(stop="1.0", step="nan").encode(), "step = nan is not a finite"),
    "spec seed = -1": ("spec", RANDOM.format(extra="", seed="seed = -1").encode(), "seed = -1 must be"),
    "spec not UTF-8": ("spec", b'name = "\xff"\n', "is not UTF-8 text"),
    "spec init_cash 0": ("spec", RANDOM.format(extra="init_cash = 0", seed="").encode(), "init_cash = 0"),
    "spec init_cash nan": ("spec", RANDOM.format(extra="init_cash = nan", seed="").encode(), "= nan"),
    "spec step 1e-12": (
        "spec",
        SPEC.format(stop="1.0", step="1e-12").encode(),
        "has 1,000,000,000,001 values",
    ),
}


@pytest.mark.parametrize("case", sorted(FORMER_TRACEBACKS))
def test_a_former_traceback_is_one_line(cached, tmp_path, case):
    kind, content, fragment = FORMER_TRACEBACKS[case]
    if kind == "csv":
        path = tmp_path / "NVDA.csv"
        path.write_bytes(content)
        result = invoke("import", str(path))
    else:
        path = tmp_path / "spec.toml"
        path.write_bytes(content)
        result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out"), "--offline"])
    assert_one_line_error(result, fragment)


@pytest.mark.parametrize("bad", sorted(BAD_METADATA))
def test_run_on_malformed_metadata_is_one_line(cached, without_reports, tmp_path, bad):
    set_metadata(cached, "SPY", BAD_METADATA[bad])
    result = runner.invoke(app, ["run", "qqq", "--offline", "--out", str(tmp_path / "out")])
    assert_one_line_error(result, "SPY.parquet is corrupt", "infrabt data update SPY")


def test_an_interrupted_run_leaves_no_old_page_beside_new_files(cached, tmp_path, monkeypatch):
    import infrabt.reports.dashboard

    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("the previous run's page")
    (out / "returns.csv").write_text("the previous run's returns")
    leftover = out / ".metrics.csv.k2j3.tmp"  # what a kill -9 during an atomic write leaves
    leftover.write_text("half")

    def interrupted(page):
        raise KeyboardInterrupt

    monkeypatch.setattr(infrabt.reports.dashboard, "render", interrupted)
    result = runner.invoke(app, ["run", "qqq", "--offline", "--no-tearsheets", "--out", str(out)])
    assert result.exit_code == 130, result.output
    assert (out / "returns.csv").read_text() != "the previous run's returns"
    assert not (out / "index.html").exists(), "the old page must not describe the new CSVs"
    assert not leftover.exists()


def test_network_lost_after_some_updates_names_them(fake_yahoo, tmp_store, monkeypatch, make_prices):
    monkeypatch.delenv("INFRABT_OFFLINE")
    tmp_store.write("QQQ", make_prices([1.0, 2.0]), "test")  # cached: fetched in a later batch than SPY
    fake_yahoo.add("SPY", "2024-01-02", [1.0, 2.0, 3.0])
    fake_yahoo.failures["QQQ"] = [Exception(DNS)]
    result = invoke("update", "SPY", "QQQ", "--end", "2024-01-04")
    assert result.exit_code == 1, result.output
    assert "updated SPY, then kept the cached prices of QQQ" in result.stderr
    assert "nothing downloaded" not in result.stderr


def test_a_rate_limit_is_not_blamed_on_the_symbol(fake_yahoo, tmp_store, monkeypatch):
    monkeypatch.delenv("INFRABT_OFFLINE")
    limited = Exception("Too Many Requests. Rate limited. Try after a while.")
    fake_yahoo.failures["NVDA"] = [limited, limited, limited]
    result = invoke("update", "NVDA")
    assert_one_line_error(result, "Yahoo is limiting or timing out requests: wait a few minutes and retry")
    assert "Check the symbol" not in result.stderr


def test_check_names_files_written_before_checksums(cached):
    import json

    import pyarrow.parquet as pq

    table = pq.read_table(cached.path("SPY"))
    meta = json.loads(table.schema.metadata[b"infrabt"])
    del meta["checksum"], meta["symbol"]
    set_metadata(cached, "SPY", json.dumps(meta).encode())
    result = invoke("check")
    assert result.exit_code == 0, result.output
    assert "warning: no checksum in SPY (written by an older infrabt)" in result.stderr


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_sweep_workers_zero_or_negative_is_one_line(cached, tmp_path, workers):
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "r"\n[random]\nassets = ["SPY", "QQQ"]\ncount = 3\n')
    args = ["sweep", str(spec), "--out", str(tmp_path / "out"), "--offline", "--workers", workers]
    assert_one_line_error(runner.invoke(app, args), f"--workers {workers} must be a whole number, at least 1")


# --- data import: nothing cached is lost, and a hole is named in the import's own output ---


def test_import_of_a_partial_csv_is_refused_unless_replace(tmp_store, tmp_path, csv_dir):
    assert invoke("import", str(csv_dir)).exit_code == 0
    before = snapshot(tmp_store)
    cached = tmp_store.read("NVDA").index
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "NVDA.csv").write_text(f"Date,Adj Close\n{cached[0].date()},10\n")
    result = invoke("import", str(partial))
    assert_one_line_error(
        result,
        "NVDA.csv ends",
        f"it holds 1 rows ({cached[0].date()} .. {cached[0].date()})",
        f"the cache holds {len(cached)} rows of NVDA ({cached[0].date()} .. {cached[-1].date()})",
        "--replace",
    )
    assert snapshot(tmp_store) == before
    replaced = invoke("import", str(partial), "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert len(tmp_store.read("NVDA")) == 1


def test_import_names_a_hole_in_its_own_output(tmp_store, tmp_path):
    days = pd.bdate_range("2024-01-02", periods=60)
    kept = days[(days < days[10]) | (days > days[40])]
    path = tmp_path / "SPY.csv"
    path.write_text("Date,Adj Close\n" + "".join(f"{day.date()},{100 + n}\n" for n, day in enumerate(kept)))
    result = invoke("import", str(path))
    assert result.exit_code == 0, result.output
    hole = f"no prices from {days[9].date()} to {days[41].date()}"
    assert f"warning: SPY: a hole in the prices: {hole}" in result.stderr
    assert "flat" in result.stderr
    assert "see `infrabt data check`" not in result.stderr, "the hole is shown here, nothing else to see"


# --- data update: seeds from the snapshot, names corrupt files, suggests symbols ---


def test_offline_update_seeds_missing_tickers_from_the_snapshot(tmp_store, monkeypatch):
    import yfinance as yf

    from infrabt.data.snapshot import snapshot_tickers

    monkeypatch.delenv("INFRABT_SNAPSHOT")  # the bundled snapshot, as a user has it
    monkeypatch.setattr(yf, "download", lambda *a, **k: pytest.fail("--offline must not download"))
    result = invoke("update", "AGG", "--offline")
    assert result.exit_code == 0, result.output
    meta = tmp_store.metadata("AGG")
    assert meta["source"].startswith("snapshot:")
    seeded = f"AGG: {meta['first']} .. {meta['last']} ({meta['rows']} rows) from the price snapshot"
    assert seeded in result.stderr
    everything = invoke("update", "--offline")
    assert everything.exit_code == 0, everything.output
    assert tmp_store.tickers() == snapshot_tickers()
    assert "offline, nothing downloaded; cached: AGG" in everything.stderr


def corrupt(store, symbol):
    """Cut the file short, as a full disk or a kill during a copy does."""
    path = store.path(symbol)
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def test_offline_update_of_a_corrupt_file_names_it_and_its_repair(tmp_store, make_prices):
    tmp_store.write("SPY", make_prices([1.0, 2.0]), "test")
    corrupt(tmp_store, "SPY")
    result = invoke("update", "SPY", "--offline")
    assert_one_line_error(result, "SPY.parquet is corrupt", "`infrabt data update SPY`", "data import")
    assert "cached: SPY" not in result.stderr


def test_update_rebuilds_a_corrupt_file_and_says_so(fake_yahoo, tmp_store, monkeypatch, make_prices):
    monkeypatch.delenv("INFRABT_OFFLINE")
    tmp_store.write("GLD", make_prices([1.0, 2.0]), "test")
    corrupt(tmp_store, "GLD")
    fake_yahoo.add("GLD", "2024-01-02", [1.0, 2.0, 3.0])
    result = invoke("update", "GLD", "--end", "2024-01-04")
    assert result.exit_code == 0, result.output
    assert f"replacing its corrupt cache file {tmp_store.path('GLD')}" in result.stderr
    assert tmp_store.metadata("GLD")["source"] == "yfinance"


def test_no_network_and_a_corrupt_file_is_an_error_not_kept_prices(
    fake_yahoo, tmp_store, monkeypatch, make_prices
):
    monkeypatch.delenv("INFRABT_OFFLINE")
    tmp_store.write("SPY", make_prices([1.0, 2.0]), "test")
    corrupt(tmp_store, "SPY")
    fake_yahoo.failures["SPY"] = [Exception(DNS)]
    result = invoke("update", "SPY")
    assert_one_line_error(result, "SPY.parquet is corrupt", "`infrabt data update SPY`")
    assert "kept the cached prices" not in result.output


@pytest.mark.parametrize(
    ("typed", "meant"), [("BTC", "BTC-USD"), ("btc-usd", "BTC-USD"), ("NVDAA", "NVDA"), ("minerz", "miners")]
)
def test_update_of_an_unknown_symbol_suggests_the_closest(tmp_store, typed, meant):
    """As `run` does; symbols are case-sensitive everywhere (``resolve``), so btc-usd is suggested, not
    silently changed."""
    result = invoke("update", typed, "--offline")
    assert_one_line_error(result, f"no cached prices for {typed} ", f"did you mean {meant}")


def test_update_of_a_symbol_yahoo_lacks_suggests_the_closest(fake_yahoo, tmp_store, monkeypatch):
    monkeypatch.delenv("INFRABT_OFFLINE")
    result = invoke("update", "NVDAA")
    assert_one_line_error(result, "yfinance returned no usable prices for NVDAA", "did you mean NVDA")


@pytest.mark.parametrize("args", [["import", "CSV"], ["update", "SPY", "--offline"], ["update", "SPY"]])
def test_a_data_dir_that_is_a_file_is_one_line_error(fake_yahoo, tmp_path, monkeypatch, csv_dir, args):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("mine")
    monkeypatch.setenv("INFRABT_DATA_DIR", str(blocked))
    monkeypatch.delenv("INFRABT_OFFLINE")
    result = invoke(*[str(csv_dir) if arg == "CSV" else arg for arg in args])
    assert_one_line_error(result, f"cannot write {blocked}", "point INFRABT_DATA_DIR elsewhere")
    assert blocked.read_text() == "mine"


def test_a_start_in_the_future_is_named_as_such_not_as_after_end(tmp_store):
    future = (pd.Timestamp.today() + pd.DateOffset(years=1)).date()
    result = invoke("update", "SPY", "--start", str(future), "--offline")
    assert_one_line_error(result, f"--start {future} is in the future")
    assert "--end" not in result.stderr and "swap" not in result.stderr

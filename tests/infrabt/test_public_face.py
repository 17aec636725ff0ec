"""The public face: one import name, a version, `python -m infrabt`, a user's own folder that just works."""

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import infrabt
from infrabt.cli import app
from infrabt.data.paths import package_dirs
from tests.conftest import SHARED_PRICES

EXTRA_PRICES = SHARED_PRICES.parent / "prices-extra"


def test_the_api_is_importable_from_the_top_name():
    from infrabt.engine.api import run
    from infrabt.strategies import Strategy

    assert infrabt.run is run and infrabt.Strategy is Strategy
    assert set(infrabt.__all__) >= {"run", "sweep", "write_report", "Strategy", "EqualWeight", "__version__"}
    with pytest.raises(AttributeError):
        _ = infrabt.no_such_thing


def test_importing_infrabt_loads_no_heavy_library():
    heavy = "('vectorbt', 'quantstats', 'plotly')"
    code = f"import sys, infrabt, infrabt.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_version_from_the_cli_and_python_dash_m():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"infrabt {infrabt.__version__}"
    out = subprocess.run([sys.executable, "-m", "infrabt", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"infrabt {infrabt.__version__}"


@pytest.mark.parametrize("argv", [["--version"], ["data", "import", "/no/such/folder"]])
def test_the_command_leaves_with_its_objects_frozen_and_its_output_whole(argv):
    """main() freezes the garbage collector's objects when the command ends, success (exit 0) or error
    (exit 2), so the interpreter leaves without freeing the module graph; what it printed is still whole."""
    check = (
        "import atexit, gc, sys; from infrabt.cli import main; "
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 1000)); "
        f"sys.argv = ['infrabt', *{argv!r}]; main()"
    )
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "frozen True"
    if argv == ["--version"]:
        assert out.returncode == 0 and out.stdout.startswith(f"infrabt {infrabt.__version__}")
    else:
        assert out.returncode == 2 and "/no/such/folder" in out.stderr


@pytest.mark.parametrize("stage", range(5))
def test_out_inside_infrabt_code_is_refused(tmp_store, stage):
    """In a wheel everything sits under infrabt/; in an editable install data/, engine/, ... are folders of
    the checkout: no --out may land in any of them."""
    target = package_dirs()[stage] / "x"
    result = CliRunner().invoke(app, ["run", "spy", "--offline", "--out", str(target)])
    assert result.exit_code == 2
    assert "is inside infrabt's own code" in result.stderr
    assert not target.exists()


@pytest.mark.skipif(not EXTRA_PRICES.is_dir(), reason="../shared/data/prices-extra not found")
def test_a_user_strategy_in_its_own_folder_runs_on_tickers_imported_from_csv(
    shared_prices, tmp_path, monkeypatch
):
    """CoreWeave and SUI are in no shipped file: imported from CSV, named by a strategy in the user's folder,
    grouped by the user's infrabt.toml; SUI's 7-day calendar is read off its rows."""
    from infrabt.data.universe import ticker

    monkeypatch.setenv("INFRABT_DATA_DIR", str(tmp_path / "cache"))
    runner = CliRunner()
    files = [SHARED_PRICES / "SPY.csv", SHARED_PRICES / "NVDA.csv", EXTRA_PRICES / "CRWV.csv"]
    imported = runner.invoke(app, ["data", "import", *map(str, files), str(EXTRA_PRICES / "SUI-USD.csv")])
    assert imported.exit_code == 0, imported.output
    assert ticker("SUI-USD").trades_weekends and not ticker("CRWV").trades_weekends
    work = tmp_path / "work"
    (work / "mine").mkdir(parents=True)
    (work / "infrabt.toml").write_text(
        '[groups]\nneoclouds = ["CRWV"]\n[tickers.CRWV]\ngroup = "gpu_datacenter"\n'
    )
    (work / "mine" / "neocloud.py").write_text(
        '"""Half CoreWeave, half NVIDIA."""\n'
        "from infrabt.strategies import EqualWeight, Strategy\n"
        "STRATEGY = Strategy(id='neocloud', thesis=__doc__, weighting=EqualWeight(),\n"
        "                    assets=('neoclouds', 'NVDA'))\n"
    )
    monkeypatch.chdir(work)
    result = runner.invoke(
        app,
        [
            "run",
            "neocloud",
            "--offline",
            "--strategies-dir",
            "mine",
            "--no-tearsheets",
            "--start",
            "2025-04-01",
        ],
    )
    assert result.exit_code == 0, result.output
    returns = (Path("infrabt-output") / "returns.csv").read_text().splitlines()
    assert returns[0] == "Date,neocloud,spy" and len(returns) > 200


def test_the_readmes_universe_file_example_loads(tmp_path, monkeypatch):
    """Pasted verbatim it failed: its group named NBIS, which no universe file listed."""
    import re

    from infrabt.data.universe import groups, load_universe

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(\[tickers\.CRWV\].*?)```", readme, re.S)
    assert example, "the README's infrabt.toml example moved: update this test"
    (tmp_path / "infrabt.toml").write_text(example.group(1))
    monkeypatch.setenv("INFRABT_UNIVERSE", str(tmp_path / "infrabt.toml"))
    assert {"CRWV", "NBIS"} <= set(load_universe())
    assert groups()["neoclouds"] == ("CRWV", "NBIS")

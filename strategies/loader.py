"""Discovery: every module in ``strategies/`` (and in ``--strategies-dir``) that defines ``STRATEGY`` or
``STRATEGIES`` is a strategy. No registration anywhere else; files starting with ``_`` are helpers."""

import importlib
import importlib.util
import sys
from pathlib import Path

from infrabt.data.errors import ConfigError, StrategyError
from infrabt.strategies.base import Strategy

PACKAGE_DIR = Path(__file__).resolve().parent


def load_strategies(extra_dir: str | Path | None = None) -> dict[str, Strategy]:
    """Shipped strategies plus those in ``extra_dir``, by id; a broken module raises naming file and error."""
    found: dict[str, tuple[Strategy, Path]] = {}
    for path in _modules(PACKAGE_DIR):
        _collect(found, path, _import(path, f"infrabt.strategies.{path.stem}"), required=False)
    if extra_dir is not None:
        folder = Path(extra_dir)
        if not folder.is_dir():
            raise StrategyError(f"--strategies-dir {folder} is not a folder")
        for path in _modules(folder):
            _collect(found, path, _import(path, f"infrabt_user_strategies.{path.stem}"), required=True)
    return {sid: strategy for sid, (strategy, _) in found.items()}


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def _import(path: Path, name: str):
    try:
        if name.startswith("infrabt.strategies."):
            return importlib.import_module(name)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        sys.path.insert(0, str(path.parent))  # so ``import _helpers`` finds the folder's helper modules
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(path.parent))
        return module
    except ConfigError:  # a universe file's mistake (it names the file), met while the module was read
        sys.modules.pop(name, None)
        raise
    except Exception as exc:
        sys.modules.pop(name, None)
        raise StrategyError(f"strategy module {path} is broken: {type(exc).__name__}: {exc}") from exc


def _collect(found: dict, path: Path, module, *, required: bool) -> None:
    declared = getattr(module, "STRATEGIES", None) or (
        [module.STRATEGY] if hasattr(module, "STRATEGY") else []
    )
    if not declared and required:
        raise StrategyError(
            f"strategy module {path} has no STRATEGY = Strategy(...) nor STRATEGIES = [...]; "
            f"if it is a helper, name it _{path.name} (modules starting with _ are helpers, not strategies)"
        )
    for strategy in declared:
        if not isinstance(strategy, Strategy):
            kind = type(strategy).__name__
            raise StrategyError(f"strategy module {path}: STRATEGY must be a Strategy, got {kind}")
        if strategy.id in found:
            other = found[strategy.id][1]
            raise StrategyError(f"strategy id {strategy.id!r} is defined twice: in {other} and in {path}")
        found[strategy.id] = (strategy, path)

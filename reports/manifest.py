"""The manifest of an output folder: which files infrabt wrote there, so a rerun can remove its own leftovers.

A rerun with fewer strategies must not leave the previous run's tear sheets beside the new dashboard, and must
never delete a file a user put in the folder. So every run records the files it wrote, relative to the folder,
in ``.infrabt-manifest.json``; the next run deletes only the files that the old manifest lists and it did not
write again.
"""

import json
from pathlib import Path

from infrabt.data import files

MANIFEST = ".infrabt-manifest.json"
SWEEP_MANIFEST = ".infrabt-sweep-manifest.json"
"""A sweep's page and tear sheets: its own list, so a sweep and a run sharing a folder never delete each
other's files."""


def recorded_files(out: Path, name: str = MANIFEST) -> list[str]:
    """The files the last run in ``out`` wrote (relative paths); none if there is no readable manifest."""
    try:
        listed = json.loads((out / name).read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [name for name in listed if isinstance(name, str)]


def replace_manifest(out: Path, written: list[Path], name: str = MANIFEST) -> list[Path]:
    """Record ``written`` as this run's files and delete what the previous run wrote and this one did not.

    Returns the deleted paths. A listed name that leads outside ``out`` (``..``, an absolute path, a link) is
    ignored: the manifest is a plain file a user could edit, and it must never delete anything outside.
    """
    out = Path(out)
    root = out.resolve()
    keep = {path.resolve() for path in written}
    removed = []
    for listed in recorded_files(out, name):
        path = out / listed
        target = path.resolve()
        if target in keep or root not in target.parents or path.is_symlink() or not path.is_file():
            continue
        path.unlink()
        removed.append(path)
    names = sorted(path.resolve().relative_to(root).as_posix() for path in written)
    files.write_text(out / name, json.dumps({"files": names}, indent=1) + "\n")
    return removed

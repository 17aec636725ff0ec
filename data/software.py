"""The versions of the software behind a result: recorded in run.json and folded into every fingerprint
(tear sheets, sweep parts), since an upgrade can change the numbers as surely as our own code can."""

from importlib import metadata


def installed_versions(names: "tuple[str, ...] | list[str]") -> dict[str, str]:
    """``{package: version}``, "not installed" for a missing one."""
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def versions_text(names: "tuple[str, ...] | list[str]") -> str:
    """The same as one line (``numpy==2.4.6;pandas==3.1.0``), for a fingerprint."""
    return ";".join(f"{name}=={version}" for name, version in installed_versions(names).items())

"""Which system libraries Qt's platform plugins cannot find (for ``cccd doctor`` and a clear start error).

The PySide6 wheel brings Qt but not the X11 and Wayland client libraries its platform plugins link to.
When one is missing, Qt aborts at start (``Could not load the Qt platform plugin "xcb"``, exit 134) with
a hint that names only ``libxcb-cursor0``.  This module asks the dynamic loader instead: ``ldd`` on the
plugin (which resolves the whole dependency tree) lists every library that is ``not found``, and each is
mapped to the Debian package that ships it.  ``scripts/ensure-system.sh`` installs them; docs/ui.md
("Running it") names them.

Qt is not imported: the check must work exactly when Qt cannot start.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Platform name → the plugin files it needs (the platform plugin, and the helper plugins it loads).
PLUGINS: dict[str, tuple[str, ...]] = {
    "xcb": ("platforms/libqxcb.so", "xcbglintegrations/libqxcb-glx-integration.so",
            "xcbglintegrations/libqxcb-egl-integration.so"),
    "wayland": ("platforms/libqwayland.so", "wayland-shell-integration/libxdg-shell.so",
                "wayland-decoration-client/libbradient.so",
                "wayland-graphics-integration-client/libqt-plugin-wayland-egl.so"),
}  # fmt: skip

# Where the Debian name does not follow from the soname by the usual rule (see :func:`debian_package`).
KNOWN_PACKAGES = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-util.so.1": "libxcb-util1",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


class PlatformCheckError(RuntimeError):
    """The check itself could not run (no PySide6, no ``ldd``)."""


@dataclass(frozen=True, slots=True)
class PlatformLibraries:
    """The outcome for one platform: ``missing`` sonames and the Debian ``packages`` that provide them."""

    platform: str
    plugins: tuple[Path, ...]
    missing: tuple[str, ...]
    packages: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return bool(self.plugins) and not self.missing

    def message(self) -> str:
        if not self.plugins:
            return f"Qt {self.platform}: the platform plugin is not in the PySide6 installation"
        if not self.missing:
            return f"Qt {self.platform}: all libraries found"
        return (f"Qt {self.platform}: missing {', '.join(self.missing)}; "
                f"install: apt-get install {' '.join(self.packages)}")  # fmt: skip


def debian_package(soname: str) -> str:
    """The Debian package of a shared library, by the policy's naming rule (``libfoo.so.3`` →
    ``libfoo3``; ``libfoo1.so.2`` → ``libfoo1-2``; a dash before a digit-ending name), or a known one."""
    if soname in KNOWN_PACKAGES:
        return KNOWN_PACKAGES[soname]
    m = re.fullmatch(r"(lib[\w.+-]+?)\.so\.(\d+)(?:\.\d+)*", soname)
    if m is None:
        return soname
    name, version = m.group(1).lower().replace("_", "-"), m.group(2)
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def qt_plugin_dir() -> Path:
    """``PySide6/Qt/plugins`` of the installed wheel, found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        raise PlatformCheckError("PySide6 is not installed (requirements-ui.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins"


def not_found(ldd_output: str) -> list[str]:
    """The sonames ``ldd`` reports as ``not found``, in order, without repeats."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def check_platform(platform: str = "xcb", plugin_dir: Path | None = None,
                   ldd: Sequence[str] = ("ldd",)) -> PlatformLibraries:  # fmt: skip
    """Run ``ldd`` on the platform's plugins and report what the loader cannot find."""
    if platform not in PLUGINS:
        raise ValueError(f"platform must be one of {sorted(PLUGINS)}")
    if shutil.which(ldd[0]) is None:
        raise PlatformCheckError(f"{ldd[0]} not found (Debian package libc-bin)")
    root = plugin_dir if plugin_dir is not None else qt_plugin_dir()
    plugins = tuple(root / rel for rel in PLUGINS[platform] if (root / rel).is_file())
    if not plugins or plugins[0] != root / PLUGINS[platform][0]:
        return PlatformLibraries(platform, (), (), ())
    missing: list[str] = []
    for plugin in plugins:
        out = subprocess.run([*ldd, str(plugin)], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
        missing += [s for s in not_found(out.stdout) if s not in missing]
    packages = tuple(dict.fromkeys(debian_package(s) for s in missing))
    return PlatformLibraries(platform, plugins, tuple(missing), packages)


def check_all(plugin_dir: Path | None = None) -> list[PlatformLibraries]:
    """Both platforms a kiosk may run on: X11 (``xcb``) and Wayland (the kiosk compositor)."""
    return [check_platform(p, plugin_dir) for p in PLUGINS]


def chosen_platform(env: Mapping[str, str]) -> str | None:
    """The platform Qt will try first: ``QT_QPA_PLATFORM`` (its first entry), else ``wayland`` with a
    ``WAYLAND_DISPLAY``, ``xcb`` with a ``DISPLAY``; ``None`` for any other (offscreen, eglfs, …) or none."""
    name = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if not name:
        name = "wayland" if env.get("WAYLAND_DISPLAY") else "xcb" if env.get("DISPLAY") else ""
    return name if name in PLUGINS else None


def preflight(env: Mapping[str, str]) -> str | None:
    """Before Qt starts: a message naming the missing libraries of the platform Qt is about to load (Qt
    itself would abort with exit 134), or ``None`` when nothing is known to be missing."""
    platform = chosen_platform(env)
    if platform is None:
        return None
    try:
        result = check_platform(platform)
    except PlatformCheckError:
        return None  # the check cannot run here; Qt reports for itself
    return None if result.ok else result.message()


def main() -> int:
    """``python -m ui.platform_check``: one line per platform; exit 1 when a library is missing."""
    results = check_all()
    for r in results:
        print(r.message())
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

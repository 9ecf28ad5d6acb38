"""ui/platform_check.py: the system libraries Qt's platform plugins lack, by name and Debian package."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ui.platform_check import (
    PLUGINS,
    PlatformCheckError,
    check_all,
    check_platform,
    chosen_platform,
    debian_package,
    not_found,
)

# What ldd printed for PySide6 6.12's libqxcb.so on Debian 12 before scripts/ensure-system.sh installed the
# X11 libraries (trimmed).
LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd5a1f6000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f7bde600000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f7bde542000)
\tlibxcb-icccm.so.4 => not found
"""


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
        ("libxcb-cursor.so.0", "libxcb-cursor0"),
        ("libxcb-render-util.so.0", "libxcb-render-util0"),
        ("libxcb-xinerama.so.0", "libxcb-xinerama0"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libwayland-client.so.0", "libwayland-client0"),
        ("libwayland-egl.so.1", "libwayland-egl1"),
        ("libEGL.so.1", "libegl1"),
        ("libX11-xcb.so.1", "libx11-xcb1"),
        ("libglib-2.0.so.0", "libglib2.0-0"),
    ],
)
def test_debian_package_of_a_library(soname: str, package: str) -> None:
    assert debian_package(soname) == package


def test_not_found_lists_each_missing_library_once() -> None:
    assert not_found(LDD_MISSING) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert not_found("\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n") == []


def _fake_qt(tmp_path: Path, ldd_output: str) -> tuple[Path, tuple[str, ...]]:
    plugins = tmp_path / "plugins"
    for rel in PLUGINS["xcb"][:1]:
        (plugins / rel).parent.mkdir(parents=True)
        (plugins / rel).write_bytes(b"\x7fELF")
    (tmp_path / "ldd.out").write_text(ldd_output)
    ldd = tmp_path / "ldd"
    ldd.write_text(f"#!/bin/sh\ncat '{tmp_path / 'ldd.out'}'\n")
    ldd.chmod(ldd.stat().st_mode | stat.S_IXUSR)
    return plugins, (str(ldd),)


def test_missing_libraries_are_reported_by_name_and_package(tmp_path: Path) -> None:
    plugins, ldd = _fake_qt(tmp_path, LDD_MISSING)
    r = check_platform("xcb", plugins, ldd)
    assert not r.ok
    assert r.missing == ("libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    assert r.packages == ("libxcb-icccm4", "libxcb-keysyms1")
    text = r.message()
    assert "libxcb-icccm.so.4" in text and "apt-get install libxcb-icccm4 libxcb-keysyms1" in text


def test_nothing_missing(tmp_path: Path) -> None:
    plugins, ldd = _fake_qt(tmp_path, "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n")
    r = check_platform("xcb", plugins, ldd)
    assert r.ok and r.missing == () and "all libraries found" in r.message()


def test_a_missing_plugin_is_not_ok(tmp_path: Path) -> None:
    r = check_platform("wayland", tmp_path)
    assert not r.ok and "not in the PySide6 installation" in r.message()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="platform"):
        check_platform("cocoa")
    with pytest.raises(PlatformCheckError):
        check_platform("xcb", ldd=("no-such-ldd-program",))


def test_this_machine_has_what_qt_needs() -> None:
    """`make test` runs scripts/ensure-system.sh first, which installs the X11 and Wayland libraries."""
    for r in check_all():
        assert r.ok, r.message()


@pytest.mark.parametrize(
    ("env", "platform"),
    [
        ({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, None),
        ({"QT_QPA_PLATFORM": "xcb"}, "xcb"),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, "wayland"),
        ({"QT_QPA_PLATFORM": "wayland-egl"}, None),
        ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "wayland"),
        ({"DISPLAY": ":0"}, "xcb"),
        ({}, None),
    ],
)
def test_chosen_platform(env: dict[str, str], platform: str | None) -> None:
    assert chosen_platform(env) == platform


def test_cccd_ui_names_the_missing_library_instead_of_aborting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``cccd ui`` on a display whose Qt libraries are missing: exit 1 and the libraries by name, before
    Qt is loaded (Qt itself would abort with exit 134, naming only libxcb-cursor0)."""
    import ui.platform_check as pc
    from cccd.cli import main

    plugins, ldd = _fake_qt(tmp_path, LDD_MISSING)
    real = pc.check_platform
    monkeypatch.setattr(pc, "check_platform", lambda platform: real(platform, plugins, ldd))
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setenv("DISPLAY", ":99")
    assert main(["ui", "--sim", "--demo", "--mute"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4" in err and "libxcb-keysyms1" in err and "Traceback" not in err
    assert pc.preflight({"QT_QPA_PLATFORM": "offscreen"}) is None

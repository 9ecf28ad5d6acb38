"""``cccd ui``: the touch-screen kiosk (PySide6).  Qt is imported only when the command runs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from cccd.config import LoadedConfig, from_args, operator_pin
from cccd.fleet import add_arguments as add_fleet_arguments
from cccd.metrics import MetricsError, MetricsExport, add_arguments
from kiosk.config import BUILTIN_PROFILES, ConfigError, video_device
from kiosk.health import find_reader
from kiosk.runtime.slots import SERIAL_PREFIX
from ui.platform_check import preflight
from ui.recordings import voice_check

PROFILES = BUILTIN_PROFILES


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("ui", help="open the touch-screen kiosk UI")
    p.add_argument("--sim", action="store_true", help="simulated card and camera")
    p.add_argument("--face", default="engine", choices=("engine", "ground-truth"),
                   help="with --sim: the biometrics verifier (default) or the simulated camera's truth")
    p.add_argument("--reader", metavar="NAME", help="real hardware: the PC/SC reader (with the webcam)")
    p.add_argument("--serial", metavar="PORT",
                   help="real hardware: a PN532 reader on this serial port (with the webcam)")
    p.add_argument("--camera", type=_camera, default=None,
                   help="real hardware: webcam device number (default: the configuration file's)")
    p.add_argument("--reader-camera", type=_reader_camera, metavar="DEVICE",
                   help="the reader's own camera, which reads the card lying on the reader (one placement): "
                        "a device number, or 'sim' with --sim (default: the configuration file's)")
    p.add_argument("--trust-dir", type=Path, help="real hardware: folder of trusted CSCA certificates")
    p.add_argument("--profile", default=None, choices=PROFILES,
                   help="deployment profile (default: the configuration file's)")
    p.add_argument("--demo", action="store_true", help="a scripted user walks one whole flow, then exit")
    p.add_argument("--screenshots", type=Path, metavar="DIR", help="save every screen as PNG into DIR")
    p.add_argument("--kiosk", action="store_true",
                   help="full-screen kiosk mode (leave with the operator gesture and $CCCD_OPERATOR_PIN)")
    p.add_argument("--print", dest="print_receipts", action="store_true",
                   help="offer printing the receipt on the default printer")
    p.add_argument("--printer", metavar="LINK",
                   help="ESC/POS thermal printer for queue tickets and receipts: tcp:HOST[:PORT], "
                        "usb:VID:PID (hex), serial:DEVICE[:BAUD], file:/dev/usb/lp0 (docs/printing.md)")
    p.add_argument("--paper-mm", type=int, default=80, choices=(58, 80), help="thermal paper width")
    p.add_argument("--mute", action="store_true", help="no voice guidance")
    p.add_argument("--voice-dir", type=Path, metavar="DIR",
                   help="recorded prompts DIR/<lang>/<message key>.wav (default $CCCD_VOICE_DIR); "
                        "espeak-ng speaks what is not recorded")
    p.add_argument("--voice-check", action="store_true",
                   help="list the message keys that have no recording in --voice-dir, then exit")
    p.add_argument("--step-ms", type=int, default=1200, help="demo pace: milliseconds per scripted step")
    p.add_argument("--data-dir", type=Path, help="kiosk state (default $CCCD_DATA_DIR or ~/.local/share)")
    p.add_argument("--deliver-to", metavar="URL",
                   help="point every connector at this receiver (needs $CCCD_WEBHOOK_SECRET)")
    add_arguments(p)
    add_fleet_arguments(p)
    p.set_defaults(func=_run)


def _camera(text: str) -> int:
    """``--camera``, ``--reader-camera``: a V4L2 device number (kiosk.config.video_device)."""
    if text.isdigit() and (device := video_device(int(text))) is not None:
        return device
    raise argparse.ArgumentTypeError(f"{text!r} is not a camera: give a device number (2 for /dev/video2)")


def _reader_camera(text: str) -> int | str:
    """``--reader-camera``: ``sim`` (with --sim) or a V4L2 device number."""
    return text if text == "sim" else _camera(text)


def _configured_reader(args: argparse.Namespace, loaded: LoadedConfig) -> str | None:
    """With a configuration file and no reader on the command line: the file's reader (a problem's text,
    or ``None``).  The embedded defaults choose no hardware: ``--sim`` or ``--reader`` is then needed."""
    if loaded.path is None or args.sim or args.reader is not None or args.serial is not None:
        return None
    if args.screenshots is not None and not args.demo:
        return None
    r = loaded.settings.reader
    if r.kind == "sim":
        args.sim = True
    elif r.kind == "serial":
        args.serial = r.port
    else:
        args.reader = find_reader(r.name)
        if args.reader is None:
            return f"no PC/SC reader matching reader.name = {r.name!r} (cccd doctor says why)"
    return None


def _voice_dir(args: argparse.Namespace) -> Path | None:
    env = os.environ.get("CCCD_VOICE_DIR")
    return args.voice_dir or (Path(env) if env else None)


def _run(args: argparse.Namespace) -> int:
    if args.voice_check:
        if (voice_dir := _voice_dir(args)) is None:
            print("ui: --voice-check needs --voice-dir DIR (or $CCCD_VOICE_DIR)", file=sys.stderr)
            return 2
        return voice_check(voice_dir)
    try:
        loaded = from_args(args)
    except ConfigError as exc:
        print(f"ui: {exc}", file=sys.stderr)
        return 2
    if (problem := _configured_reader(args, loaded)) is not None:
        print(f"ui: {problem}", file=sys.stderr)
        return 2
    if args.serial is not None:
        if args.reader is not None:
            print("ui: choose --reader NAME (PC/SC) or --serial PORT (PN532), not both", file=sys.stderr)
            return 2
        args.reader = SERIAL_PREFIX + args.serial  # kiosk.runtime.slots.card_slot picks the PN532 slot
    if args.deliver_to and not os.environ.get("CCCD_WEBHOOK_SECRET"):
        print("ui: --deliver-to needs CCCD_WEBHOOK_SECRET (the receiver's whsec_ secret) in the environment",
              file=sys.stderr)  # fmt: skip
        return 2
    if (problem := preflight(os.environ)) is not None:  # Qt would abort (exit 134) without saying which
        print(f"ui: {problem}", file=sys.stderr)
        return 1
    try:
        with MetricsExport.from_args(args):
            return _window(args, loaded)
    except MetricsError as exc:
        print(f"ui: {exc}", file=sys.stderr)
        return 2


def _window(args: argparse.Namespace, loaded: LoadedConfig) -> int:
    from cccd.uiapp import UIOptions, run  # Qt loads only for `cccd ui`

    s = loaded.settings
    return run(UIOptions(sim=args.sim, face=args.face, reader=args.reader,
                         camera=s.camera.device if args.camera is None else args.camera,
                         reader_camera=s.camera.reader_device if args.reader_camera is None
                         else args.reader_camera,
                         trust_dir=args.trust_dir or s.trust_dir, profile=args.profile or s.profile,
                         demo=args.demo, screenshots=args.screenshots,
                         kiosk_mode=args.kiosk, muted=args.mute or not s.voice.enabled,
                         data_dir=args.data_dir, step_ms=max(50, args.step_ms),
                         print_receipts=args.print_receipts or s.printer.enabled,
                         deliver_to=args.deliver_to, config=loaded,
                         operator_pin=operator_pin(loaded), thermal_printer=args.printer,
                         paper_mm=args.paper_mm, voice_dir=_voice_dir(args),
                         hub_enrolment=args.hub_enrolment, hub_interval=args.hub_interval))  # fmt: skip

"""Finding, loading and applying the kiosk's configuration file (the model is :mod:`kiosk.config`).

The file is, in this order: ``--config FILE``, ``$CCCD_CONFIG``, ``/etc/cccd/kiosk.toml``; with none of them
the embedded development defaults apply (``KioskSettings()``).  A file named by ``--config`` or
``$CCCD_CONFIG`` must exist.  Every command takes the same file (``cccd.cli.add_config_option``); command-line
options given explicitly win over it.  docs/deploy.md ("Configuration") is the deployer's side.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cccd import __version__
from cccd.compose import KioskConfig
from kiosk.config import LANGUAGES, ConfigError, ConfigProblem, KioskSettings, parse_config_text
from kiosk.connectors.base import resolve_secret
from kiosk.insurance.bhxh import InsuranceConfigError, resolve_text_secret
from kiosk.profiles import Profile, ProfileError, TLSSettings, load_profile
from kiosk.secretref import SecretRefError, read_secret
from kiosk.storage.paths import data_dir as default_data_dir

PIN_MIN_DIGITS = 6  # ui.operator.PinCheck's rule (ui is not imported here: Qt loads only for `cccd ui`)

SYSTEM_CONFIG = Path("/etc/cccd/kiosk.toml")
ENV_VAR = "CCCD_CONFIG"


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """The settings and where they came from: ``source`` is ``--config``, ``$CCCD_CONFIG``, the system file
    or ``defaults``; ``path`` is ``None`` for the embedded defaults."""

    settings: KioskSettings
    path: Path | None
    source: str

    def data_dir(self, override: Path | None = None) -> Path:
        """The data directory: the command line's, else the file's, else ``$CCCD_DATA_DIR`` / the home's."""
        return override or self.settings.data_dir or default_data_dir()


def config_path(cli: str | None, env: Mapping[str, str] | None = None,
                system: Path = SYSTEM_CONFIG) -> tuple[Path | None, str]:  # fmt: skip
    """Which file to read, and why."""
    env = os.environ if env is None else env
    if cli:
        return Path(cli), "--config"
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR]), f"${ENV_VAR}"
    if system.is_file():
        return system, str(system)
    return None, "defaults"


def load_config(cli: str | None = None, env: Mapping[str, str] | None = None,
                system: Path = SYSTEM_CONFIG) -> LoadedConfig:  # fmt: skip
    """Find and validate the configuration; :class:`ConfigError` names the key and the fix."""
    path, source = config_path(cli, env, system)
    if path is None:
        return LoadedConfig(KioskSettings(), None, source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            str(path),
            [
                ConfigProblem(
                    "(file)",
                    f"does not exist (named by {source})",
                    "create it from deploy/kiosk.toml.example or fix the path",
                )
            ],
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            str(path),
            [
                ConfigProblem(
                    "(file)",
                    f"cannot be read ({type(exc).__name__})",
                    "make it readable by the service user (0640 root:cccd)",
                )
            ],
        ) from None
    settings = parse_config_text(text, str(path))
    check_profile(settings, str(path))
    return LoadedConfig(settings, path, source)


def from_args(args: Any) -> LoadedConfig:
    """The configuration named by a parsed command line's ``--config`` (or the environment's)."""
    return load_config(getattr(args, "config", None))


def check_profile(settings: KioskSettings, source: str) -> Profile:
    """The profile with the file's delivery endpoints applied, or a :class:`ConfigError`."""
    try:
        profile = load_profile(settings.profile)
    except ProfileError as exc:
        raise ConfigError(
            source,
            [ConfigProblem("kiosk.profile", str(exc), "name a built-in profile or a valid profile file")],
        ) from None
    names = {c.name for c in profile.connectors}
    problems = [ConfigProblem(f"delivery[{i}].connector",
                              f"profile {profile.name!r} has no connector {e.connector!r}",
                              f"use one of {', '.join(sorted(names))}")
                for i, e in enumerate(settings.delivery) if e.connector not in names]  # fmt: skip
    if problems:
        raise ConfigError(source, problems)
    return apply_delivery(profile, settings)


def apply_delivery(profile: Profile, settings: KioskSettings) -> Profile:
    """``profile`` with each configured endpoint's URL, secret reference and TLS files in place of the
    profile file's (the profile keeps its audience, timeouts and policies)."""
    by_name = {e.connector: e for e in settings.delivery}
    connectors = []
    for c in profile.connectors:
        e = by_name.get(c.name)
        if e is None:
            connectors.append(c)
            continue
        tls = c.tls
        if e.ca_bundle or e.client_cert:
            tls = TLSSettings(e.client_cert, e.client_key, e.ca_bundle)
        connectors.append(dataclasses.replace(c, url=e.url, webhook_secret=e.secret.ref, tls=tls))
    return dataclasses.replace(profile, connectors=tuple(connectors))


def kiosk_config(loaded: LoadedConfig, *, data_dir: Path | None = None,
                 deliver_to: str | None = None) -> KioskConfig:  # fmt: skip
    """The composition's :class:`cccd.compose.KioskConfig` from the file (command-line overrides given)."""
    s = loaded.settings
    languages = (s.language, *(x for x in LANGUAGES if x != s.language))
    return KioskConfig(loaded.data_dir(data_dir), device_id=s.device_id, site_id=s.site_id,
                       software_version=f"cccd-kiosk/{__version__}", deliver_to=deliver_to,
                       languages=languages, insurance=s.insurance)  # fmt: skip


def profile(loaded: LoadedConfig, cli_profile: str | None = None) -> Profile:
    """The deployment profile: the command line's name (development), else the file's, delivery applied."""
    s = loaded.settings if cli_profile is None else dataclasses.replace(loaded.settings, profile=cli_profile)
    return check_profile(s, str(loaded.path or "defaults"))


def operator_pin(loaded: LoadedConfig, env: Mapping[str, str] | None = None) -> str | None:
    """The operator PIN from the file's reference, else ``$CCCD_OPERATOR_PIN``; never printed."""
    return _pin(loaded.settings, env)


def _pin(settings: KioskSettings, env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    ref = settings.operator_pin
    if ref is None:
        return env.get("CCCD_OPERATOR_PIN")
    try:
        return read_secret(ref.ref, env)
    except SecretRefError:
        return None


def secret_problems(settings: KioskSettings) -> list[ConfigProblem]:
    """The endpoints whose secret reference does not resolve here (unset variable, unreadable file, not a
    ``whsec_`` key), and a hub enrolment file that is not there — for ``cccd config check`` and ``cccd
    doctor``; the value itself is never shown."""
    out = []
    for i, e in enumerate(settings.delivery):
        try:
            resolve_secret(e.secret.ref)
        except Exception as exc:  # ConnectorConfigError: the message names the variable, never the value
            out.append(
                ConfigProblem(
                    f"delivery[{i}].secret",
                    str(exc),
                    "set the variable in /etc/cccd/kiosk.env or create the file (0600)",
                )
            )
    if settings.hub.enrolment is not None and not os.access(settings.hub.enrolment, os.R_OK):
        where = settings.hub.enrolment
        out.append(ConfigProblem("hub.enrolment", f"{where} is missing or not readable here",
                                 "enrol the kiosk: cccd hub enrol --hub URL --token T --kiosk-id ID --keys "
                                 f"KEYS --out {where} (as the service user, 0600)"))  # fmt: skip
    if settings.insurance is not None:  # the BHXH gateway's account (docs/insurance.md)
        gw = settings.insurance
        for key, ref in (("password", gw.password_ref), ("officer_name", gw.officer_name_ref),
                         ("officer_id", gw.officer_id_ref)):  # fmt: skip
            try:
                resolve_text_secret(ref)
            except InsuranceConfigError as exc:  # the message names the variable, never the value
                out.append(ConfigProblem(f"insurance.{key}", f"{ref}: {exc}",
                                         "set the variable in /etc/cccd/kiosk.env or create the file (0600)"))
    if settings.operator_pin is not None:
        pin = _pin(settings)
        if pin is None:
            out.append(ConfigProblem("operator.pin", f"{settings.operator_pin} does not resolve here",
                                     "set the variable in /etc/cccd/kiosk.env or create the file (0600)"))
        elif len(pin) < PIN_MIN_DIGITS or not pin.isdigit():
            out.append(ConfigProblem("operator.pin", f"the PIN must be at least {PIN_MIN_DIGITS} digits",
                                     "choose a PIN of 6 or more digits (the kiosk would not start)"))
    return out


def state_paths(args: Any) -> tuple[Path, Path]:
    """The kiosk database and key store for a command line: ``--db`` / ``--keys`` if given, else inside the
    configured data directory (:class:`ConfigError` for an invalid file)."""
    data = from_args(args).data_dir()
    db, keys = getattr(args, "db", None), getattr(args, "keys", None)
    return (db or data / "kiosk.db"), (keys or data / "keys")

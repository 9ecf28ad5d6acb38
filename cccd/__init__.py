"""The CCCD verification kiosk's composition root and ``cccd`` command (docs/architecture.md).

:data:`__version__` is the one version source: ``setup.cfg`` reads it (``version = attr:``), ``cccd
--version`` prints it, and the verification record names it (``cccd.compose.KioskConfig``).  CHANGELOG.md
lists what each version changed.
"""

__version__ = "0.2.0"

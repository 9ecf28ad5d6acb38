"""Chip engine for the CCCD (ICAO 9303 eMRTD chip): protocol core without I/O, plus transport adapters."""

__all__: list[str] = []

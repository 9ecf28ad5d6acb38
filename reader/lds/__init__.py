"""The Logical Data Structure of the LDS1 application (ICAO 9303-10): file table and parsers.

:func:`parse_data_group` dispatches a data group's raw bytes to its parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from reader.errors import ParseError
from reader.lds.dg1 import parse_dg1
from reader.lds.dg2 import parse_dg2
from reader.lds.dg13 import parse_dg13
from reader.lds.dg14 import parse_dg14
from reader.lds.dg15 import parse_dg15

if TYPE_CHECKING:
    from reader.lds.cardaccess import SecurityInfos
    from reader.lds.dg1 import MRZ
    from reader.lds.dg2 import DG2
    from reader.lds.dg13 import PersonalData
    from reader.lds.dg15 import ActiveAuthenticationPublicKey

DataGroup: TypeAlias = "MRZ | DG2 | PersonalData | SecurityInfos | ActiveAuthenticationPublicKey"


class UnsupportedDataGroup(ParseError):
    """No parser exists for this data group (the raw bytes remain usable)."""


def parse_data_group(number: int, raw: bytes) -> DataGroup:
    """Parse DG ``number`` (1, 2, 13, 14, 15): ``MRZ``, ``DG2``, ``PersonalData``, ``SecurityInfos`` or
    ``ActiveAuthenticationPublicKey``.  :class:`UnsupportedDataGroup` for the others."""
    if number == 1:

        return parse_dg1(raw)
    if number == 2:

        return parse_dg2(raw)
    if number == 13:

        return parse_dg13(raw)
    if number == 14:

        return parse_dg14(raw)
    if number == 15:

        return parse_dg15(raw)
    raise UnsupportedDataGroup(f"no parser for DG{number}")

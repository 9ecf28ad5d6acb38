"""Builders of the LDS files a CCCD chip holds: the card-side counterpart of :mod:`reader.lds`.

Each builder returns the exact bytes of one elementary file (ICAO 9303-10 §4.6–4.7, ICAO 9303-11 §9.2,
cccd-chip.md §3–4).  They reuse the reader's codecs (BER-TLV, DER OID/INTEGER) in the other role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from reader import tlv
from reader.lds.cardaccess import (
    ID_AA,
    ID_CA,
    ID_PACE,
    ID_PK_DH,
    ID_PK_ECDH,
    ID_TA,
    decode_oid,
    encode_integer,
    encode_oid,
)
from reader.lds.files import dg

SET = 0x31
SEQ = 0x30

ID_PACE_ECDH_GM_AES_128 = ID_PACE + ".2.2"
ID_CA_ECDH_AES_128 = ID_CA + ".2.2"
ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
ID_DH_PUBLIC_NUMBER = "1.2.840.10046.2.1"
UTF8_CHARSET_OID = "1.0.10646.1.0.8"  # ISO/IEC 10646-1 UTF-8 (cccd-chip.md §4)


# --- SecurityInfo encoders (ICAO 9303-11 §9.2) -----------------------------------------------------------


def _sequence(*parts: bytes) -> bytes:
    return tlv.encode_constructed(SEQ, *parts)


def pace_info(
    protocol: str = ID_PACE_ECDH_GM_AES_128, version: int = 2, parameter_id: int | None = 13
) -> bytes:
    """``PACEInfo`` (§9.2.1)."""
    tail = encode_integer(parameter_id) if parameter_id is not None else b""
    return _sequence(encode_oid(protocol), encode_integer(version), tail)


def ca_info(protocol: str = ID_CA_ECDH_AES_128, version: int = 1, key_id: int | None = None) -> bytes:
    """``ChipAuthenticationInfo`` (§9.2.5)."""
    tail = encode_integer(key_id) if key_id is not None else b""
    return _sequence(encode_oid(protocol), encode_integer(version), tail)


def ta_info(version: int = 1) -> bytes:
    """``TerminalAuthenticationInfo`` without efCVCA (§9.2.7)."""
    return _sequence(encode_oid(ID_TA), encode_integer(version))


def aa_info(signature_algorithm: str, version: int = 1) -> bytes:
    """``ActiveAuthenticationInfo`` (§9.2.4), for ECDSA Active Authentication keys."""
    return _sequence(encode_oid(ID_AA), encode_integer(version), encode_oid(signature_algorithm))


def ca_public_key_info(spki: bytes, key_id: int | None = None, protocol: str | None = None) -> bytes:
    """``ChipAuthenticationPublicKeyInfo`` (§9.2.6); the protocol follows the SPKI algorithm by default."""
    if protocol is None:
        protocol = ID_PK_DH if spki_algorithm(spki) == ID_DH_PUBLIC_NUMBER else ID_PK_ECDH
    tail = encode_integer(key_id) if key_id is not None else b""
    return _sequence(encode_oid(protocol), spki, tail)


def spki_algorithm(spki: bytes) -> str:
    """The algorithm OID of a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7)."""
    algorithm = tlv.decode(spki, expected_tag=SEQ).children()[0]
    return decode_oid(algorithm.children()[0].value)


def build_security_infos(*infos: bytes) -> bytes:
    """``SecurityInfos ::= SET OF SecurityInfo`` in the order given (the card's own order)."""
    return tlv.encode_constructed(SET, *infos)


def build_card_access(*infos: bytes) -> bytes:
    """EF.CardAccess.  With no argument: the 54 bytes of a CCCD (cccd-chip.md §3): TA v1,
    CA-ECDH-AES-128 v1, PACE-ECDH-GM-AES-128 v2 with parameter 13 (brainpoolP256r1)."""
    if not infos:
        infos = (ta_info(), ca_info(), pace_info())
    return build_security_infos(*infos)


# --- EF.COM, DG1 ---------------------------------------------------------------------------------------


def build_ef_com(
    dg_numbers: Sequence[int], lds_version: str = "0107", unicode_version: str = "040000"
) -> bytes:
    """EF.COM (ICAO 9303-10 §4.6.1) listing ``dg_numbers`` in the order given."""
    tags = bytes(dg(n).tag or 0 for n in dg_numbers)
    return tlv.encode_constructed(
        0x60,
        tlv.encode(0x5F01, lds_version.encode("ascii")),
        tlv.encode(0x5F36, unicode_version.encode("ascii")),
        tlv.encode(0x5C, tags),
    )


def build_dg1(mrz_lines: Sequence[str]) -> bytes:
    """DG1 ``61 { 5F1F MRZ }`` with the lines concatenated (ICAO 9303-10 §4.7.1)."""
    return tlv.encode_constructed(0x61, tlv.encode(0x5F1F, "".join(mrz_lines).encode("ascii")))


# --- DG2: ISO/IEC 19794-5:2005 in the ICAO biometric template (9303-10 §4.7.2) --------------------------

IMAGE_DATA_JPEG = 0
IMAGE_DATA_JPEG2000 = 1
FACE_IMAGE_TYPE_FULL_FRONTAL = 1
GENDER_CODES = {"M": 1, "F": 2, "X": 3, "<": 0, "": 0}


def iso19794_5_record(
    image: bytes, width: int, height: int, *, gender: str = "", image_data_type: int | None = None,
    face_image_type: int = FACE_IMAGE_TYPE_FULL_FRONTAL,
) -> bytes:
    """A facial record of ISO/IEC 19794-5:2005 §5.4–5.7 with one image and no feature points."""
    if image_data_type is None:
        image_data_type = IMAGE_DATA_JPEG if image[:2] == b"\xff\xd8" else IMAGE_DATA_JPEG2000
    facial_info = (
        b"\x00\x00"  # number of feature points
        + bytes([GENDER_CODES.get(gender, 0), 0, 0])  # gender, eye colour, hair colour
        + b"\x00\x00\x00"  # feature mask
        + b"\x00\x00"  # expression
        + b"\x00\x00\x00" + b"\x00\x00\x00"  # pose angles and their uncertainty
    )  # fmt: skip
    image_info = (
        bytes([face_image_type, image_data_type])
        + width.to_bytes(2, "big") + height.to_bytes(2, "big")
        + b"\x01"  # colour space: 24-bit RGB
        + b"\x02"  # source type: digital still camera
        + b"\x00\x00"  # device type
        + b"\x00\x00"  # quality: unspecified
    )  # fmt: skip
    block = facial_info + image_info + image
    record_length = 14 + 4 + len(block)
    return (
        b"FAC\x00" + b"010\x00" + record_length.to_bytes(4, "big") + (1).to_bytes(2, "big")
        + (4 + len(block)).to_bytes(4, "big") + block
    )  # fmt: skip


def biometric_header_template(format_type: bytes = b"\x00\x08", creation: date | None = None) -> bytes:
    """The Biometric Header Template ``A1`` (ICAO 9303-10 §4.7.2.1, CBEFF patron format)."""
    parts = [tlv.encode(0x80, b"\x01\x01"), tlv.encode(0x81, b"\x02")]  # header version, facial features
    if creation is not None:
        parts.append(tlv.encode(0x83, _bcd_date(creation)))
    parts += [tlv.encode(0x87, b"\x01\x01"), tlv.encode(0x88, format_type)]  # ISO/IEC JTC1/SC37, 19794-5
    return tlv.encode_constructed(0xA1, *parts)


def _bcd_date(d: date) -> bytes:
    return bytes.fromhex(d.strftime("%Y%m%d") + "000000")


def build_dg2_records(bdbs: Sequence[tuple[int, bytes]], bht: bytes | None = None) -> bytes:
    """DG2 ``75 { 7F61 { 02 n, 7F60 { A1 BHT, <bdb tag> BDB } ... } }`` from ``(bdb_tag, bdb)`` pairs."""
    bht = bht if bht is not None else biometric_header_template()
    instances = [tlv.encode_constructed(0x7F60, bht, tlv.encode(tag, bdb)) for tag, bdb in bdbs]
    group = tlv.encode_constructed(0x7F61, tlv.encode(0x02, bytes([len(bdbs)])), *instances)
    return tlv.encode_constructed(0x75, group)


def build_dg2(
    jpeg_bytes: bytes, width: int, height: int, *, gender: str = "", image_data_type: int | None = None,
) -> bytes:
    """DG2 holding one face image in an ISO/IEC 19794-5:2005 record (primitive BDB ``5F2E``)."""
    record = iso19794_5_record(jpeg_bytes, width, height, gender=gender, image_data_type=image_data_type)
    return build_dg2_records([(0x5F2E, record)])


def iso39794_5_block(image: bytes, width: int, height: int, *, format_code: int | None = None) -> bytes:
    """An ISO/IEC 39794-5 FaceImageDataBlock content (version 0/2019, one 2D representation), DER.

    Returned without the outer tag, to be placed in ``7F2E`` (ICAO 9303-10 §4.7.2, extensible format).
    """
    if format_code is None:
        format_code = 2 if image[:2] == b"\xff\xd8" else 3  # jpeg / jpeg2000Lossy
    version = tlv.encode_constructed(0xA0, tlv.encode(0x80, b"\x00"), tlv.encode(0x81, b"\x07\xe3"))
    size = tlv.encode_constructed(0xA7, _ctx_int(0x80, width), _ctx_int(0x81, height))
    info = tlv.encode_constructed(0xA1, tlv.encode_constructed(0xA0, _ctx_int(0x80, format_code)), size)
    two_d = tlv.encode_constructed(0xA0, tlv.encode(0x80, image), info)
    representation = tlv.encode_constructed(
        SEQ, _ctx_int(0x80, 0), tlv.encode_constructed(0xA1, tlv.encode_constructed(0xA0, two_d))
    )
    return version + tlv.encode_constructed(0xA1, representation)


def _ctx_int(tag: int, value: int) -> bytes:
    return tlv.encode(tag, encode_integer(value)[2:])


# --- DG13 (cccd-chip.md §4) ----------------------------------------------------------------------------

PRINTABLE_FIELDS = frozenset({1, 3, 11, 15, 16})
DG13Value = str | Sequence[str] | bytes | None


def dg13_field(number: int, value: DG13Value) -> bytes:
    """One ``SEQUENCE { INTEGER n, value(s) }``.

    ``str``: a PrintableString (fields 1, 3, 11, 15, 16) or UTF8String; a sequence of ``str``: a nested
    SEQUENCE of UTF8Strings (parents 13, spouse 14); ``None``: no value (the empty spouse
    ``30 03 02 01 0E``); ``bytes``: an already encoded value, kept verbatim.
    """
    head = encode_integer(number)
    if value is None:
        return _sequence(head)
    if isinstance(value, bytes):
        return _sequence(head, value)
    if isinstance(value, str):
        string_tag = 0x13 if number in PRINTABLE_FIELDS else 0x0C
        return _sequence(head, tlv.encode(string_tag, value.encode("utf-8")))
    return _sequence(head, _sequence(*(tlv.encode(0x0C, v.encode("utf-8")) for v in value)))


def build_dg13(fields: Mapping[int, DG13Value]) -> bytes:
    """DG13 ``6D { 30 { 02 01 01, 06 <UTF-8 OID>, 31 { field ... } } }``, fields by ascending number.

    Lengths use the long form wherever a value exceeds 127 bytes (ISO/IEC 8825-1 §8.1.3).
    """
    items = [dg13_field(n, fields[n]) for n in sorted(fields)]
    body = _sequence(encode_integer(1), encode_oid(UTF8_CHARSET_OID), tlv.encode_constructed(SET, *items))
    return tlv.encode(0x6D, body)


# --- DG14, DG15 ----------------------------------------------------------------------------------------


def build_dg14(
    ca_public_key_spki: bytes, key_id: int | None = None, *, protocol: str = ID_CA_ECDH_AES_128,
    version: int = 1, extra_infos: Sequence[bytes] = (),
) -> bytes:
    """DG14 ``6E { SecurityInfos }`` with one Chip Authentication key and its ChipAuthenticationInfo
    (ICAO 9303-10 §4.7.14, 9303-11 §9.2.5–9.2.6)."""
    infos = build_security_infos(
        ca_public_key_info(ca_public_key_spki, key_id), ca_info(protocol, version, key_id), *extra_infos
    )
    return tlv.encode(0x6E, infos)


def build_dg14_infos(*infos: bytes) -> bytes:
    """DG14 ``6E { SecurityInfos }`` with exactly the given infos (e.g. only ActiveAuthenticationInfo)."""
    return tlv.encode(0x6E, build_security_infos(*infos))


def build_dg15(spki: bytes) -> bytes:
    """DG15 ``6F { SubjectPublicKeyInfo }``: the Active Authentication key (ICAO 9303-11 §6.1)."""
    return tlv.encode(0x6F, spki)

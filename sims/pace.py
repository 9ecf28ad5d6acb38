"""PACE v2 on the simulated card (ICAO 9303-11 §4.4): GM, IM and CAM; ECDH and DH; every cipher.

:class:`PACEApplet` answers MSE:Set AT (``C1A4``) and the chain of four GENERAL AUTHENTICATE commands
with the chip's side of the cryptography from :mod:`reader.access.pace`.  On success the card starts
secure messaging with SSC = 0 after answering the last command.  A wrong password makes the reader's
token fail: the card answers ``6300`` and, after repeated failures, delays its next PACE attempt by a
growing amount (:class:`PACEThrottle`; clock and sleep are parameters, so tests run instantly).

:class:`SecurityEnvironment` routes MSE (INS 22) by its P1-P2 template and GENERAL AUTHENTICATE (INS 86)
to the protocol selected last, so PACE and Chip Authentication share those instructions on one card.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from reader import tlv
from reader.access.pace import (
    PACEPassword,
    PACESuite,
    PasswordType,
    SessionKeys,
    auth_token,
    cam_data,
    cam_encrypt,
    encrypt_nonce,
    k_pi,
    session_keys,
    verify_token,
)
from reader.access.pace_mapping import (
    generic_map,
    im_nonce_t_length,
    integrated_map_dh,
    integrated_map_ec,
    nonce_length,
)
from reader.access.params import ECGroup, Group, GroupError
from reader.apdu import CommandAPDU, ResponseAPDU
from reader.errors import ParseError
from reader.lds.cardaccess import decode_oid
from sims.card import CardApplet, CardOS, Handler, StatusWord

E = TypeVar("E")
_STATE = "pace"
_GA_OWNER = "ga_owner"


@dataclass
class PACEThrottle:
    """A growing delay after repeated wrong passwords, as chips do against guessing.

    The first ``free_failures`` cost nothing; each further one delays the *next* attempt by
    ``base_delay · factor^k`` seconds (at most ``max_delay``).  A success resets the counter.
    """

    free_failures: int = 2
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    failures: int = 0
    not_before: float = 0.0

    def wait(self) -> None:
        remaining = self.not_before - self.clock()
        if remaining > 0:
            self.sleep(remaining)

    def failed(self) -> None:
        self.failures += 1
        if self.failures > self.free_failures:
            self.not_before = self.clock() + self.current_delay

    def succeeded(self) -> None:
        self.failures, self.not_before = 0, 0.0

    @property
    def current_delay(self) -> float:
        extra = self.failures - self.free_failures
        return 0.0 if extra <= 0 else min(self.max_delay, self.base_delay * self.factor ** (extra - 1))


@dataclass
class _Run:
    """One PACE run on the card (volatile: lost on reset)."""

    suite: PACESuite
    password: PACEPassword
    step: int = 1
    s: bytes = b""
    sk_map: int = 0
    mapped: Any = None
    pk_ifd: bytes = b""
    pk_ic: bytes = b""
    keys: SessionKeys | None = None


@dataclass
class PACEApplet:
    """The chip's PACE: the suites it offers (as in EF.CardAccess), its passwords, the CAM key."""

    suites: tuple[PACESuite, ...]
    passwords: Mapping[PasswordType, PACEPassword]
    cam_private_key: int | None = None  # SK_IC for PACE-CAM; its public key is in DG14 / EF.CardSecurity
    throttle: PACEThrottle = field(default_factory=PACEThrottle)
    mse_templates: frozenset[tuple[int, int]] = frozenset({(0xC1, 0xA4)})

    def __repr__(self) -> str:
        return f"PACEApplet({', '.join(s.protocol.name for s in self.suites)})"

    def ins_handlers(self) -> Mapping[int, Handler]:
        return SecurityEnvironment((self,)).ins_handlers()

    # --- MSE:Set AT (§4.4.4.1) ----------------------------------------------------------------------

    def mse(self, card: CardOS, command: CommandAPDU) -> ResponseAPDU:
        card.state.extra.pop(_STATE, None)
        try:
            objects = {o.tag: o.value for o in tlv.decode_all(command.data)}
            oid = decode_oid(objects[0x80])
            kind = PasswordType(objects[0x83][0])
            parameter_id = int.from_bytes(objects[0x84], "big") if 0x84 in objects else None
        except (ParseError, KeyError, IndexError, ValueError):
            raise StatusWord(0x6A80) from None
        candidates = [s for s in self.suites if s.oid == oid]
        if not candidates:
            raise StatusWord(0x6A80)  # algorithm not supported
        if parameter_id is not None:
            candidates = [s for s in candidates if s.parameter_id == parameter_id]
        if len(candidates) != 1 or kind not in self.passwords:
            raise StatusWord(0x6A88)  # referenced data (password or domain parameters) not found
        if candidates[0].mapping == "CAM" and self.cam_private_key is None:
            raise StatusWord(0x6A88)
        card.state.extra[_STATE] = _Run(candidates[0], self.passwords[kind])
        return ResponseAPDU(b"", 0x9000)

    # --- GENERAL AUTHENTICATE (§4.4.4.2, §4.4.5) -------------------------------------------------------

    def general_authenticate(self, card: CardOS, command: CommandAPDU) -> ResponseAPDU:
        run = card.state.extra.get(_STATE)
        if not isinstance(run, _Run):
            raise StatusWord(0x6985)
        if (command.cla & 0x10 == 0) != (run.step == 4):
            card.state.extra.pop(_STATE, None)
            raise StatusWord(0x6883)  # the chain must end exactly at step 4 (§4.4.4.3)
        try:
            objects = {o.tag: o.value for o in tlv.decode(command.data, expected_tag=0x7C).children()}
            group = run.suite.group
            if isinstance(group, ECGroup):
                answer = self._step(card, run, group, objects, integrated_map_ec)
            else:
                answer = self._step(card, run, group, objects, integrated_map_dh)
        except (ParseError, KeyError):
            card.state.extra.pop(_STATE, None)
            raise StatusWord(0x6A80) from None
        return ResponseAPDU(tlv.encode(0x7C, answer), 0x9000)

    def _step(
        self, card: CardOS, run: _Run, group: Group[E], objects: dict[int, bytes],
        im_map: Callable[[Any, bytes, bytes, Any], E],
    ) -> bytes:  # fmt: skip
        cipher, step = run.suite.cipher, run.step
        run.step += 1
        if step == 1:
            if objects:
                raise StatusWord(0x6A80)
            self.throttle.wait()
            run.s = card.rng(nonce_length(cipher))
            return tlv.encode(0x80, encrypt_nonce(k_pi(run.password, cipher), run.s, cipher))
        if step == 2:
            if run.suite.mapping == "IM":
                t = objects[0x81]
                if len(t) != im_nonce_t_length(cipher):
                    raise StatusWord(0x6A80)
                run.mapped = im_map(group, run.s, t, cipher)
                return tlv.encode(0x82, b"")
            pk_map_ifd = group.decode(objects[0x81])
            run.sk_map = group.random_private(card.rng)
            run.mapped = generic_map(group, run.s, group.exp(pk_map_ifd, run.sk_map))
            return tlv.encode(0x82, group.encoded_public_key(run.sk_map))
        if step == 3:
            run.pk_ifd = objects[0x83]
            sk_ic = group.random_private(card.rng)
            run.pk_ic = group.encode(group.public_key(sk_ic, run.mapped))
            if group.reencode(run.pk_ifd) == run.pk_ic:
                raise StatusWord(0x6A80)
            run.keys = session_keys(group.agree_encoded(sk_ic, run.pk_ifd), cipher)
            return tlv.encode(0x84, run.pk_ic)
        return self._mutual_authentication(card, run, group, objects[0x85])

    def _mutual_authentication(self, card: CardOS, run: _Run, group: Group[E], token: bytes) -> bytes:
        card.state.extra.pop(_STATE, None)
        keys = run.keys
        assert keys is not None
        if not verify_token(keys, run.suite.oid, group, run.pk_ic, token):
            self.throttle.failed()
            raise StatusWord(0x6300)  # authentication failed (§4.4.4.2)
        self.throttle.succeeded()
        answer = tlv.encode(0x86, auth_token(keys, run.suite.oid, group, run.pk_ifd))
        if run.suite.mapping == "CAM":
            assert isinstance(group, ECGroup) and self.cam_private_key is not None
            answer += tlv.encode(0x8A, cam_encrypt(keys, cam_data(group, self.cam_private_key, run.sk_map)))
        card.start_secure_messaging(keys.secure_messaging())
        return answer


class SecurityProtocol(Protocol):
    """A protocol driven by MSE and GENERAL AUTHENTICATE (PACE, Chip Authentication)."""

    @property
    def mse_templates(self) -> frozenset[tuple[int, int]]: ...

    def mse(self, card: CardOS, command: CommandAPDU) -> ResponseAPDU: ...

    def general_authenticate(self, card: CardOS, command: CommandAPDU) -> ResponseAPDU: ...


@dataclass
class SecurityEnvironment:
    """Routes INS 22 by P1-P2 and INS 86 to the protocol the last MSE selected."""

    protocols: tuple[SecurityProtocol, ...]

    def ins_handlers(self) -> Mapping[int, Handler]:
        return {0x22: self._mse, 0x86: self._general_authenticate}

    def _mse(self, card: CardOS, command: CommandAPDU) -> ResponseAPDU:
        for index, protocol in enumerate(self.protocols):
            if (command.p1, command.p2) in protocol.mse_templates:
                card.state.extra[_GA_OWNER] = index
                return protocol.mse(card, command)
        raise StatusWord(0x6A86)

    def _general_authenticate(self, card: CardOS, command: CommandAPDU) -> ResponseAPDU:
        owner = card.state.extra.get(_GA_OWNER)
        if not isinstance(owner, int):
            raise StatusWord(0x6985)
        return self.protocols[owner].general_authenticate(card, command)


def security_applets(
    *protocols: SecurityProtocol | None, others: tuple[CardApplet | None, ...] = ()
) -> tuple[CardApplet, ...]:
    """The applets for ``CardOS(applets=...)``: one router for PACE/CA, plus e.g. Active Authentication."""
    present = tuple(p for p in protocols if p is not None)
    applets: list[CardApplet] = [SecurityEnvironment(present)] if present else []
    return (*applets, *(a for a in others if a is not None))


def pace_suites(offers: tuple[tuple[str, int], ...]) -> tuple[PACESuite, ...]:
    """Suites from (protocol OID, parameter ID) pairs; :class:`GroupError` for an impossible pair."""
    try:
        return tuple(PACESuite.create(oid, parameter_id) for oid, parameter_id in offers)
    except ParseError as exc:
        raise GroupError(str(exc)) from None

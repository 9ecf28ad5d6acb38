"""A hostile or broken card never crashes the reader and never yields altered data as "authentic".

The genuine simulated CCCD answers every command, except one (chosen by hypothesis) whose response is
replaced, truncated, bit-flipped or given another status word.  Whatever happens, the read either raises
a typed :class:`reader.errors.ReaderError` or returns a result; a result may say ``authentic`` only when
every data group it holds is exactly the card's own (a corrupted unprotected EF.CardAccess may, for
example, legitimately end in a BAC read of the genuine data, with the downgrade recorded).
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.engine import ChipReader, ReadRequest
from reader.errors import ReaderError
from reader.pki.trust import CSCAStore
from reader.report import Verdict
from reader.transports import CallableTransport
from sims.personalize import card_image

IMAGE = card_image("default")
STORE = CSCAStore()
IMAGE.add_test_csca_to(STORE)
APDUS = 26  # the genuine PACE + files + PA + AA + CA read (benchmarks/chip_read.py)

Mutation = Callable[[bytes], bytes]


def _mutations() -> st.SearchStrategy[Mutation]:
    def flip(position: int, bit: int) -> Mutation:
        def mutate(r: bytes) -> bytes:
            if not r:
                return r
            i = position % len(r)
            return r[:i] + bytes([r[i] ^ (1 << bit)]) + r[i + 1 :]

        return mutate

    status_words = [0x6100, 0x61FF, 0x6C00, 0x6CFF, 0x6282, 0x6300, 0x6982, 0x6A82, 0x6D00, 0x6F00, 0x9000]

    return st.one_of(
        st.binary(max_size=300).map(lambda junk: lambda r: junk),  # anything at all, even empty
        st.integers(0, 300).map(lambda n: lambda r: r[:n]),  # truncated
        st.builds(flip, st.integers(0, 10_000), st.integers(0, 7)),  # one bit flipped
        st.sampled_from(status_words).map(
            lambda sw: lambda r: r[:-2] + sw.to_bytes(2, "big") if len(r) >= 2 else r
        ),  # another SW
        st.just(lambda r: r + r),  # answered twice
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, APDUS + 2), mutate=_mutations())
def test_one_hostile_answer_never_crashes_and_never_fakes_authentic(index: int, mutate: Mutation) -> None:
    card = IMAGE.new_card()
    count = [0]

    def hostile(command: bytes) -> bytes:
        response = card.execute(command)
        count[0] += 1
        return mutate(response) if count[0] - 1 == index else response

    reader = ChipReader(CallableTransport(hostile, extended_length=True))
    request = ReadRequest(bac_key=IMAGE.bac_key, can=IMAGE.profile.can, trust=STORE)
    try:
        result = reader.read(request)
    except ReaderError:
        return  # a typed error: the kiosk says what to do, nothing is verified
    if result.verdict is Verdict.AUTHENTIC:
        for name, data in result.raw.items():
            if name.startswith("DG") or name == "EF.SOD":
                assert data == IMAGE.lds_files[name], f"{name} altered but the read says authentic"

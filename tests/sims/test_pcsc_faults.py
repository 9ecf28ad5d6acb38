"""The fault matrix through the real pcscd (sims/pcsc_faults.py; docs/chip-faults.md): the card removed at
every APDU index of a full PACE+PA+AA+CA read, pcscd restarted mid-read, the reader gone.

pcscd is shared: run only under ``flock /tmp/pcscd.lock``; the matrix leaves pcscd running as
scripts/ensure-system.sh starts it (checked below)."""

from __future__ import annotations

import pytest

from reader.transports.pcsc import list_readers
from sims.pcsc_faults import apdu_labels, pcscd_pid, run_matrix
from sims.personalize import card_image
from tests.conftest import VPCD_READER, require_pcscd

pytestmark = pytest.mark.pcsc


def test_fault_matrix_through_pcscd() -> None:
    require_pcscd()
    total = len(apdu_labels(card_image("default")))
    # Every index is interrupted; the resume on the card placed again runs for every third index and for
    # every step of the anti-clone proofs (the full resume column: `python -m sims.pcsc_faults`), which
    # keeps this test near 30 s.
    rows = run_matrix("default", resume=lambda i: i % 3 == 0 or i >= total - 4)
    bad = [row.markdown() for row in rows if not row.ok]
    assert not bad, "\n".join(bad)
    removed = [row for row in rows if row.fault == "card removed"]
    assert [row.at for row in removed] == list(range(total + 1))
    assert {row.outcome for row in removed[:-1]} == {"ReadInterrupted"}
    assert sum(row.then == "resumed: authentic" for row in removed) >= total // 3
    assert {row.fault for row in rows} >= {"pcscd restarted", "reader gone (pcscd stopped)"}
    assert pcscd_pid() is not None and VPCD_READER in list_readers()  # pcscd left running

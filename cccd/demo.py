"""The demo on embedded defaults: a simulated card on the virtual PC/SC reader, read through pcscd."""

from __future__ import annotations

import json
import sys
import threading
import time

from cccd.reading import render_text
from kiosk.runtime.chip import ChipReadError, read_with_transport
from reader.access.bac import BACKeyInput
from reader.errors import NoCardError, NoReaderError
from reader.lds.mrz import cccd_can, mask_id
from reader.pki.trust import CSCAStore
from reader.transports.pcsc import PCSCTransport
from sims.personalize import card_image
from sims.vpcd import VPCDBridge

VPCD_READER = "Virtual PCD 00 00"


def run_chip_demo(profile_name: str = "default", *, as_json: bool = False) -> int:
    """Insert the profile's card in vpcd slot 0, read it like a real card, print the report."""

    image = card_image(profile_name)
    printed = image.profile.printed_card()
    bridge = VPCDBridge(image.new_card(), slot=0)
    try:
        bridge.connect(timeout=5)
    except OSError as exc:
        print(f"error: the vpcd virtual reader is not reachable ({exc}); is pcscd running?", file=sys.stderr)
        return 4
    thread = threading.Thread(target=bridge.serve_forever, daemon=True)
    thread.start()
    try:
        print(f"Simulated card '{profile_name}' placed on '{VPCD_READER}'.", file=sys.stderr)
        print(
            f"Access key typed as a user would: ID {mask_id(printed['id_number'])} (PACE with the CAN, its "
            "last 6 digits), birth date, expiry (BAC, if PACE is not possible).",
            file=sys.stderr,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                transport = PCSCTransport(VPCD_READER, extended_length=True)
                break
            except NoCardError:
                if time.monotonic() > deadline:
                    print("error: pcscd did not see the simulated card", file=sys.stderr)
                    return 5
                time.sleep(0.05)
            except NoReaderError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 4
        key = BACKeyInput.from_cccd(
            printed["id_number"], printed["mrz_birth_date"], printed["mrz_expiry_date"]
        )
        store = CSCAStore()
        image.add_test_csca_to(store)
        notes = [f"simulated card '{profile_name}' read through pcscd; its test CSCA is trusted"]
        try:
            report = read_with_transport(transport, key, store, notes, can=cccd_can(printed["id_number"]))
        except ChipReadError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return exc.exit_code

        print(
            json.dumps(report.to_json(), ensure_ascii=False, indent=2)
            if as_json
            else render_text(report)
        )
        return 0
    finally:
        bridge.stop()
        thread.join(timeout=5)

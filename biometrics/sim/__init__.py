"""Simulated camera for tests and the kiosk demo (no hardware)."""

from biometrics.sim.camera import SimMode, SimulatedCamera

__all__ = ["SimMode", "SimulatedCamera"]

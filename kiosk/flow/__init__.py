"""The kiosk flow (issue 5): a pure, table-driven state machine, immutable views, and the effect runner.

Public API::

    FlowConfig.from_profile(profile) -> FlowConfig         # what the machine needs of the profile
    step(session, event, config, now) -> Step              # pure transition (kiosk.flow.table)
    render(session, config) -> View                        # what the screen shows (kiosk.flow.views)
    FlowDriver(config).post(intent) / .process() / .view() # the running machine (kiosk.runtime.runner)
    build_sim_kiosk(...), build_kiosk(...)                 # composition roots (cccd.compose)
    mermaid() -> str                                       # the diagram, from the table
"""

from __future__ import annotations

from kiosk.flow.model import FlowConfig, Limits, Reason, Session, State, Timeouts
from kiosk.flow.table import TABLE, FlowError, Rule, Step, initial, step
from kiosk.flow.views import View, render

__all__ = [
    "TABLE", "FlowConfig", "FlowError", "Limits", "Reason", "Rule", "Session", "State", "Step", "Timeouts",
    "View", "initial", "render", "step",
]  # fmt: skip

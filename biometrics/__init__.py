"""Face verification against the chip photo (docs/face-verification.md).

Entry point for the kiosk: :class:`biometrics.verifier.FaceVerifier` →
:class:`biometrics.decision.FaceDecision`.  Camera sources: :mod:`biometrics.camera` and
:mod:`biometrics.sim` (simulated person).  Engines: :func:`biometrics.engines.get_engine`.  Evaluation:
:mod:`biometrics.evaluation` (``cccd face-eval``).  This package never imports ``reader``, ``kiosk`` or
``ui``, and uses the headless OpenCV build only.  Sub-modules are imported on demand (models load lazily).
"""

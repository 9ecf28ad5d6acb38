"""Typed errors of :mod:`biometrics`.

No message here ever contains image bytes, templates (embeddings) or anything else biometric.
"""

from __future__ import annotations


class BiometricsError(Exception):
    """Base class of every error raised by :mod:`biometrics`."""


class ImageDecodeError(BiometricsError):
    """The bytes are not a decodable JPEG, JPEG 2000 or PNG image."""


class ModelNotFoundError(BiometricsError):
    """A model file's package is not installed, or the file is missing from it."""


class ModelIntegrityError(BiometricsError):
    """A model file's SHA-256 differs from the pinned value: it is never loaded."""


class EngineUnavailableError(BiometricsError):
    """The configured engine cannot run here (unknown name, or its package is not installed)."""


class NoFaceError(BiometricsError):
    """No usable face was found in an image that must contain one (e.g. the chip photo)."""


class CameraError(BiometricsError):
    """A camera source could not be opened or stopped delivering frames."""

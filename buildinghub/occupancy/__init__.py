"""Away detection from a dwelling's consumption, with no labels needed (SPEC M6)."""

from .detector import AwayDetector, DetectorSettings
from .series import LoadWindow, windows_from_minutes

__all__ = ["AwayDetector", "DetectorSettings", "LoadWindow", "windows_from_minutes"]

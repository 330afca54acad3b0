"""nko-openness: a disclosure section for socially oriented NKOs on municipal Flask sites."""

from nko_openness.core.hookspecs import hookimpl
from nko_openness.core.state import get_state
from nko_openness.extension import NkoOpenness

__all__ = ["NkoOpenness", "get_state", "hookimpl"]
__version__ = "0.1.0"

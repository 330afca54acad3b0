"""nko-openness: a disclosure section for socially oriented NKOs on municipal Flask sites."""

from .extension import NkoOpenness, get_state
from .hookspecs import hookimpl

__all__ = ["NkoOpenness", "get_state", "hookimpl"]
__version__ = "0.1.0"

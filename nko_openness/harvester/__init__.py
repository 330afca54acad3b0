"""The reference harvester: the Resource Centre's replica of municipal feeds (docs/harvester.md)."""

from .client import FeedClient, FeedError, Snapshot
from .config import ConfigError, HarvestConfig, SourceConfig, load_config, parse_duration
from .progress import LineProgress, Progress, TtyProgress
from .sync import Harvester, RunReport, SourceResult, run_scheduled
from .validate import FeedFormatError

__all__ = [
    "ConfigError", "FeedClient", "FeedError", "FeedFormatError", "HarvestConfig", "Harvester",
    "LineProgress", "Progress", "RunReport", "Snapshot", "SourceConfig", "SourceResult",
    "TtyProgress", "load_config", "parse_duration", "run_scheduled",
]

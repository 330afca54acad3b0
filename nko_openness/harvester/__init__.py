"""The reference harvester: the Resource Centre's replica of municipal feeds (docs/harvester.md)."""

from nko_openness.harvester.client import FeedClient, FeedError, Snapshot
from nko_openness.harvester.config import (
    ConfigError,
    HarvestConfig,
    SourceConfig,
    load_config,
    parse_duration,
)
from nko_openness.harvester.progress import LineProgress, Progress, TtyProgress
from nko_openness.harvester.sync import Harvester, RunReport, SourceResult, run_scheduled
from nko_openness.harvester.validate import FeedFormatError

__all__ = [
    "ConfigError", "FeedClient", "FeedError", "FeedFormatError", "HarvestConfig", "Harvester",
    "LineProgress", "Progress", "RunReport", "Snapshot", "SourceConfig", "SourceResult",
    "TtyProgress", "load_config", "parse_duration", "run_scheduled",
]

"""``python -m nko_openness.harvester``: the same commands as ``nko-openness``."""

from nko_openness.harvester.cli import main

main(prog_name="nko-openness")

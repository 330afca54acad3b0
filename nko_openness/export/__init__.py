"""The export: published records as HSDS 3.1, the changes feed and snapshot, exporters."""

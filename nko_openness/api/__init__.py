"""The export API over HTTP (blueprint nko_api): HSDS subset, changes, snapshot, limits."""

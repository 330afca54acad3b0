"""Browser tests (Playwright + Debian's Chromium): a package, so its conftest stays its own."""

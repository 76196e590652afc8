"""The demo in a real browser (Debian chromium through Playwright)."""

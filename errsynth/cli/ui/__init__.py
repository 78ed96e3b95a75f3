"""The terminal UI of the CLI: progress bars, end-of-run summaries, row and log views."""

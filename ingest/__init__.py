"""Ingest: providers (yfinance, CSV, demo), validation of canonical frames, jobs, and the CLI."""

"""The `newsarchive` command line, built on the same services as the pages and the API."""

from app.cli.commands import main

__all__ = ["main"]

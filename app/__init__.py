"""News Archive: a self-hosted archive and full-text search for dated news articles."""

__version__ = "0.1.0"

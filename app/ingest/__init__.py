"""Readers that turn input files into `ArticleIn` records, and the shared normalisation."""

"""Everything that reads or writes the archive: articles, imports, search orchestration, facets,
exports, tokens, index sync. Pages, the API and the CLI all call these; nothing here imports
FastAPI, Starlette or Jinja2."""

"""The search engine: the query language, the SearchBackend interface and its backends.

Knows no service and no route: it is handed articles and returns ids and scores.
"""

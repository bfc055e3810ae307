"""HTML pages and feeds: routes only (parse, call a service, render a template)."""

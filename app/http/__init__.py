"""What the JSON API and the HTML pages share: dependencies, error handlers, templating, limits,
parameter parsing, paging cursors, ETags and presentation helpers."""

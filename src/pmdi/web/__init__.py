"""The web UI: server-rendered pages (Jinja2, autoescaped) with htmx, on the same services as the JSON API."""

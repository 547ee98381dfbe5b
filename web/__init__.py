"""The case workers' web app (issue 13): FastAPI, server-rendered Danish pages (Jinja2), htmx
vendored in static/. It calls the application layer's use cases through the `App` of
drejebog/bootstrap.py, never SQL; `drejebog serve` runs it with uvicorn."""

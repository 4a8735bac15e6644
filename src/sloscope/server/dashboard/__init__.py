"""The dashboard: server-rendered pages (Jinja2, autoescaped), scripts served as files."""

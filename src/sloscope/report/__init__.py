"""SLO status reports: the data (:mod:`.model`) and its renderers (JSON, table, Markdown, HTML)."""

"""The org report (``sloscope report --org``): how the organisation runs on its SLOs."""

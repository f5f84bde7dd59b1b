"""Load scenarios, the server launcher and the report builder."""

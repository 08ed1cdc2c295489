"""SPARQL queries: checks with the configured limits, the one run path, the query service and its backends."""

"""W3C SPARQL 1.1 conformance suites (protocol, query evaluation, query syntax) run through /sparql."""

"""RDF plumbing shared by every other package: the format registry, negotiation, the one serializer, term display."""

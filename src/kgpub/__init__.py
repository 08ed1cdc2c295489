"""kgpub: build, validate and publish a small Linked Data knowledge graph."""

__version__ = "0.1.0"

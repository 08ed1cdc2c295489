"""Linked Data resources: IRIs to documents, entity descriptions, fragments."""

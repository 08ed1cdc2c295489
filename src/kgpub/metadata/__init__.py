"""Descriptions of what is published (SPARQL Service Description; VoID and DCAT to come)."""

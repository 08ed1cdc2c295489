"""Load and validate a project folder into a release draft: the only package that imports rdflib and pySHACL."""

"""The documented entity description, written independently of the code as one SPARQL query."""

INDEPENDENT = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT { ?s ?p ?o } WHERE {
  { ?s ?p ?o FILTER(?s = <$TARGET> || ?o = <$TARGET>) }
  UNION { <$TARGET> ?p0 ?s . FILTER isBlank(?s) ?s ?p ?o }
  UNION { ?s ?p0 <$TARGET> . FILTER isBlank(?s) ?s ?p ?o }
  UNION {
    { ?c1 ?c2 ?c3 FILTER(?c1 = <$TARGET> || ?c3 = <$TARGET>) }
    UNION { <$TARGET> ?q ?c1 . FILTER isBlank(?c1) ?c1 ?c2 ?c3 }
    UNION { ?c1 ?q <$TARGET> . FILTER isBlank(?c1) ?c1 ?c2 ?c3 }
    VALUES ?which { 1 2 3 }
    BIND(IF(?which = 1, ?c1, IF(?which = 2, ?c2, ?c3)) AS ?s)
    FILTER isIRI(?s)
    VALUES ?p { rdfs:label skos:prefLabel }
    ?s ?p ?o
  }
}"""
"""The description in SPARQL (blank nodes closed one level deep: the real graph nests no deeper)."""

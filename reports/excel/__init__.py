"""Excel interchange (SPEC §4): the safe reader, the cycle importer, the results export
and the empty import template."""

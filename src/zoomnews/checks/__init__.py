"""Check the sources and releases: the catalogue of codes, the rules, validate (one core, N processes, or Spark) and its reports (step 2)."""

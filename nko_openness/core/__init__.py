"""What every feature stands on: state, database, language, sanitizer, hooks, vocabularies."""

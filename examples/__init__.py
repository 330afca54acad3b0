"""Examples of host sites that mount nko_openness."""

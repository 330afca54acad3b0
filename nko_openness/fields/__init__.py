"""Plugin fields (nko_extra_fields): specs and cleaning, typed values, forms, display."""

"""File formats, as pure functions of their inputs: X12 (837P, 835, 999, 277CA, 270/271) and its validator, PDF pages, CSV in and out."""

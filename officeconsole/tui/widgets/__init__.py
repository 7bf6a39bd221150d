"""Reusable widgets: the header line and labelled form fields."""

"""Curated reference data for the personal feed (specialties for cold start)."""

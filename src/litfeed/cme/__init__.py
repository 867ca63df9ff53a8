"""Continuing medical education from real reading: pure rules, no storage, no web.

A physician who documents an Internet point-of-care learning cycle (the clinical question, the
sources consulted, the application to practice) may claim credit under the AMA PRA rules; the
accredited provider decides. This package holds what litfeed decides by itself: how many
credits a completed cycle is worth (``credits``), when a draft expires and a completed cycle
locks (``cycle``), what the transcript says about who awards the credit (``rules``), and the
transcript files (``transcript``, ``pdf``). See docs/cme.md.
"""

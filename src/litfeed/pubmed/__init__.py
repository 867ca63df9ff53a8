"""PubMed XML in, :mod:`litfeed.models` objects out. Pure code: no database, no network."""

from litfeed.pubmed.parse import iter_records, iter_records_from, open_xml, parse_article

__all__ = ["iter_records", "iter_records_from", "open_xml", "parse_article"]

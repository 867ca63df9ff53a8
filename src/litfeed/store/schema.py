"""The whole relational schema, in one place (SQLAlchemy Core).

Papers are stored twice on purpose: ``papers.doc`` holds every field of the Paper (one read
per page view; ``Paper.from_doc`` rebuilds it), and the normalised tables (authors, MeSH,
identifiers, publication types, journals) hold what queries filter and join on. Both are
written in the same transaction by ``store.papers``. ``paper_changes`` is an append-only log
that the search index and the embedder follow by sequence number, so they can catch up after
a crash.

Changing this file means adding an Alembic migration under ``store/migrations/versions``.

A table that holds a reader's data points at them with a foreign key to ``users.id`` or a
column named ``user_id``, an ``email`` / ``*_email`` column, or a foreign key into such a table:
account deletion (``store/erase.py``) and the account export find it that way, with no list to
update (``tests/privacy`` fails, naming the table, until its test reader has a row there).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# --- papers ------------------------------------------------------------------------------------

journals = Table(
    "journals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # the natural key: NLM unique id when known, else ISSN, else the title (lower-cased)
    Column("key", String(300), nullable=False, unique=True),
    Column("title", Text),
    Column("iso_abbrev", Text),
    Column("issn", String(20)),
    Column("nlm_id", String(30)),
    Column("medline_ta", Text),
)

papers = Table(
    "papers",
    metadata,
    Column("pmid", String(20), primary_key=True),
    Column("version", Integer, nullable=False, default=1),
    Column("title", Text, nullable=False),
    Column("doi", String(300)),
    Column("pmcid", String(30)),
    Column("journal_id", Integer, ForeignKey("journals.id")),
    Column("volume", String(100)),
    Column("issue", String(100)),
    Column("pages", String(100)),
    Column("published", String(10)),
    Column("year", Integer),
    Column("language", String(10)),
    Column("retracted", Boolean, nullable=False, default=False),
    Column("is_book", Boolean, nullable=False, default=False),
    Column("has_abstract", Boolean, nullable=False, default=False),
    Column("status", String(40)),
    Column("doc", Text, nullable=False),  # every Paper field (Paper.from_doc reads it)
    Column("content_hash", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # formats.match.title_key(title): finds the paper an imported reference names by title
    Column("title_key", String(16)),
    Index("ix_papers_doi", "doi"),
    Index("ix_papers_year", "year"),
    Index("ix_papers_published", "published"),  # newest-first lists (0002)
    Index("ix_papers_title_key", "title_key", "year"),  # import matching (0004)
)
# DOIs are case-insensitive: lookups compare lower(doi), which only this index serves (0004)
Index("ix_papers_doi_lower", func.lower(papers.c.doi))

authors = Table(
    "authors",
    metadata,
    Column("pmid", String(20), ForeignKey("papers.pmid", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("last", Text),
    Column("fore", Text),
    Column("initials", String(40)),
    Column("collective", Text),
    Column("affiliations", Text),  # JSON list
    Index("ix_authors_last", "last"),
)

mesh_terms = Table(
    "mesh_terms",
    metadata,
    Column("pmid", String(20), ForeignKey("papers.pmid", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("descriptor", Text, nullable=False),
    Column("ui", String(20)),
    Column("major", Boolean, nullable=False, default=False),
    Column("qualifiers", Text),  # JSON list
    # covers "papers with this major topic": an index range, never a table walk
    Index("ix_mesh_terms_descriptor_major_pmid", "descriptor", "major", "pmid"),
)

identifiers = Table(
    "identifiers",
    metadata,
    Column("pmid", String(20), ForeignKey("papers.pmid", ondelete="CASCADE"), primary_key=True),
    Column("id_type", String(20), primary_key=True),
    Column("value", String(300), primary_key=True),
    Index("ix_identifiers_type_value", "id_type", "value"),
)

publication_types = Table(
    "publication_types",
    metadata,
    Column("pmid", String(20), ForeignKey("papers.pmid", ondelete="CASCADE"), primary_key=True),
    Column("name", String(200), primary_key=True),
    Index("ix_publication_types_name", "name"),
)

deleted_papers = Table(
    "deleted_papers",
    metadata,
    Column("pmid", String(20), primary_key=True),
    Column("deleted_at", DateTime(timezone=True), nullable=False),
)

paper_changes = Table(
    "paper_changes",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("pmid", String(20), nullable=False),
    Column("op", String(10), nullable=False),  # upsert | delete
    Index("ix_paper_changes_pmid", "pmid"),
)

# --- ingest -------------------------------------------------------------------------------------

ingest_files = Table(
    "ingest_files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # the file's identity: name + size + a digest of its first MiB, so a moved file resumes too
    Column("fingerprint", String(200), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("source", String(20), nullable=False, default="file"),  # file | updatefiles | baseline
    Column("status", String(20), nullable=False),  # running | done
    Column("records_done", Integer, nullable=False, default=0),
    Column("added", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)

applied_updates = Table(
    "applied_updates",
    metadata,
    Column("name", String(200), primary_key=True),  # e.g. pubmed25n1275.xml.gz
    Column("kind", String(20), nullable=False),  # updatefiles | baseline
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

# --- derived data: embeddings -------------------------------------------------------------------

embeddings = Table(
    "embeddings",
    metadata,
    Column("pmid", String(20), ForeignKey("papers.pmid", ondelete="CASCADE"), primary_key=True),
    Column("model", String(100), primary_key=True),
    Column("model_version", String(50), nullable=False),
    Column("content_hash", String(40), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32 little-endian
)

# an append-only log of vector writes, which in-RAM vector indexes follow by sequence number
# (as the search index follows paper_changes), so a million-vector index catches up with the
# few vectors written since it was saved instead of being rebuilt
embedding_changes = Table(
    "embedding_changes",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("pmid", String(20), nullable=False),
    Column("model", String(100), nullable=False),
)

# --- people -------------------------------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("name", Text),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("settings", Text, nullable=False, default="{}"),  # JSON: personalization, institution…
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
    # the private Atom feed URL's generation: "new URL" bumps it, the old URL stops working
    Column("feed_token_version", Integer),  # NULL: the first URL
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),  # sha256 of the cookie value
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_sessions_user_id", "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Index("ix_api_tokens_user_id", "user_id"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320)),
    Column("ip", String(64)),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failures_email", "email"),
    Index("ix_login_failures_ip", "ip"),
)

#: attempts counted per client address across every app process (registrations), kept only for
#: the window they are counted in; no user id, so they are nobody's personal data
rate_events = Table(
    "rate_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),  # register
    Column("key", String(64), nullable=False),  # the client address
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_rate_events_kind_key_at", "kind", "key", "at"),
)

reactions = Table(
    "reactions",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("pmid", String(20), primary_key=True),
    Column("value", String(10), nullable=False),  # like | dislike
    Column("reason", String(40)),  # off_topic | already_read | weak_study
    Column("created_at", DateTime(timezone=True), nullable=False),
)

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "name"),
)

collection_items = Table(
    "collection_items",
    metadata,
    Column("collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"),
           primary_key=True),
    Column("pmid", String(20), primary_key=True),
    Column("note", Text),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)

paper_views = Table(
    "paper_views",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("pmid", String(20), nullable=False),
    Column("query", Text),  # the search that led here, if any (CME learning cycles)
    Column("viewed_at", DateTime(timezone=True), nullable=False),
    Index("ix_paper_views_user_id", "user_id"),
)

# --- CME: learning cycles, their audit trail, the admin's credit rules --------------------------

cme_activities = Table(
    "cme_activities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(20), nullable=False),  # draft | completed | expired
    Column("question", Text),
    Column("query", Text),  # the search that started the cycle (None: a feed session)
    Column("sources", Text, nullable=False, default="[]"),  # JSON list of PMIDs, as read
    Column("application", String(20)),  # changed | confirmed | no_change
    Column("application_text", Text),
    # fixed at completion: hundredths of a credit (exact, on both backends), its label, the
    # calendar year (in the reader's time zone) it counts for
    Column("credit_hundredths", Integer),
    Column("credit_type", Text),
    Column("credit_year", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),  # drafts: when an unfinished one expires
    Column("edit_until", DateTime(timezone=True)),  # completed: locked from then on
    Index("ix_cme_activities_user_id_status", "user_id", "status"),
)

cme_audit = Table(
    "cme_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # no foreign key to the activity: the trail outlives a discarded draft
    Column("activity_id", Integer, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # draft | update | complete | edit | expire | discard
    Column("action", String(20), nullable=False),
    Column("before", Text),  # JSON of the activity before the change (None on creation)
    Column("after", Text),  # JSON after it (None when discarded)
    Index("ix_cme_audit_activity_id", "activity_id"),
    Index("ix_cme_audit_user_id", "user_id"),
)

cme_settings = Table(
    "cme_settings",
    metadata,
    Column("key", String(50), primary_key=True),  # credit_per_cycle, yearly_cap, …
    Column("value", Text),  # None: back to the server's default
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
)

# --- saved searches and their alerts ------------------------------------------------------------

saved_searches = Table(
    "saved_searches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("query", Text, nullable=False),
    Column("filters", Text, nullable=False, default="{}"),  # JSON: year_from, type, …
    Column("created_at", DateTime(timezone=True), nullable=False),
    # "N new since …": papers that arrived after the reader last opened the results
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("digest", String(10), nullable=False, default="none"),  # none | daily | weekly
    # the arrival time the last digest covered up to: the next one starts after it
    Column("last_digest_at", DateTime(timezone=True)),
    # the private Atom feed's credential (shown to its owner, so kept as it is)
    Column("feed_token", String(64), nullable=False, unique=True),
    UniqueConstraint("user_id", "name"),
    Index("ix_saved_searches_digest", "digest"),
)

# --- shared caches ------------------------------------------------------------------------------

cache_entries = Table(
    "cache_entries",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", Float, nullable=False),  # unix time
    Index("ix_cache_entries_expires_at", "expires_at"),  # purging expired rows (0005)
)

# --- full text: institutions (0005) -------------------------------------------------------------

# A library that gives readers access: EZproxy prefix, OpenURL resolver, interlibrary-loan form,
# and the email domains whose readers belong to it. A reader's explicit choice is
# users.settings["institution"] (this table's id, or "none").
institutions = Table(
    "institutions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("ezproxy_prefix", Text),
    Column("openurl_base", Text),
    Column("ill_url", Text),
    Column("email_domains", Text, nullable=False, default="[]"),  # JSON list, lower-case
    Column("created_at", DateTime(timezone=True), nullable=False),
)

USER_TABLES = (
    "sessions",
    "api_tokens",
    "reactions",
    "collections",
    "collection_items",
    "paper_views",
    "login_failures",
    "cme_activities",
    "cme_audit",
    "saved_searches",
)

"""Ranking: embeddings, vector search and rankers; works on ids and vectors, never on the store."""

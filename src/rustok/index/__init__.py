"""Index module (read model and search): reindex command and the scheduled full reindex.

The projection itself lives in SQL (sql/migrations/0040-0046, schema `index`); see docs/index.md.
"""

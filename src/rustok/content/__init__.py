"""Content module (pages, posts, comments, tags): the write side lives in SQL (sql/code/content/);
Python holds only its periodic job (rustok.content.schedule). See docs/content.md.
"""

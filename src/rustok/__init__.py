"""RusToK: a Postgres-first multi-tenant headless CMS and commerce platform."""

__version__ = "0.1.0"

"""Cross-cutting pieces: configuration, database, auth, audit, errors, i18n."""

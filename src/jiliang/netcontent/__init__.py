"""Net-content inspection of prepackaged goods: inspections, campaign statistics, C-mark.

The database-backed side of issue 8 over the pure kernel :mod:`jiliang.prepackaged`:
``models`` (tables), ``service`` (scope, validation, audit), ``router`` (API under
``/api/v1/netcontent``) and ``views`` (pages under ``/netcontent`` and ``/public/c-mark``).
"""

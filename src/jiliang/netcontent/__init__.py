"""Net-content inspection of prepackaged goods: inspections, campaign statistics, C-mark.

The database-backed side of issue 8 over the pure kernel :mod:`jiliang.prepackaged`:
``models`` (tables), ``service`` (inspections: scope, the kernel's verdict, audit), ``stats``
(pass rate by category and city, workbook), ``declarations`` (C-mark self-declarations and
their public register), ``router`` (API under ``/api/v1/netcontent``) and ``views`` (pages
under ``/netcontent`` and ``/public/c-mark``).
"""

"""Certificates: issuance from approved calibration records, the signed DCC, the PDF, revocation
and supersession (each logged in the public Merkle log), and public verification.

* :mod:`.service` — ``issue``, ``revoke``, ``supersede``, ``public_facts``, ``verify_upload``;
* :mod:`.pdf` — the printed certificate (reportlab, CID font STSong-Light, QR code by segno);
* :mod:`.router` — ``/api/v1/certificates``; :mod:`.views` — ``/verify`` and ``/certificates``;
* :mod:`.cli` — ``jiliang certificates list|export|issue`` and ``jiliang verify``.
"""

"""Trust infrastructure: signing keys, the public Merkle log of certificates, offline proofs.

* :mod:`.keys` — Ed25519 log keys and ECDSA P-256 DCC keys per organisation (private halves in
  0600 files under ``<data dir>/keys/``, public halves and validity in the database);
* :mod:`.service` — appending to the log, proofs, signed checkpoints, bundles and their offline
  verification;
* :mod:`.router` — the public endpoints; :mod:`.cli` — ``jiliang keys`` and ``jiliang log``.
"""

"""Trust infrastructure: signing keys, the public Merkle log of certificates, offline proofs.

* :mod:`.keys` — Ed25519 log keys and ECDSA P-256 DCC keys per organisation (private halves in
  0600 files under ``<data dir>/keys/``, public halves and validity in the database):
  ``create_key``, ``rotate_key``, ``signing_key_for(session, org_id)``,
  ``public_keys_for(session, org_id)``;
* :mod:`.service` — ``append`` / ``append_many`` to the log (gap-free indices), proofs in one
  query, signed checkpoints (``publish_checkpoint``);
* :mod:`.bundle` — ``make_bundle(session, number)`` and the offline ``verify_bundle``;
* :mod:`.router` — the public endpoints; :mod:`.cli` — ``jiliang keys`` and ``jiliang log``.
"""

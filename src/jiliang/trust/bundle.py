"""Offline verification bundles: everything needed to check a certificate without our server.

A bundle (canonical JSON, :func:`bundle_bytes`) holds::

    format             "jiliang-bundle/1"
    certificate_number the number the entries are about
    log_vkey           signed-note verifier key of the log key that signed ``checkpoint``
    checkpoint         a signed checkpoint (C2SP tlog-checkpoint) of the log
    entries            [{index, entry (the exact leaf bytes as text), inclusion_proof [base64]}]
                       the ``issued`` entry first, then any ``revoked`` / ``superseded`` ones
    issuer_keys        [{key_sha256, public_key (PEM)}] the issuer keys the entries name
    consistency        [{log_vkey, checkpoint (older), proof [base64]}] optional

:func:`verify_bundle` checks every field: the XML's enveloped signature against the issuer key
the logged entry names (by SHA-256 fingerprint), the XML's SHA-256 against the logged one, each
entry's inclusion proof against the checkpoint, the checkpoint's signature, and each older
checkpoint's signature and consistency.  Given as bytes, the bundle must also be in the
canonical form, so that any changed byte of the XML, the bundle or a checkpoint fails with a
reason.  Verification itself needs no database (the CLI runs it offline).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from jiliang.ledger import (
    CheckpointError,
    leaf_hash,
    parse_vkey,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)

BUNDLE_FORMAT = "jiliang-bundle/1"
_TOP = {"format", "certificate_number", "log_vkey", "checkpoint", "entries", "issuer_keys"}
_OPTIONAL = {"consistency"}


def bundle_bytes(bundle: dict[str, Any]) -> bytes:
    """The canonical file form of a bundle: sorted keys, two-space indent, UTF-8, final newline."""
    return (json.dumps(bundle, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def make_bundle(
    session: Session, certificate_number: str, older_sizes: Iterable[int] = ()
) -> dict[str, Any]:
    """The bundle of a certificate against the latest checkpoint (published if the log grew).

    ``older_sizes``: sizes of earlier published checkpoints to include consistency proofs from.
    Raises :class:`jiliang.trust.service.UnknownCertificate` when the log has no entry for it.
    """
    from jiliang.trust import service
    from jiliang.trust.models import SigningKey

    entries = service.entries_for_certificate(session, certificate_number)
    issued = [e for e in entries if e.kind == "issued"]
    if not issued:
        raise service.UnknownCertificate(certificate_number)
    entries = [issued[0]] + [e for e in entries if e.kind != "issued"]
    cp = service.publish_checkpoint(session)

    def vkey_of(fp: str) -> str:
        key = session.query(SigningKey).filter_by(fingerprint=fp).one()
        assert key.vkey is not None
        return key.vkey

    fps = []
    items = []
    for e in entries:
        payload = json.loads(e.data)
        if payload.get("key_sha256") and payload["key_sha256"] not in fps:
            fps.append(payload["key_sha256"])
        proof = service.inclusion_proof_for(session, e.index, cp.size)
        items.append(
            {
                "index": e.index,
                "entry": e.data.decode(),
                "inclusion_proof": [service.b64(h) for h in proof],
            }
        )
    issuer_keys = []
    for fp in fps:
        key = session.query(SigningKey).filter_by(fingerprint=fp, kind="dcc").one_or_none()
        if key is not None:
            issuer_keys.append({"key_sha256": fp, "public_key": key.public_key})
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "certificate_number": certificate_number,
        "log_vkey": vkey_of(cp.key_fingerprint),
        "checkpoint": cp.note,
        "entries": items,
        "issuer_keys": issuer_keys,
    }
    consistency = []
    for old in sorted(set(older_sizes)):
        if not 1 <= old <= cp.size:
            raise service.LogRangeError(
                {
                    "older": (
                        f"应在 1 与 {cp.size} 之间",
                        f"older sizes must be between 1 and {cp.size}",
                    )
                }
            )
        old_cp = service.checkpoint_at(session, old)
        proof = service.consistency_proof_for(session, old, cp.size)
        consistency.append(
            {
                "log_vkey": vkey_of(old_cp.key_fingerprint),
                "checkpoint": old_cp.note,
                "proof": [service.b64(h) for h in proof],
            }
        )
    if consistency:
        bundle["consistency"] = consistency
    return bundle


@dataclass
class VerificationResult:
    """Outcome of :func:`verify_bundle`: ``ok`` when every check passed; else the reasons.

    ``status`` is ``valid``, ``revoked`` or ``superseded`` (from the verified entries) when
    ``ok``, else ``invalid``.
    """

    ok: bool = False
    status: str = "invalid"
    reasons: list[str] = field(default_factory=list)
    reasons_zh: list[str] = field(default_factory=list)
    certificate_number: str | None = None
    index: int | None = None
    tree_size: int | None = None
    origin: str | None = None
    issuer_org_id: int | None = None
    issuer_key: str | None = None
    status_entries: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, zh: str, en: str) -> None:
        self.reasons_zh.append(zh)
        self.reasons.append(en)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _hashes(value: Any) -> list[bytes] | None:
    if not isinstance(value, list) or len(value) > 64:
        return None
    out = []
    for item in value:
        if not isinstance(item, str):
            return None
        try:
            raw = base64.b64decode(item, validate=True)
        except binascii.Error:
            return None
        if base64.b64encode(raw).decode() != item or len(raw) != 32:
            return None
        out.append(raw)
    return out


def _canonical_entry(data: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict):
        return None
    again = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return doc if again == data else None


def _load_bundle(bundle: Any, res: VerificationResult) -> dict[str, Any] | None:
    if isinstance(bundle, bytes | bytearray | str):
        raw = bundle.encode() if isinstance(bundle, str) else bytes(bundle)
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            res.fail(f"证明包不是有效的 JSON：{exc}", f"the bundle is not valid JSON: {exc}")
            return None
        if not isinstance(doc, dict):
            res.fail("证明包应为 JSON 对象", "the bundle must be a JSON object")
            return None
        if bundle_bytes(doc) != raw:
            res.fail(
                "证明包文件不是规范格式：导出后被修改过",
                "the bundle file is not in its canonical form: it was changed after export",
            )
    else:
        doc = bundle
    if not isinstance(doc, dict):
        res.fail("证明包应为 JSON 对象", "the bundle must be a JSON object")
        return None
    missing = sorted(_TOP - set(doc))
    extra = sorted(set(doc) - _TOP - _OPTIONAL)
    if missing or extra:
        res.fail(
            f"证明包字段不符（缺少 {missing}，多余 {extra}）",
            f"the bundle's fields are wrong (missing {missing}, unexpected {extra})",
        )
        return None
    if doc["format"] != BUNDLE_FORMAT:
        res.fail(f"证明包格式应为 {BUNDLE_FORMAT}", f"the bundle format must be {BUNDLE_FORMAT}")
    return doc


def verify_bundle(
    xml_bytes: bytes,
    bundle: dict[str, Any] | bytes | str,
    checkpoint_text: str | bytes | None = None,
    older_checkpoint: str | bytes | None = None,
    trusted_log_vkey: str | None = None,
) -> VerificationResult:
    """Verify a signed DCC with its bundle; every check that fails adds a reason.

    ``checkpoint_text`` is a checkpoint obtained independently (e.g. from
    ``/.well-known/jiliang/checkpoint`` or a witness): it must verify and be of the same tree
    (size and root) as the bundle's; ``older_checkpoint`` must be one the bundle carries a
    consistency proof from; ``trusted_log_vkey`` pins the log key
    (else the bundle's ``log_vkey`` is used, and the caller should compare it with the
    published one).
    """
    res = VerificationResult()
    try:
        _verify(res, xml_bytes, bundle, checkpoint_text, older_checkpoint, trusted_log_vkey)
    except Exception as exc:  # a malformed input must give a reason, never a crash
        res.fail(f"无法完成验证：{exc!r}", f"verification could not be completed: {exc!r}")
    res.ok = not res.reasons
    res.status = res.status if res.ok else "invalid"
    return res


def _verify(
    res: VerificationResult,
    xml_bytes: bytes,
    bundle: dict[str, Any] | bytes | str,
    checkpoint_text: str | bytes | None,
    older_checkpoint: str | bytes | None,
    trusted_log_vkey: str | None,
) -> None:
    from jiliang.dcc import DccSignatureError, verify_dcc_signature

    doc = _load_bundle(bundle, res)
    if doc is None:
        return
    number = doc["certificate_number"]
    res.certificate_number = number if isinstance(number, str) else None

    # -- the checkpoint and the log key --------------------------------------------------------
    if trusted_log_vkey is not None:
        trusted_log_vkey = trusted_log_vkey.strip()
    vkey_text = doc["log_vkey"]
    if trusted_log_vkey is not None and vkey_text != trusted_log_vkey:
        res.fail(
            "证明包中的日志公钥不是受信任的公钥", "the bundle's log key is not the trusted log key"
        )
        vkey_text = trusted_log_vkey
    size, root = None, None
    try:
        verifier = parse_vkey(vkey_text if isinstance(vkey_text, str) else "")
    except CheckpointError as exc:
        res.fail(f"日志公钥无效：{exc}", f"the log key is not valid: {exc}")
        verifier = None
    if verifier is not None:
        try:
            res.origin, size, root = verify_checkpoint(
                doc["checkpoint"] if isinstance(doc["checkpoint"], str) else "", verifier
            )
            res.tree_size = size
        except CheckpointError as exc:
            res.fail(
                f"证明包中的检查点无效：{exc}", f"the bundle's checkpoint does not verify: {exc}"
            )
        if checkpoint_text is not None:
            try:
                _, given_size, given_root = verify_checkpoint(checkpoint_text, verifier, res.origin)
            except CheckpointError as exc:
                res.fail(f"给定的检查点无效：{exc}", f"the checkpoint given does not verify: {exc}")
            else:
                if (given_size, given_root) != (size, root):
                    res.fail(
                        "给定的检查点与证明包中的检查点不是同一棵树",
                        "the checkpoint given is not the tree the bundle's proofs are for",
                    )

    # -- the entries -------------------------------------------------------------------------
    items = doc["entries"]
    entries: list[tuple[int, dict[str, Any]]] = []
    if not isinstance(items, list) or not items:
        res.fail("证明包中没有日志条目", "the bundle holds no log entries")
        items = []
    for n, item in enumerate(items):
        where = f"entries[{n}]"
        if not isinstance(item, dict) or set(item) != {"index", "entry", "inclusion_proof"}:
            res.fail(f"{where} 字段不符", f"{where} must have index, entry and inclusion_proof")
            continue
        index, text, proof = item["index"], item["entry"], _hashes(item["inclusion_proof"])
        if not isinstance(index, int) or isinstance(index, bool) or not isinstance(text, str):
            res.fail(f"{where} 的序号或内容类型错误", f"{where}: bad index or entry type")
            continue
        data = text.encode()
        payload = _canonical_entry(data)
        if payload is None:
            res.fail(f"{where} 的条目不是规范 JSON", f"{where}: the entry is not canonical JSON")
            continue
        if payload.get("index") != index or payload.get("certificate_number") != number:
            res.fail(
                f"{where} 的序号或证书编号与条目不符",
                f"{where}: index or certificate number differs from the logged entry",
            )
            continue
        if proof is None:
            res.fail(f"{where} 的包含证明格式错误", f"{where}: the inclusion proof is malformed")
            continue
        if size is not None and root is not None:
            if not verify_inclusion(leaf_hash(data), index, size, proof, root):
                res.fail(
                    f"{where}（第 {index} 条）的包含证明与检查点的根哈希不符",
                    f"{where} (leaf {index}): the inclusion proof does not lead to the "
                    "checkpoint's root hash",
                )
                continue
            entries.append((index, payload))
    issued = [p for _, p in entries if p.get("kind") == "issued"]
    if issued and (len(issued) > 1 or entries[0][1] is not issued[0]):
        res.fail(
            "证明包中的签发条目应只有一条且位于首位",
            "the bundle must hold exactly one issued entry, first",
        )

    # -- the issuer keys and the XML -----------------------------------------------------------
    keys: dict[str, str] = {}
    key_items = doc["issuer_keys"]
    referenced = {p.get("key_sha256") for _, p in entries}
    if not isinstance(key_items, list):
        res.fail("issuer_keys 应为列表", "issuer_keys must be a list")
        key_items = []
    for n, item in enumerate(key_items):
        where = f"issuer_keys[{n}]"
        if not isinstance(item, dict) or set(item) != {"key_sha256", "public_key"}:
            res.fail(f"{where} 字段不符", f"{where} must have key_sha256 and public_key")
            continue
        declared, pem = item["key_sha256"], item["public_key"]
        actual = _pem_fingerprint(pem)
        if actual is None or actual != declared:
            res.fail(
                f"{where} 的公钥与其指纹不符",
                f"{where}: the public key does not match its SHA-256 fingerprint",
            )
            continue
        if declared not in referenced:
            res.fail(f"{where} 未被任何条目引用", f"{where} is not named by any logged entry")
            continue
        keys[declared] = pem
    xml_sha = hashlib.sha256(bytes(xml_bytes)).hexdigest()
    if issued:
        entry = issued[0]
        res.index = next(i for i, p in entries if p is entry)
        res.issuer_org_id = entry.get("issuer_org_id")
        res.issuer_key = entry.get("key_sha256")
        if entry.get("xml_sha256") != xml_sha:
            res.fail(
                "XML 文件与日志中登记的不同（SHA-256 不符）",
                "the XML is not the one logged: its SHA-256 differs from the entry's",
            )
        pem = keys.get(entry.get("key_sha256", ""))
        if pem is None:
            res.fail(
                "证明包中没有签发条目所指的签发机构公钥",
                "the bundle lacks the issuer key the issued entry names",
            )
        else:
            try:
                verify_dcc_signature(bytes(xml_bytes), pem)
            except DccSignatureError as exc:
                res.fail(f"XML 签名无效：{exc}", f"the XML signature does not verify: {exc}")
    elif entries or not res.reasons:
        res.fail("证明包中没有经验证的签发条目", "the bundle holds no verified issued entry")

    # -- older checkpoints -------------------------------------------------------------------
    cons = doc.get("consistency", [])
    if not isinstance(cons, list):
        res.fail("consistency 应为列表", "consistency must be a list")
        cons = []
    matched_older = older_checkpoint is None
    older_text = (
        older_checkpoint.decode("utf-8", "replace")
        if isinstance(older_checkpoint, bytes)
        else older_checkpoint
    )
    for n, item in enumerate(cons):
        where = f"consistency[{n}]"
        if not isinstance(item, dict) or set(item) != {"log_vkey", "checkpoint", "proof"}:
            res.fail(f"{where} 字段不符", f"{where} must have log_vkey, checkpoint and proof")
            continue
        proof = _hashes(item["proof"])
        try:
            old_verifier = parse_vkey(item["log_vkey"] if isinstance(item["log_vkey"], str) else "")
            origin, old_size, old_root = verify_checkpoint(
                item["checkpoint"] if isinstance(item["checkpoint"], str) else "", old_verifier
            )
        except CheckpointError as exc:
            res.fail(
                f"{where} 的旧检查点无效：{exc}",
                f"{where}: the older checkpoint does not verify: {exc}",
            )
            continue
        if trusted_log_vkey is not None and item["log_vkey"] != trusted_log_vkey:
            res.fail(
                f"{where} 的日志公钥不是受信任的公钥",
                f"{where}: the log key is not the trusted log key",
            )
        if res.origin is not None and origin != res.origin:
            res.fail(f"{where} 属于另一个日志", f"{where} is a checkpoint of another log")
        elif (
            size is not None
            and root is not None
            and (
                proof is None
                or old_size > size
                or (old_size > 0 and not verify_consistency(old_size, size, old_root, root, proof))
            )
        ):
            res.fail(
                f"{where}：大小为 {size} 的日志不是大小为 {old_size} 的日志的延续",
                f"{where}: the log at size {size} does not extend the log at size {old_size}",
            )
        elif older_text is not None and item["checkpoint"] == older_text:
            matched_older = True
    if not matched_older:
        res.fail(
            "证明包中没有从给定旧检查点出发的一致性证明（或旧检查点被修改）",
            "the bundle holds no consistency proof from the older checkpoint given "
            "(or that checkpoint was changed)",
        )

    # -- status ------------------------------------------------------------------------------
    later = [p for _, p in entries if p.get("kind") in ("revoked", "superseded")]
    res.status_entries = later
    res.status = later[-1]["kind"] if later else "valid"


def _pem_fingerprint(pem: Any) -> str | None:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    if not isinstance(pem, str):
        return None
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # the PEM must be exactly the canonical PEM of that key (no byte may change silently)
    canonical = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    if canonical != pem:
        return None
    return hashlib.sha256(der).hexdigest()

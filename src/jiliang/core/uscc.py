"""Unified social credit code (统一社会信用代码), GB 32100-2015.

Structure of the 18 characters::

    position  1     registration authority code   (登记管理部门代码)
    position  2     organisation type code        (机构类别代码)
    positions 3-8   administrative division code  (登记管理机关行政区划码, GB/T 2260)
    positions 9-17  organisation code             (主体标识码, GB 11714)
    position  18    check character               (校验码)

The alphabet has 31 characters: the digits and the upper-case Latin letters without
I, O, Z, S and V. The check character is ``C18 = 31 - (sum(Ci * Wi) mod 31)`` (``31`` maps
to ``0``) with the weights ``Wi = 3**(i-1) mod 31`` = 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25,
13, 8, 24, 10, 30, 28, and each character valued by its index in the alphabet
(GB 32100-2015, clause 5 and annex B).

The registration authority and organisation type table follows GB 32100-2015 annex A as
extended by the registration departments later assigned codes (外交 2, 司法行政 3, 文化 4,
旅游 6, 宗教 7, 工会 8, 中央军委改革和编制办公室 A, 农业 N).
"""

from __future__ import annotations

__all__ = [
    "ALPHABET",
    "WEIGHTS",
    "ORGANISATION_TYPES",
    "UsccError",
    "check_character",
    "make_uscc",
    "validate_uscc",
]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}

#: Registration authority code -> the organisation type codes it may issue.
ORGANISATION_TYPES: dict[str, frozenset[str]] = {
    "1": frozenset("1239"),  # 机构编制: 机关, 事业单位, 中央编办直接管理机构编制的群众团体, 其他
    "2": frozenset("19"),  # 外交: 外国常驻新闻机构, 其他
    "3": frozenset("123459"),  # 司法行政: 律所, 公证处, 基层法律服务所, 司法鉴定, 仲裁委, 其他
    "4": frozenset("19"),  # 文化: 外国在华文化中心, 其他
    "5": frozenset("1239"),  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": frozenset("129"),  # 旅游: 外国/港澳台旅游部门常驻代表机构, 其他
    "7": frozenset("129"),  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": frozenset("19"),  # 工会: 基层工会, 其他
    "9": frozenset("123"),  # 市场监管(工商): 企业, 个体工商户, 农民专业合作社
    "A": frozenset("19"),  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": frozenset("12349"),  # 农业: 组级/村级/乡镇级集体经济组织, 其他
    "Y": frozenset("1"),  # 其他
}

_MESSAGES: dict[str, tuple[str, str]] = {
    "type": ("the code must be text", "统一社会信用代码必须是文本"),
    "length": (
        "a unified social credit code has 18 characters, this one has {n}",
        "统一社会信用代码应为18位，当前为{n}位",
    ),
    "charset": (
        "character {pos} ('{ch}') is not allowed: use digits and capital letters except "
        "I, O, Z, S, V",
        "第{pos}位字符“{ch}”不合法：只能使用数字和除 I、O、Z、S、V 以外的大写字母",
    ),
    "registration_authority": (
        "character 1 ('{ch}') is not a registration authority code (1-9, A, N, Y)",
        "第1位“{ch}”不是有效的登记管理部门代码（1–9、A、N、Y）",
    ),
    "organisation_type": (
        "character 2 ('{ch}') is not an organisation type of registration authority '{auth}'",
        "第2位“{ch}”不是登记管理部门“{auth}”下的有效机构类别代码",
    ),
    "division_code": (
        "characters 3-8 ('{div}') must be a 6-digit administrative division code",
        "第3–8位“{div}”应为6位数字的行政区划码",
    ),
    "check_character": (
        "the check character is '{got}' but should be '{want}': the code is mistyped",
        "校验码为“{got}”，应为“{want}”：代码有误，请核对",
    ),
}


class UsccError(ValueError):
    """A unified social credit code that breaks one rule of GB 32100-2015.

    Attributes
    ----------
    rule
        Which rule: ``type``, ``length``, ``charset``, ``registration_authority``,
        ``organisation_type``, ``division_code`` or ``check_character``.
    message
        English message (also ``str(error)``).
    message_zh
        Chinese message.
    """

    def __init__(self, rule: str, **params: object) -> None:
        en, zh = _MESSAGES[rule]
        self.rule = rule
        self.params = params
        self.message = en.format(**params)
        self.message_zh = zh.format(**params)
        super().__init__(self.message)

    def message_for(self, lang: str) -> str:
        """Return the message in ``lang`` (``zh...`` gives Chinese, anything else English)."""
        return self.message_zh if lang.lower().startswith("zh") else self.message


def check_character(body17: str) -> str:
    """Return the check character for the first 17 characters of a code.

    ``body17`` must be 17 characters of :data:`ALPHABET` (upper case); raises
    :class:`UsccError` (rule ``length`` or ``charset``) otherwise.
    """
    if len(body17) != 17:
        raise UsccError("length", n=len(body17))
    total = 0
    for pos, (ch, w) in enumerate(zip(body17, WEIGHTS, strict=True), start=1):
        v = _VALUE.get(ch)
        if v is None:
            raise UsccError("charset", pos=pos, ch=ch)
        total += v * w
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Validate a unified social credit code and return it normalised.

    Surrounding white space is removed and letters are upper-cased. The rules are checked
    in this order, and the first one broken raises :class:`UsccError` with its ``rule``:
    length 18, character set, registration authority code, organisation type code,
    division code digits, check character.
    """
    if not isinstance(code, str):
        raise UsccError("type")
    c = code.strip().upper()
    if len(c) != 18:
        raise UsccError("length", n=len(c))
    for pos, ch in enumerate(c, start=1):
        if ch not in _VALUE:
            raise UsccError("charset", pos=pos, ch=ch)
    auth, kind, div = c[0], c[1], c[2:8]
    if auth not in ORGANISATION_TYPES:
        raise UsccError("registration_authority", ch=auth)
    if kind not in ORGANISATION_TYPES[auth]:
        raise UsccError("organisation_type", ch=kind, auth=auth)
    if not div.isdigit():
        raise UsccError("division_code", div=div)
    want = check_character(c[:17])
    if c[17] != want:
        raise UsccError("check_character", got=c[17], want=want)
    return c


def make_uscc(prefix17: str) -> str:
    """Append the check character to 17 characters and return the validated 18-character code.

    Raises :class:`UsccError` if the prefix breaks any rule other than the check character.
    """
    p = prefix17.strip().upper()
    if len(p) != 17:
        raise UsccError("length", n=len(p))
    return validate_uscc(p + check_character(p))

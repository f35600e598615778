"""Unified social credit code, GB 32100-2015."""

from __future__ import annotations

import pytest

from jiliang.core.uscc import (
    ALPHABET,
    WEIGHTS,
    UsccError,
    check_character,
    make_uscc,
    validate_uscc,
)

# Published codes: the example widely quoted with GB 32100, and well-known companies'
# codes as shown on their business licences / the national credit publicity system.
VALID = [
    "91350100M000100Y43",  # example quoted with GB 32100-2015
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "91110000710925462X",  # 中国石油天然气股份有限公司
    "91440300192317458F",  # 比亚迪股份有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "916100007625687785",  # 陕西煤业化工集团有限责任公司
]


def test_alphabet_and_weights():
    assert len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)
    assert WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


@pytest.mark.parametrize("code", VALID)
def test_published_codes_are_valid(code):
    assert validate_uscc(code) == code
    assert make_uscc(code[:17]) == code
    assert check_character(code[:17]) == code[17]


def test_normalises_case_and_white_space():
    assert validate_uscc("  91350100m000100y43\n") == "91350100M000100Y43"


@pytest.mark.parametrize("code", VALID)
def test_every_single_character_change_is_rejected(code):
    for pos in range(18):
        for ch in ALPHABET + "IOZSV*-":
            if ch == code[pos]:
                continue
            mutated = code[:pos] + ch + code[pos + 1 :]
            with pytest.raises(UsccError):
                validate_uscc(mutated)


def test_adjacent_transpositions_are_caught_by_the_check():
    code = VALID[0]
    for pos in range(8, 16):
        if code[pos] == code[pos + 1]:
            continue
        swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
        with pytest.raises(UsccError) as err:
            validate_uscc(swapped)
        assert err.value.rule == "check_character"


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y433", "length"),
        ("", "length"),
        ("91350100M000100I43", "charset"),
        ("91350100M0001O0Y43", "charset"),
        ("91350100M000100Y4Z", "charset"),
        ("9135010-M000100Y43", "charset"),
        ("B1350100M000100Y43", "registration_authority"),
        ("0135010000000000Y4", "registration_authority"),
        ("94350100M000100Y43", "organisation_type"),
        ("Y2350100M000100Y43", "organisation_type"),
        ("913501A0M000100Y43", "division_code"),
        ("91350100M000100Y44", "check_character"),
    ],
)
def test_each_rule_has_its_own_error(code, rule):
    with pytest.raises(UsccError) as err:
        validate_uscc(code)
    assert err.value.rule == rule
    assert isinstance(err.value, ValueError)
    assert err.value.message and err.value.message_zh
    assert str(err.value) == err.value.message
    assert err.value.message_for("zh-CN") == err.value.message_zh
    assert err.value.message_for("en") == err.value.message


def test_messages_name_the_problem():
    with pytest.raises(UsccError) as err:
        validate_uscc("91350100M000100Y44")
    assert "'3'" in err.value.message and "“3”" in err.value.message_zh
    with pytest.raises(UsccError) as err:
        validate_uscc("91350100M000100I43")
    assert "16" in err.value.message and "第16位" in err.value.message_zh


def test_not_text():
    with pytest.raises(UsccError) as err:
        validate_uscc(91350100)  # type: ignore[arg-type]
    assert err.value.rule == "type"


def test_make_uscc_for_the_demo_generator():
    code = make_uscc("92610113MA6TX1234")
    assert len(code) == 18 and validate_uscc(code) == code
    with pytest.raises(UsccError) as err:
        make_uscc("92610113MA6TX123")
    assert err.value.rule == "length"
    with pytest.raises(UsccError) as err:
        make_uscc("97610113MA6TX1234")
    assert err.value.rule == "organisation_type"

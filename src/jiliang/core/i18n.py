"""Chinese (default) and English strings for pages and messages.

Strings live in one table keyed by an English identifier; ``t(key, lang)`` returns the text.
Domain labels (field names, choices) carry their own (zh, en) pairs next to their definition.
"""

from __future__ import annotations

LANGS = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "app_name": ("计量 · 智慧计量监管服务平台", "Jiliang · Smart Metrology Platform"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "bad_credentials": ("用户名或密码不正确", "Wrong username or password"),
    "dashboard": ("工作台", "Dashboard"),
    "search": ("搜索", "Search"),
    "search_placeholder": ("输入关键字搜索", "Type to search"),
    "filter": ("筛选", "Filter"),
    "reset": ("重置", "Reset"),
    "all": ("全部", "All"),
    "new": ("新建", "New"),
    "edit": ("编辑", "Edit"),
    "save": ("保存", "Save"),
    "cancel": ("取消", "Cancel"),
    "export": ("导出", "Export"),
    "import": ("导入", "Import"),
    "details": ("详情", "Details"),
    "history": ("变更记录", "History"),
    "audit_trail": ("审计追踪", "Audit trail"),
    "when": ("时间", "When"),
    "who": ("操作人", "Who"),
    "action": ("操作", "Action"),
    "changes": ("变更内容", "Changes"),
    "reason": ("原因", "Reason"),
    "previous": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "page_of": ("第 {page} / {pages} 页，共 {total} 条", "Page {page} of {pages}, {total} records"),
    "no_records": ("暂无记录", "No records"),
    "saved": ("已保存", "Saved"),
    "fix_errors": ("请更正标出的字段", "Please correct the marked fields"),
    "language": ("English", "中文"),
    "public_query": ("公众查询", "Public lookup"),
    "verification_status": ("检定状态", "Verification status"),
    "valid": ("有效", "Valid"),
    "expired": ("已过期", "Expired"),
    "not_verified": ("未检定", "Not verified"),
    "suspended_public": ("停用", "Suspended"),
    "qr_label": ("二维码标签", "QR label"),
    "print": ("打印", "Print"),
    "overdue": ("超期", "Overdue"),
    "due_soon": ("即将到期", "Due soon"),
    "total": ("合计", "Total"),
    "by_status": ("按状态统计", "By status"),
    "by_region": ("按地区统计", "By region"),
    "overdue_rate": ("超期率", "Overdue rate"),
    "region": ("地区", "Region"),
    "instruments": ("计量器具", "Instruments"),
    "organisations": ("单位", "Organisations"),
    "standards": ("计量标准", "Measurement standards"),
    "materials": ("标准物质", "Reference materials"),
    "instrument_types": ("器具类型", "Instrument types"),
    "metrologists": ("注册计量师", "Registered metrologists"),
    "users": ("用户", "Users"),
    "regions": ("行政区划", "Regions"),
    "my_org": ("本单位", "My organisation"),
    "retire": ("注销", "Retire"),
    "transition": ("变更状态", "Change status"),
    "forbidden": ("没有权限访问此页面", "You may not open this page"),
    "not_found": ("页面不存在", "Page not found"),
    "dry_run": ("仅校验，不导入", "Check only, import nothing"),
    "valid_rows_only": ("仅导入无误的行", "Import the valid rows only"),
    "row": ("行", "Row"),
    "field": ("字段", "Field"),
    "rule": ("规则", "Rule"),
    "imported": ("已导入 {n} 条", "{n} rows imported"),
    "nothing_imported": ("存在错误，未导入任何数据", "Errors found: nothing was imported"),
    "upload_file": ("选择文件（xlsx 或 csv）", "Choose a file (xlsx or csv)"),
    "drill_down": ("点击地区查看下级", "Click a region to drill down"),
    "view_list": ("查看清单", "View list"),
    "public_page_note": (
        "本页仅显示器具的公开信息。",
        "This page shows only the instrument's public facts.",
    ),
    "complaint_hint": ("如对计量有疑问，可向当地市场监管部门投诉举报。", "Questions about this instrument? Contact the local market regulator."),
    "api_tokens": ("API 令牌", "API tokens"),
    "home": ("首页", "Home"),
    "due_list": ("待检与超期器具", "Instruments due or overdue"),
    "standards_due": ("即将到期的计量标准与标准器（90 天内）", "Standards and devices expiring within 90 days"),
}


def t(key: str, lang: str = "zh", **kwargs) -> str:
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**kwargs) if kwargs else text


def pick(pair: tuple[str, str] | None, lang: str) -> str:
    if not pair:
        return ""
    return pair[1] if lang == "en" else pair[0]


def bi(lang: str, zh: str, en: str) -> str:
    """Inline bilingual text in templates: ``bi(lang, '中文', 'English')``."""
    return en if lang == "en" else zh

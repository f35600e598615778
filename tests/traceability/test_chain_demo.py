"""The demo chains: the demo lab's in-date devices are traceable to NIM (some through a city
institute's record, depth 3), one link is deliberately expired, and a first nightly report exists."""

from __future__ import annotations

from datetime import date

import chainfix
from sqlalchemy import select


def test_demo_chains_are_mostly_traceable_with_one_gap(db):
    from jiliang.traceability.chain import Checker, RecInfo
    from jiliang.traceability.models import ChainReport, TraceLink

    lab = chainfix.demo_lab(db)
    links = db.scalars(select(TraceLink).where(TraceLink.note.like("演示%"))).all()
    assert len(links) >= 3
    checker = Checker(db)
    depths, codes = [], []
    for lk in links:
        dev = checker._subject("device", lk.subject_id)[1]
        if lk.source_kind == "record":
            continue
        info = RecInfo(0, "probe", lab, date.today(), "approved", [dev.standard_id], [lk.subject_id], [], None)
        result = checker.check_info(info)
        depths.append(result["depth"])
        codes += [g["code"] for g in result["gaps"]]
    regional = [lk for lk in links if lk.source_kind == "record"]
    for lk in regional:
        dev = checker._subject("device", lk.subject_id)[1]
        info = RecInfo(0, "probe", lab, date.today(), "approved", [dev.standard_id], [lk.subject_id], [], None)
        result = checker.check_info(info)
        assert result["traceable"], result["gaps"]
        assert result["depth"] == 3
    assert codes.count("link_expired") == 1
    assert depths.count(2) >= 1
    assert db.scalar(select(ChainReport.id).limit(1)) is not None


def test_link_to_nim_makes_a_new_device_traceable(db):
    from jiliang.traceability.chain import Checker, RecInfo
    from jiliang.traceability.demo import link_to_nim

    lab = chainfix.demo_lab(db)
    std, dev = chainfix.standard(db, lab, "demo-nim")
    link_to_nim(db, dev, date.today())
    checker = Checker(db)
    result = checker.check_info(RecInfo(0, "probe", lab, date.today(), "approved", [std.id], [dev.id], [], None))
    assert result["traceable"] and result["depth"] == 2

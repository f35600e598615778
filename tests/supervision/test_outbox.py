"""The notice outbox: queued once per (org, topic, key), delivered once per channel, retried on
failure, never handed to a channel that is off; the in-app inbox with read marks per user."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from jiliang.supervision import inbox, outbox
from jiliang.supervision.warning_models import InboxItem, Notice, NoticeDelivery


class Recorder:
    """A channel that records what it was handed; fails the first ``fail`` times."""

    def __init__(self, name: str, fail: int = 0) -> None:
        self.name, self.fail, self.seen = name, fail, []
        self.enabled = True

    def deliver(self, session, notices):
        self.seen += [n.id for n in notices]
        if self.fail:
            self.fail -= 1
            return {n.id: "gateway down" for n in notices}
        return {n.id: None for n in notices}


@pytest.fixture()
def channels():
    saved = dict(outbox.CHANNELS)
    yield outbox.CHANNELS
    outbox.CHANNELS.clear()
    outbox.CHANNELS.update(saved)


def _org(db, username="enterprise"):
    from jiliang.people.models import User

    return db.scalar(select(User.org_id).where(User.username == username))


def _principal(db, username):
    from jiliang.people.models import User
    from jiliang.people.service import principal_for

    return principal_for(db, db.scalar(select(User).where(User.username == username)))


def _enqueue(db, org, key, topic="test"):
    return outbox.enqueue(db, org_id=org, topic=topic, dedup_key=key, title=("标题", "Title"),
                          body=("正文", "Body"), link="/instruments")


def test_enqueue_is_once_per_org_topic_key(db):
    org, other = _org(db), _org(db, "enterprise_b")
    assert _enqueue(db, org, "k-1") is True
    assert _enqueue(db, org, "k-1") is False
    assert _enqueue(db, org, "k-1", topic="other") is True
    assert _enqueue(db, other, "k-1") is True
    n = db.scalar(select(func.count()).select_from(Notice).where(Notice.dedup_key == "k-1"))
    assert n == 3
    db.rollback()


def test_default_channels_in_app_on_sms_email_off(db):
    org = _org(db)
    assert _enqueue(db, org, "k-channels")
    notice = db.scalar(select(Notice).where(Notice.dedup_key == "k-channels"))
    states = dict(db.execute(select(NoticeDelivery.channel, NoticeDelivery.status)
                             .where(NoticeDelivery.notice_id == notice.id)).all())
    assert states == {"inapp": "pending"}  # SMS and e-mail are off: nothing queued for them
    outbox.deliver_pending(db)
    states = dict(db.execute(select(NoticeDelivery.channel, NoticeDelivery.status)
                             .where(NoticeDelivery.notice_id == notice.id)).all())
    assert states == {"inapp": "sent"}
    assert db.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.notice_id == notice.id)) == 1
    db.rollback()


def test_delivery_once_per_channel_and_retry(db, channels):
    ok, flaky = Recorder("ok"), Recorder("flaky", fail=1)
    outbox.register_channel(ok)
    outbox.register_channel(flaky)
    org = _org(db)
    assert _enqueue(db, org, "k-deliver-1") and _enqueue(db, org, "k-deliver-2")
    ids = set(db.scalars(select(Notice.id).where(Notice.dedup_key.in_(("k-deliver-1", "k-deliver-2")))))
    first = outbox.deliver_pending(db)
    assert first["ok"]["sent"] >= 2 and first["flaky"]["failed"] >= 2
    failed = db.scalars(select(NoticeDelivery).where(NoticeDelivery.channel == "flaky",
                                                     NoticeDelivery.notice_id.in_(ids))).all()
    assert {(d.status, d.attempts, d.last_error) for d in failed} == {("failed", 1, "gateway down")}
    outbox.deliver_pending(db)
    outbox.deliver_pending(db)
    assert sorted(i for i in ok.seen if i in ids) == sorted(ids)  # once each, not three times
    assert sorted(i for i in flaky.seen if i in ids) == sorted(list(ids) * 2)  # failed once, then sent
    done = db.scalars(select(NoticeDelivery).where(NoticeDelivery.channel == "flaky",
                                                   NoticeDelivery.notice_id.in_(ids))).all()
    assert {(d.status, d.attempts) for d in done} == {("sent", 2)}
    db.rollback()


def test_failures_stop_after_max_attempts(db, channels):
    broken = Recorder("broken", fail=10 ** 6)
    outbox.register_channel(broken)
    assert _enqueue(db, _org(db), "k-broken")
    nid = db.scalar(select(Notice.id).where(Notice.dedup_key == "k-broken"))
    for _ in range(outbox.MAX_ATTEMPTS + 3):
        outbox.deliver_pending(db)
    assert broken.seen.count(nid) == outbox.MAX_ATTEMPTS
    db.rollback()


def test_gateway_adapters_are_off_until_given_a_sender(db, channels):
    sent = []
    assert not outbox.SmsChannel().enabled and not outbox.EmailChannel().enabled
    outbox.register_channel(outbox.SmsChannel(sender=lambda org, title, body, link: sent.append((org, title))))
    org = _org(db)
    assert _enqueue(db, org, "k-sms")
    outbox.deliver_pending(db)
    assert (org, "标题") in sent
    db.rollback()


def test_inbox_read_marks_are_per_user_and_scoped(db):
    org = _org(db)
    me, outsider, regulator = _principal(db, "enterprise"), _principal(db, "enterprise_b"), _principal(db, "yanta")
    assert _enqueue(db, org, "k-inbox")
    outbox.deliver_pending(db)
    item = db.scalar(select(InboxItem).join(Notice, Notice.id == InboxItem.notice_id)
                     .where(Notice.dedup_key == "k-inbox"))
    before = inbox.unread_count(db, me)
    listed = inbox.list_items(db, me, unread=True, per_page=200)
    assert item.id in {i["id"] for i in listed["items"]}
    assert item.id not in {i["id"] for i in inbox.list_items(db, outsider, per_page=200)["items"]}
    from jiliang.core.errors import NotFound

    with pytest.raises(NotFound):
        inbox.mark_read(db, outsider, item.id)
    with pytest.raises(NotFound):
        inbox.mark_read(db, regulator, item.id)
    assert inbox.mark_read(db, me, item.id)["unread"] == before - 1
    assert inbox.mark_read(db, me, item.id)["unread"] == before - 1  # twice is once
    assert inbox.mark_all_read(db, me)["unread"] == 0
    assert inbox.unread_count(db, me) == 0
    db.rollback()


def test_regulator_reads_the_inbox_of_her_regulator_organisation(db):
    from jiliang.orgs.models import Organisation

    yanta = _principal(db, "yanta")
    bureau = db.scalar(select(Organisation.id).where(Organisation.kind == "regulator",
                                                     Organisation.region_code == "610113"))
    assert inbox.org_ids(db, yanta) == [bureau]
    summaries = inbox.list_items(db, yanta, per_page=200)["items"]
    assert any(i["topic"] == "region_summary" for i in summaries)
    assert inbox.org_ids(db, _principal(db, "admin")) == []

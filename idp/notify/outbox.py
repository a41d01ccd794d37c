"""The development notifier: messages are kept in the ``outbox_message`` table instead of being
sent, so that the demo can show them (``/dev/outbox``) and tests can read them."""

from __future__ import annotations

from sqlalchemy import select

from idp import clock
from idp.extensions import db
from idp.models import OutboxMessage
from idp.notify.notifier import Message


class OutboxNotifier:
    def send(self, message: Message) -> None:
        db.session.add(
            OutboxMessage(
                created_at=clock.now(),
                kind=message.kind.value,
                channel=message.to.channel,
                address=message.to.address,
                language=message.language,
                subject=message.subject,
                body=message.body,
            )
        )
        db.session.commit()


def recent_messages(limit: int = 100) -> list[OutboxMessage]:
    """The outbox, newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    return list(db.session.scalars(query))

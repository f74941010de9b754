"""The Redis broker transport, with a workaround for a kombu/celery 5.7.0 crash.

The bug (celery 5.7.0 with kombu 5.7.0, the newest releases): when the broker connection drops
while the worker holds an unacknowledged message (a countdown or retry task waiting for its time,
or a task running), the consumer calls `connection.collect()` and then `connection.close()`.
`collect()` fails to close the default channel (its socket is dead; the error is swallowed) and
then detaches the transport from the connection (`transport.client = None`). `close()` then
closes that channel again, its QoS tries to put the unacknowledged messages back and builds a
Redis pool from the detached transport: `AttributeError: 'NoneType' object has no attribute
'hostname'`, which is not a connection error, so the worker stops with "Unrecoverable error".
Celery 5.6 did not call `close()` after `collect()`; no release fixes the pair yet.

The workaround: a QoS that, when its transport is detached or Redis does not answer, keeps the
messages it could not put back (in this process) instead of raising, and a consumer bootstep
(`RestoreHeldMessages`, installed in `pmo_platform.celery`) that puts them back as soon as the
worker is connected again and has declared its queues. A message is put back from Redis' own
unacked record when Redis still has it (persistent Redis) and from the copy held here when it
does not (Redis lost its data), so the countdown task still runs. Selected by
`CELERY_BROKER_TRANSPORT` in settings for `redis://` and `rediss://` broker URLs.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from celery import bootsteps
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeldMessage:
    """An unacknowledged message the closing channel could not put back into Redis."""

    tag: str
    payload: dict
    exchange: str
    routing_key: str


_held: dict[str, HeldMessage] = {}
_forget: set[str] = set()  # acknowledged while Redis was away: drop their unacked record later
_lock = threading.Lock()


def held_messages() -> list[HeldMessage]:
    with _lock:
        return list(_held.values())


def _detached(channel) -> bool:
    return getattr(channel.connection, "client", None) is None


class QoS(kombu_redis.QoS):
    """Redis ack emulation that never raises for a detached transport or a dead Redis while
    putting messages back: what it cannot put back now is held for `restore_held`."""

    def restore_unacked(self, client=None):
        delivered = list(self._delivered.items())
        self._delivered.clear()
        if not delivered:
            return None
        pending = list(delivered)
        if not _detached(self.channel):
            try:
                with self.channel.conn_or_acquire(client) as client_:
                    while pending:
                        self.restore_by_tag(pending[0][0], client=client_)
                        pending.pop(0)
            except self.channel.connection_errors as exc:
                logger.warning("broker away; holding %s message(s): %r", len(pending), exc)
        with _lock:
            for tag, message in pending:
                delivery = message.delivery_info
                _held[tag] = HeldMessage(
                    tag, message._raw, delivery["exchange"], delivery["routing_key"]
                )
        if pending:
            logger.warning("holding %s unacknowledged message(s) until reconnected", len(pending))
        return None

    def ack(self, delivery_tag):
        if _detached(self.channel):  # the task finished after its connection was dropped
            with _lock:
                _held.pop(delivery_tag, None)
                _forget.add(delivery_tag)
            return virtual.QoS.ack(self, delivery_tag)
        return super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        if _detached(self.channel):
            message = self._delivered.get(delivery_tag)
            with _lock:
                if not requeue:  # dropped on purpose: neither put back nor left unacked
                    _held.pop(delivery_tag, None)
                    _forget.add(delivery_tag)
                elif message is not None:  # else it is held already (the channel closed)
                    delivery = message.delivery_info
                    _held[delivery_tag] = HeldMessage(
                        delivery_tag,
                        message._raw,
                        delivery["exchange"],
                        delivery["routing_key"],
                    )
            return virtual.QoS.ack(self, delivery_tag)
        return super().reject(delivery_tag, requeue=requeue)


class Channel(kombu_redis.Channel):
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel


def restore_held(connection) -> int:
    """Put back the messages held since the connection dropped, through `connection` (a
    connected kombu connection of this app). Returns how many were put back."""
    with _lock:
        held, forget = list(_held.values()), set(_forget)
    if not held and not forget:
        return 0
    channel = connection.default_channel
    restored = 0
    with channel.conn_or_acquire() as client:
        for tag in forget:
            client.pipeline().zrem(channel.unacked_index_key, tag).hdel(
                channel.unacked_key, tag
            ).execute()
            with _lock:
                _forget.discard(tag)
        for message in held:

            def put_back(pipe, message=message):
                stored = pipe.hget(channel.unacked_key, message.tag)
                pipe.multi()
                pipe.zrem(channel.unacked_index_key, message.tag)
                pipe.hdel(channel.unacked_key, message.tag)
                if stored:
                    payload, exchange, routing_key = loads(bytes_to_str(stored))
                else:  # Redis lost it (no persistence): the copy held here
                    payload = loads(dumps(message.payload))
                    exchange, routing_key = message.exchange, message.routing_key
                channel._do_restore_message(payload, exchange, routing_key, pipe)

            client.transaction(put_back, channel.unacked_key)
            with _lock:
                _held.pop(message.tag, None)
            restored += 1
    logger.warning("put back %s message(s) held while the broker was away", restored)
    return restored


class RestoreHeldMessages(bootsteps.StartStopStep):
    """Consumer bootstep: after every (re)connection, once the task queues are declared, put
    back what the last connection could not."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, c):
        try:
            restore_held(c.connection)
        except c.connection.connection_errors as exc:  # gone again: the next connection will
            logger.warning("could not put back held messages yet: %r", exc)

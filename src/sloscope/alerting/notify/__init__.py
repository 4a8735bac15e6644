"""Notifications: one message model, notifiers per channel, routes, outbox delivery.

Channels: :mod:`~.alertmanager`, :mod:`~.webhook`, :mod:`~.slack`, :mod:`~.pagerduty`,
:mod:`~.email`, each implementing :class:`~.base.Notifier`. Routes (:mod:`~.routing`)
pick notifiers by labels; :func:`~.delivery.deliver_due` sends what the outbox holds.
"""

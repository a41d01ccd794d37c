"""Messages to citizens at the phone or e-mail address on their registry record.

Other code calls :func:`idp.notify.notifier.notify`; the configured notifier (``IDP_NOTIFIER``)
delivers. In development the outbox keeps the messages, and ``/dev/outbox`` shows them.
"""

from django.dispatch import Signal

# Sent inside the service's transaction and firm scope, with `firm` and `campaign`: other apps
# react (the reports app queues a report snapshot).
campaign_closed = Signal()
response_completed = Signal()

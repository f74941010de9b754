from django.db import models


class OutboxTask(models.Model):
    """A task waiting to be published to the broker.

    Written in the same transaction as the change that needs it, published on commit, and
    deleted once the broker has it. If Redis is down at that moment the row stays, and the
    `pmo_platform.flush_outbox` beat task publishes it later: no work is lost. Rows hold only a
    task name and JSON ids, so the table is platform infrastructure, not tenant data.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    countdown = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.task_name}({self.kwargs})"

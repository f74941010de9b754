"""Report-ready notices become delivery rows (queued, sending, sent, ...). The rows that exist
already were claims of emails that went out: they become `sent` (the column is added with that
default, then the default for new rows is `queued`)."""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_merge_two_factor_same_firm_keys'),
        ('reports', '0008_merge_due_at_same_firm_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='reportnotice',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='reportnotice',
            name='claimed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='reportnotice',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name='reportnotice',
            name='due_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name='reportnotice',
            name='last_error',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='reportnotice',
            name='message_id',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='reportnotice',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('unknown', 'Sent (not confirmed)'), ('rejected', 'Rejected'), ('failed', 'Failed'), ('cancelled', 'Not needed')], default='sent', max_length=10),
        ),
        migrations.AlterField(
            model_name='reportnotice',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('unknown', 'Sent (not confirmed)'), ('rejected', 'Rejected'), ('failed', 'Failed'), ('cancelled', 'Not needed')], default='queued', max_length=10),
        ),
        migrations.AlterField(
            model_name='reportnotice',
            name='sent_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='reportnotice',
            index=models.Index(fields=['status', 'due_at'], name='report_notice_pending'),
        ),
    ]

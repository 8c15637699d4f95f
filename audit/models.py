from django.conf import settings
from django.db import models
from django.utils import timezone


class StaffAccess(models.Model):
    """Staff read or changed another customer's data, through the API or the admin.

    Kept for accountability. When a customer is erased, its entries stay with the
    customer replaced by a pseudonym (`subject_pseudonym`, `actor_pseudonym`): who did
    what stays countable, and nothing names the person any more.
    """

    class Action(models.TextChoices):
        READ = "read"
        WRITE = "write"

    class Channel(models.TextChoices):
        API = "api"
        ADMIN = "admin"

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        help_text="The staff member; empty once erased (see the pseudonym).",
    )
    actor_pseudonym = models.CharField(max_length=32, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        help_text="The customer whose data it was; empty once erased (see the pseudonym).",
    )
    subject_pseudonym = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=8, choices=Action.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    what = models.CharField(max_length=300, help_text="The request, or the admin's operation.")
    address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "staff access"
        verbose_name_plural = "staff accesses"
        indexes = [
            models.Index(fields=["subject", "-created_at"], name="staffaccess_subject_recent"),
            models.Index(fields=["actor", "-created_at"], name="staffaccess_actor_recent"),
            models.Index(fields=["-created_at"], name="staffaccess_recent"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.what}"

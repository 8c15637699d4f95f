from django.contrib import admin

from audit.models import StaffAccess
from favorites_project.admin import ViewOnlyModelAdmin


@admin.register(StaffAccess)
class StaffAccessAdmin(ViewOnlyModelAdmin):
    """Read-only: entries are written by the service, never by hand."""

    list_display = [
        "created_at",
        "actor_display",
        "action",
        "subject_display",
        "channel",
        "what",
        "address",
    ]
    list_filter = ["action", "channel", "created_at"]
    list_select_related = ["actor", "subject"]
    search_fields = ["actor__email", "subject__email", "what", "subject_pseudonym"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    readonly_fields = (
        "created_at",
        "actor",
        "actor_pseudonym",
        "action",
        "subject",
        "subject_pseudonym",
        "channel",
        "what",
        "address",
    )
    fields = readonly_fields

    @admin.display(description="staff", ordering="actor__email")
    def actor_display(self, entry: StaffAccess) -> str:
        return entry.actor.email if entry.actor else entry.actor_pseudonym

    @admin.display(description="customer", ordering="subject__email")
    def subject_display(self, entry: StaffAccess) -> str:
        return entry.subject.email if entry.subject else entry.subject_pseudonym

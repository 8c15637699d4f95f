"""Staff access records for the admin's pages: a mixin for the model admins that show
customers' data."""

from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect

from audit.models import StaffAccess
from audit.recording import staff_access_note

ADMIN = StaffAccess.Channel.ADMIN


class StaffAccessAuditMixin:
    """Records each page of customers' data a staff member opens, and each change.

    `audit_subject_id(obj)` names the customer an object belongs to.
    """

    def audit_subject_id(self, obj) -> int:
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            subjects = [self.audit_subject_id(obj) for obj in changelist.result_list]
            staff_access_note(request, subjects, channel=ADMIN, write=False)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        response = super().change_view(request, object_id, form_url, extra_context)
        if obj is not None:
            # A POST that did not save (a form with errors) changed nothing.
            changed = request.method == "POST" and isinstance(response, HttpResponseRedirect)
            staff_access_note(request, [self.audit_subject_id(obj)], channel=ADMIN, write=changed)
        return response

    def delete_view(self, request, object_id, extra_context=None):
        # Before the delete: the entry names the customer while it still exists (an erased
        # customer's entries are then pseudonymised with the rest).
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            staff_access_note(request, [self.audit_subject_id(obj)], channel=ADMIN)
        return super().delete_view(request, object_id, extra_context)

    def audit_change(self, request, subject_ids) -> None:
        """For bulk deletes and actions: the customers the selected objects belong to."""
        staff_access_note(request, subject_ids, channel=ADMIN, write=True)

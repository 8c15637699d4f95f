"""What the apps' admin pages share."""

from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A page staff read but never add to or edit; deleting is allowed unless said."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ViewOnlyModelAdmin(ReadOnlyModelAdmin):
    """A record kept for accountability or figures: not even staff delete it here."""

    def has_delete_permission(self, request, obj=None):
        return False

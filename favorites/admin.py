from django import forms
from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator

from audit.admin_mixins import StaffAccessAuditMixin
from favorites.admin_filters import CustomerAutocompleteFilter, PriceDroppedFilter
from favorites.models import API_FIELDS, Favorite, RefreshChunk, RefreshRun
from favorites.services import REFRESH_NOW_LIMIT, favorites_delete, favorites_refresh_now
from favorites_project.admin import ReadOnlyModelAdmin

# Titles are cut so that a changelist row stays on one line at 1,400 px.
TITLE_CHARACTERS = 32


def price_change(favorite: Favorite) -> str:
    """The change since the favorite was added: amount and percent (as the API gives them),
    a drop marked ▼."""
    change, percent = favorite.price_change, favorite.price_change_percent
    if not change:
        return format_html('<span class="price-unchanged">{}</span>', "-")
    shown_percent = "" if percent is None else f" ({percent:+.1f} %)"
    if change < 0:
        return format_html(
            '<strong class="price-dropped" style="color: #1a7f37">▼ {}{}</strong>',
            f"{change:.2f}",
            shown_percent,
        )
    return format_html(
        '<span class="price-rose" style="color: #b3261e">▲ +{}{}</span>',
        f"{change:.2f}",
        shown_percent,
    )


def _with_price_change(queryset: QuerySet[Favorite]) -> QuerySet[Favorite]:
    # Named apart from Favorite.price_change (a property): for sorting the changelist.
    return queryset.annotate(price_change_amount=F("price") - F("price_when_added"))


@admin.register(Favorite)
class FavoriteAdmin(StaffAccessAuditMixin, ReadOnlyModelAdmin):
    """Favorites are added through the API, which checks the product with the catalog;
    the admin shows them and may remove them or refresh them, but never edits a snapshot."""

    list_display = [
        "product_id",
        "customer_email",
        "short_title",
        "price",
        "price_when_added",
        "price_change_display",
        "available",
        "added",
    ]
    list_select_related = ["customer"]
    list_filter = [PriceDroppedFilter, CustomerAutocompleteFilter, "available", "created_at"]
    search_fields = ["product_id", "title", "customer__email"]
    ordering = ["-created_at", "-id"]
    fields = readonly_fields = ("customer", *API_FIELDS, "price_change_display")
    show_full_result_count = False
    actions = ["refresh_now"]

    @property
    def media(self):
        # The customer filter's autocomplete widget (select2) and the script that applies it.
        return (
            super().media
            + CustomerAutocompleteFilter.widget_media()
            + forms.Media(js=["favorites/customer_filter.js"], css={"all": ["favorites/admin.css"]})
        )

    def get_queryset(self, request):
        return _with_price_change(super().get_queryset(request))

    def audit_subject_id(self, favorite: Favorite) -> int:
        return favorite.customer_id

    @admin.display(description="customer", ordering="customer__email")
    def customer_email(self, favorite: Favorite) -> str:
        return favorite.customer.email

    @admin.display(description="added", ordering="created_at")
    def added(self, favorite: Favorite) -> str:
        return f"{favorite.created_at:%Y-%m-%d %H:%M}"

    @admin.display(description="title", ordering="title")
    def short_title(self, favorite: Favorite) -> str:
        return format_html(
            '<span title="{}">{}</span>',
            favorite.title,
            Truncator(favorite.title).chars(TITLE_CHARACTERS),
        )

    @admin.display(description="price change since added", ordering="price_change_amount")
    def price_change_display(self, favorite: Favorite) -> str:
        return price_change(favorite)

    @admin.action(description="Refresh selected favorites from the catalog now")
    def refresh_now(self, request, queryset) -> None:
        product_ids = sorted(set(queryset.values_list("product_id", flat=True)))
        # Every snapshot of these products changes: each customer who has one is affected.
        self.audit_change(
            request,
            Favorite.objects.filter(product_id__in=product_ids)
            .values_list("customer_id", flat=True)
            .distinct(),
        )
        summary = favorites_refresh_now(product_ids=product_ids)
        skipped = len(product_ids) - summary.checked
        text = (
            f"Refreshed {summary.checked} product(s) from the catalog: "
            f"{summary.updated} changed, {summary.unchanged} unchanged, "
            f"{summary.unavailable} no longer in the catalog, {summary.failed} failed."
        )
        if skipped > 0:
            text += f" {skipped} more were not refreshed: at most {REFRESH_NOW_LIMIT} at a time."
        level = messages.WARNING if summary.failed or skipped > 0 else messages.SUCCESS
        self.message_user(request, text, level)

    # Deletes go through the service, so the lists' ETags change with them.
    def delete_model(self, request, favorite: Favorite) -> None:
        favorites_delete(favorites=Favorite.objects.filter(pk=favorite.pk))

    def delete_queryset(self, request, queryset) -> None:
        self.audit_change(request, queryset.values_list("customer_id", flat=True).distinct())
        favorites_delete(favorites=queryset)

    def response_delete(self, request, obj_display, obj_id):
        """Back where the delete started when it says so (the customer's page)."""
        back = request.POST.get("next") or request.GET.get("next")
        if not back or not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            # The changelist (Django would go to the admin's index: the page is view-only).
            back = reverse("admin:favorites_favorite_changelist")
        self.message_user(request, f"The favorite “{obj_display}” was deleted.")
        return HttpResponseRedirect(back)


class LatestFavoritesFormSet(BaseInlineFormSet):
    """Only the newest favorites, so a customer with thousands still opens quickly."""

    limit = 50

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            queryset = _with_price_change(super().get_queryset())
            self._latest = queryset.order_by("-created_at", "-id")[: self.limit]
        return self._latest


class FavoriteInline(admin.TabularInline):
    model = Favorite

    class Media:
        css = {"all": ["favorites/admin.css"]}

    formset = LatestFavoritesFormSet
    verbose_name_plural = f"favorites (the latest {LatestFavoritesFormSet.limit})"
    fields = readonly_fields = (
        "product_id",
        "short_title",
        "price",
        "price_when_added",
        "price_change_display",
        "available",
        "created_at",
        "delete_link",
    )
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="title")
    def short_title(self, favorite: Favorite) -> str:
        return Truncator(favorite.title).chars(TITLE_CHARACTERS)

    @admin.display(description="price change since added")
    def price_change_display(self, favorite: Favorite) -> str:
        return price_change(favorite)

    @admin.display(description="")
    def delete_link(self, favorite: Favorite) -> str:
        """Delete this favorite, then come back to the customer's page."""
        if favorite.pk is None:
            return ""
        back = reverse("admin:customers_customer_change", args=[favorite.customer_id])
        url = reverse("admin:favorites_favorite_delete", args=[favorite.pk])
        return format_html('<a class="deletelink" href="{}?next={}">Delete</a>', url, back)


def customer_favorites_url(customer_id: int) -> str:
    """The favorites changelist filtered on one customer."""
    return f"{reverse('admin:favorites_favorite_changelist')}?customer__id__exact={customer_id}"


COUNTS = ("checked", "updated", "unchanged", "unavailable", "failed")


class RefreshChunkInline(admin.TabularInline):
    model = RefreshChunk
    fields = readonly_fields = ("number", "worker", "finished_at", *COUNTS)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RefreshRun)
class RefreshRunAdmin(ReadOnlyModelAdmin):
    """The scheduled refresh's runs: each the sum of its chunks, as workers finish them."""

    list_display = ("started_at", "finished_at", "chunks_done", "chunks_total", *COUNTS)
    list_filter = ["started_at"]
    ordering = ["-started_at", "-id"]
    fields = readonly_fields = (
        "started_at",
        "finished_at",
        "checked_before",
        "chunks_done",
        "chunks_total",
        *COUNTS,
    )
    inlines = [RefreshChunkInline]

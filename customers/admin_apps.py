from django.contrib.admin import apps


class AdminConfig(apps.AdminConfig):
    """Django's admin, on the project's site (customers/admin_site.py): its login is throttled."""

    default_site = "customers.admin_site.AdminSite"

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


def normalize_email(email: str) -> str:
    """Emails are stored and looked up lower-cased: one address, one account."""
    return email.strip().lower()


def customer_password_set(customer: "Customer", password: str | None) -> None:
    """Set (not save) a validated password, or an unusable one for None."""
    if password is None:
        customer.set_unusable_password()
        return
    try:
        validate_password(password, user=customer)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    customer.set_password(password)


class CustomerManager(BaseUserManager["Customer"]):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email=normalize_email(email))

    def create_user(
        self,
        email: str,
        password: str | None = None,
        *,
        name: str,
        is_staff: bool = False,
        is_active: bool = True,
        is_superuser: bool = False,
    ) -> "Customer":
        """A new customer, saved; without a password it cannot log in until one is set.

        The password must pass the configured validators (a `ValidationError`
        on `password` otherwise). A duplicate email is the database's
        `IntegrityError`: `customers.services.customer_create` (which the API
        calls) turns it into `EmailTaken`; `createsuperuser` checks first.
        """
        customer = self.model(
            email=normalize_email(email),
            name=name.strip(),
            is_staff=is_staff,
            is_active=is_active,
            is_superuser=is_superuser,
        )
        customer_password_set(customer, password)
        customer.save(using=self._db)
        return customer

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class Customer(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True, max_length=254)
    name = models.CharField(max_length=255)
    is_staff = models.BooleanField(
        default=False, help_text="Back-office access: manages every customer and favorites list."
    )
    is_active = models.BooleanField(
        default=True, help_text="Inactive customers cannot log in; their tokens answer 401."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = CustomerManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    # Not a field: the version of the customer's data, set on a customer read through
    # `customers.cache` (None until read).
    data_version: str | None = None

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="customer_email_ci_unique",
                violation_error_message="A customer with this email already exists.",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="customer_name_not_blank"),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)
        self.name = self.name.strip()

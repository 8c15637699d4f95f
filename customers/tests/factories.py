import factory
from django.contrib.auth.hashers import make_password

from customers.models import Customer
from customers.testing import PASSWORD

# Hashed once: a real hash, without paying the hasher's cost for every customer built.
PASSWORD_HASH = make_password(PASSWORD)


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    password = PASSWORD_HASH


class StaffFactory(CustomerFactory):
    is_staff = True

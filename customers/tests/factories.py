import factory

from customers.models import Customer

PASSWORD = "correct-horse-battery-staple"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    password = factory.django.Password(PASSWORD)


class StaffFactory(CustomerFactory):
    is_staff = True

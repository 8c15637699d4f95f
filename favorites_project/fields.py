"""Serializer fields every app's API shares: JSON types taken as the schema states them."""

from rest_framework import serializers


class StrictTextMixin:
    """A text field that takes only JSON strings, and checks its length on what was sent.

    DRF's CharField turns numbers into strings (`41835610218461390.5` as a password),
    where the schema says `string`. Lengths are checked before trimming, as the
    schema's `maxLength` counts them.
    """

    def run_validation(self, data=serializers.empty):
        if not (isinstance(data, str) or data is serializers.empty or data is None):
            self.fail("invalid")
        if self.max_length is not None and isinstance(data, str) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class StrictBooleanField(serializers.BooleanField):
    """`true` or `false` only: DRF's BooleanField also takes `1`, `"yes"`, `"off"`..."""

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)

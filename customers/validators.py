"""Password rules beside Django's own validators."""

from django.core.exceptions import ValidationError


class NotOnlyWhitespaceValidator:
    """A password is kept exactly as sent (never trimmed), so one of spaces alone would pass
    the length rule: refuse it."""

    def validate(self, password: str, user=None) -> None:
        if not password.strip():
            raise ValidationError(
                "The password cannot be made of spaces only.", code="password_only_whitespace"
            )

    def get_help_text(self) -> str:
        return "Your password cannot be made of spaces only."

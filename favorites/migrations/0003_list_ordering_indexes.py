"""The list's other orderings' indexes, built without blocking writes on PostgreSQL.

`CREATE INDEX CONCURRENTLY` lets adds and removes go on while a large favorites table
is indexed (it cannot run in a transaction, hence `atomic = False`); other databases
(SQLite, the embedded default) build them as usual.
"""

import django.db.models.expressions
import django.db.models.functions.comparison
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("favorites", "0002_storefront"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name='favorite',
            index=models.Index(fields=['customer', 'price', 'id'], name='favorite_customer_price'),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name='favorite',
            index=models.Index(fields=['customer', 'title', 'id'], name='favorite_customer_title'),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name='favorite',
            index=models.Index(models.F('customer'), django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('price'), '-', models.F('price_when_added')), '/', django.db.models.functions.comparison.NullIf(models.F('price_when_added'), models.Value(0))), models.F('id'), name='favorite_customer_price_change'),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name='favorite',
            index=models.Index(condition=models.Q(('price__lt', models.F('price_when_added'))), fields=['customer', '-created_at', '-id'], name='favorite_customer_dropped'),
        ),
    ]

from django.db import migrations, models

# PostgreSQL: a materialized view with a unique index (so it refreshes CONCURRENTLY, readers
# never wait); SQLite, the embedded default, has none: a plain view there.
COUNTS = """
    product_id,
    MAX(title) AS title,
    MAX(brand) AS brand,
    COUNT(*) AS customers,
    {recent_7} AS last_7_days,
    {recent_30} AS last_30_days,
    COUNT(*) FILTER (WHERE NOT available) AS unavailable,
    COUNT(*) FILTER (WHERE price < price_when_added) AS cheaper_than_added,
    {now} AS computed_at
"""
POSTGRESQL = [
    "CREATE MATERIALIZED VIEW analytics_productdemand AS SELECT "
    + COUNTS.format(
        recent_7="COUNT(*) FILTER (WHERE created_at >= now() - interval '7 days')",
        recent_30="COUNT(*) FILTER (WHERE created_at >= now() - interval '30 days')",
        now="now()",
    )
    + " FROM favorites_favorite GROUP BY product_id",
    "CREATE UNIQUE INDEX analytics_productdemand_product ON analytics_productdemand (product_id)",
]
SQLITE = [
    "CREATE VIEW analytics_productdemand AS SELECT "
    + COUNTS.format(
        recent_7="COUNT(*) FILTER (WHERE created_at >= datetime('now', '-7 days'))",
        recent_30="COUNT(*) FILTER (WHERE created_at >= datetime('now', '-30 days'))",
        now="strftime('%Y-%m-%d %H:%M:%f', 'now')",
    )
    + " FROM favorites_favorite GROUP BY product_id",
]


def create(apps, schema_editor):
    statements = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP MATERIALIZED VIEW analytics_productdemand")
    else:
        schema_editor.execute("DROP VIEW analytics_productdemand")


class Migration(migrations.Migration):
    initial = True

    dependencies = [("favorites", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="ProductDemand",
            fields=[
                (
                    "product_id",
                    models.CharField(max_length=64, primary_key=True, serialize=False),
                ),
                ("title", models.TextField(help_text="The product's title in its latest snapshot.")),
                ("brand", models.TextField()),
                ("customers", models.BigIntegerField(help_text="Customers who have it as a favorite.")),
                ("last_7_days", models.BigIntegerField(help_text="Of those, favorited in the last 7 days.")),
                ("last_30_days", models.BigIntegerField(help_text="Of those, favorited in the last 30 days.")),
                ("unavailable", models.BigIntegerField(help_text="Favorites of it the catalog no longer has.")),
                (
                    "cheaper_than_added",
                    models.BigIntegerField(
                        help_text="Favorites of it whose price is now below the price when added."
                    ),
                ),
                ("computed_at", models.DateTimeField(help_text="When these figures were computed.")),
            ],
            options={
                "verbose_name": "product demand",
                "verbose_name_plural": "product demand",
                "db_table": "analytics_productdemand",
                "managed": False,
            },
        ),
        migrations.RunPython(create, drop),
    ]

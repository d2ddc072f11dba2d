from django.db import migrations


def refresh_rule_sets(apps, schema_editor):
    """Bring the shipped variants to the current data format (bands with at_most, effort,
    chapter lights); chapters' own copies are left as they are."""
    from reports.traffic_lights import SHIPPED

    RuleSet = apps.get_model("chapters", "TrafficLightRuleSet")
    for slug, (name, description, rules) in SHIPPED.items():
        RuleSet.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "rules": rules}
        )


class Migration(migrations.Migration):
    dependencies = [("chapters", "0003_imports_and_chapter_rule_sets")]

    operations = [migrations.RunPython(refresh_rule_sets, migrations.RunPython.noop)]

from django.db import migrations

from reports.traffic_lights import SHIPPED


def shipped_rule_sets_write(apps, schema_editor):
    """Write the shipped variants as reports/traffic_lights.py states them (once chapters 0002
    and 0004 did this); chapters' own copies are left as they are."""
    RuleSet = apps.get_model("chapters", "TrafficLightRuleSet")
    for slug, (name, description, rules) in SHIPPED.items():
        RuleSet.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "rules": rules}
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial"), ("chapters", "0006_move_imports_to_reports")]

    operations = [migrations.RunPython(shipped_rule_sets_write, migrations.RunPython.noop)]

from django.db import migrations


def add_rule_sets(apps, schema_editor):
    from reports.traffic_lights import SHIPPED

    RuleSet = apps.get_model("chapters", "TrafficLightRuleSet")
    for slug, (name, description, rules) in SHIPPED.items():
        RuleSet.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "rules": rules}
        )


class Migration(migrations.Migration):
    dependencies = [("chapters", "0001_initial")]

    operations = [migrations.RunPython(add_rule_sets, migrations.RunPython.noop)]

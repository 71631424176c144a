def test_the_usage_configmap_name_is_the_hub_modules() -> None:
    text = (hubvalues.REPO_ROOT / "modules" / "hub" / "storage.tf").read_text(encoding="utf-8")
    assert f'usage_configmap = "{hubvalues.USAGE_CONFIGMAP}"' in text

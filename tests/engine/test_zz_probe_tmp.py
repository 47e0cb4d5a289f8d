import copy
from tests.engine.test_shipped_models import *  # noqa

def test_probe(compiled, spec_json, app_env):
    p = copy.deepcopy(PATHS["misroute_return_then_unfounded"])
    p["steps"][2]["data"]["reroute_org"] = "NOPE-ORG"
    w = walk(compiled, spec_json, app_env, "roundtrip", p)
    print("\nform_errors:", w.form_errors, w.inst.data["outcome"])
    p = copy.deepcopy(PATHS["rectified"])
    p["steps"][3]["data"]["rectify_workdays"] = "20"
    try:
        walk(compiled, spec_json, app_env, "straight", p)
    except Exception as e:
        print("walk error:", type(e).__name__, str(e)[:200])

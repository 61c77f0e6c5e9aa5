"""The SAM template after SAM's own transform has no circular dependency between its
resources: cfn-lint no longer runs the transform and skips AWS::Serverless resources in its
cycle rule, so a circle through what SAM makes (an alias, its CodeDeploy deployment group,
an alarm naming the API that routes to that alias) is only found by CloudFormation, at
deploy time. This finds it offline.

    .venv-deploy/sam/bin/python infra/policy/no_cycles.py template.yaml
"""
import json, sys, yaml
from samtranslator.translator.transform import transform
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.yaml_helper import yaml_parse

class Policies:
    """No AWS managed policies are looked up (that needs IAM); the template names only its own."""
    def load(self):
        return {}
with open(sys.argv[1]) as f:
    template = yaml_parse(f.read())
# As `sam package` leaves it: the code in a bucket.
template["Globals"]["Function"]["CodeUri"] = "s3://package-bucket/bootstrap.zip"
params = {"Environment": "production", "Deployment": "pool", "PortalDomain": "portal.example.net",
          "MailFrom": "portal@portal.example.net", "AWS::Region": "ap-southeast-2", "AWS::AccountId": "123456789012",
          "AWS::StackName": "selfcare-production-pool", "AWS::Partition": "aws"}
out = transform(template, params, Policies())
resources = out["Resources"]
def refs(node, found):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "Ref" and isinstance(v, str) and v in resources: found.add(v)
            elif k == "Fn::GetAtt":
                name = v[0] if isinstance(v, list) else v.split(".")[0]
                if name in resources: found.add(name)
            elif k == "Fn::Sub":
                text = v[0] if isinstance(v, list) else v
                import re
                for m in re.findall(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}", text):
                    if m in resources: found.add(m)
                refs(v, found)
            else: refs(v, found)
    elif isinstance(node, list):
        for v in node: refs(v, found)
graph = {}
for name, r in resources.items():
    found = set()
    refs({k: v for k, v in r.items() if k != "Metadata"}, found)
    deps = r.get("DependsOn", [])
    if isinstance(deps, str): deps = [deps]
    found.update(d for d in deps if d in resources)
    found.discard(name)
    graph[name] = found
# Tarjan-free: DFS cycle detection
state = {}
cycle = None
def dfs(n, path):
    global cycle
    state[n] = 1
    for m in graph[n]:
        if state.get(m) == 1:
            cycle = path[path.index(m):] + [m] if m in path else [n, m]
            return True
        if state.get(m) is None and dfs(m, path + [m]): return True
    state[n] = 2
    return False
for n in graph:
    if state.get(n) is None and dfs(n, [n]):
        print("circular dependency:", " -> ".join(cycle)); sys.exit(1)
print(f"{len(resources)} resources after the SAM transform, no circular dependency")

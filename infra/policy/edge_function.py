"""The distribution's API viewer-request function (ApiTenantFunction), run offline in node
with the template's own code: a provider's subdomain names it by slug, any other host is
passed as a domain, what a client sent under those names is replaced, and the viewer's
address is set. CloudFront's runtime (cloudfront-js-2.0) is not node, but this code uses
nothing node lacks.

    .venv-deploy/sam/bin/python infra/policy/edge_function.py template.yaml
"""
import json, subprocess, sys
from samtranslator.yaml_helper import yaml_parse

with open(sys.argv[1]) as f:
    template = yaml_parse(f.read())
code = template["Resources"]["ApiTenantFunction"]["Properties"]["FunctionCode"]["Fn::Sub"]
code = code.replace("${PortalDomain}", "portal.example.net")

cases = [
    # host, headers a client sent, expected tenant header, expected domain header
    ("acme.portal.example.net", {}, "acme", None),
    ("ACME.Portal.Example.net", {"x-selfcare-tenant": "bluewave"}, "acme", None),
    ("portal.acme.example", {"x-selfcare-tenant": "bluewave"}, None, "portal.acme.example"),
    ("acme.portal.example.net", {"x-selfcare-domain": "portal.bluewave.example"}, "acme", None),
    ("a.b.portal.example.net", {}, None, "a.b.portal.example.net"),
    ("portal.example.net", {}, None, "portal.example.net"),
]
harness = code + """
var cases = %s;
var failures = [];
cases.forEach(function (c) {
  var headers = { host: { value: c[0] } };
  Object.keys(c[1]).forEach(function (k) { headers[k] = { value: c[1][k] }; });
  headers['x-selfcare-viewer'] = { value: '10.0.0.1' };
  var out = handler({ request: { headers: headers }, viewer: { ip: '203.0.113.7' } }).headers;
  var tenant = out['x-selfcare-tenant'] ? out['x-selfcare-tenant'].value : null;
  var domain = out['x-selfcare-domain'] ? out['x-selfcare-domain'].value : null;
  var viewer = out['x-selfcare-viewer'].value;
  if (tenant !== c[2] || domain !== c[3] || viewer !== '203.0.113.7') {
    failures.push(c[0] + ': tenant ' + tenant + ', domain ' + domain + ', viewer ' + viewer);
  }
});
if (failures.length) { console.error(failures.join('\\n')); process.exit(1); }
console.log(cases.length + ' hosts named as the API expects');
""" % json.dumps(cases)
sys.exit(subprocess.run(["node", "-e", harness]).returncode)

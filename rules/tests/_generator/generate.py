"""Writes the fixtures under rules/tests/<rule>/<case>/ (python3 rules/tests/_generator/generate.py).

Events are synthetic, in the export formats Peregrine ingests: Graph sign-in NDJSON, Azure
Monitor diagnostic AuditLogs records, Defender XDR streaming records, Purview AuditData JSON,
Suricata EVE and CEF lines. Times are minutes before NOW, which every expect.yaml pins.
The cases themselves are in cases.py.
"""
import json, os, shutil, sys, uuid, hashlib
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
def t(minutes):  # minutes before NOW
    return (NOW - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
def gid(*parts):
    h = hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()
    return str(uuid.UUID(h))

CITIES = {
    "Berlin": ("DE", 52.52, 13.405), "Munich": ("DE", 48.137, 11.575), "Paris": ("FR", 48.857, 2.352),
    "London": ("GB", 51.507, -0.128), "New York": ("US", 40.713, -74.006), "Sydney": ("AU", -33.869, 151.209),
    "Lagos": ("NG", 6.524, 3.379), "Moscow": ("RU", 55.756, 37.617), "Amsterdam": ("NL", 52.37, 4.895),
    "Singapore": ("SG", 1.352, 103.82), "Dublin": ("IE", 53.35, -6.26),
}

USERS = {
    "alice": "5f1c8a2e-1111-4a4a-9b9b-000000000001",
    "bob": "5f1c8a2e-1111-4a4a-9b9b-000000000002",
    "carol": "5f1c8a2e-1111-4a4a-9b9b-000000000003",
    "dave": "5f1c8a2e-1111-4a4a-9b9b-000000000004",
}
def uid(user):
    return USERS.get(user) or gid("user", user)

def signin(minutes, user, ip, city="Berlin", result=0, interactive=True, app="Office 365 Exchange Online",
           app_id="00000002-0000-0ff1-ce00-000000000000", client="Browser", asn=None, risk="none",
           authreq="multiFactorAuthentication", ca="success", reason=None):
    country, lat, lon = CITIES[city]
    r = {
        "id": gid("signin", minutes, user, ip, result, interactive, app),
        "createdDateTime": t(minutes),
        "userDisplayName": user.capitalize(),
        "userPrincipalName": f"{user}@contoso.com",
        "userId": uid(user),
        "appId": app_id,
        "appDisplayName": app,
        "ipAddress": ip,
        "clientAppUsed": client,
        "isInteractive": interactive,
        "riskLevelDuringSignIn": risk,
        "authenticationRequirement": authreq,
        "conditionalAccessStatus": ca,
        "status": {"errorCode": result, "failureReason": reason or ("Other." if result else None), "additionalDetails": None},
        "location": {"city": city, "state": "", "countryOrRegion": country,
                     "geoCoordinates": {"latitude": lat, "longitude": lon, "altitude": None}},
    }
    if asn is not None:
        r["autonomousSystemNumber"] = asn
    return r

def sp_signin(minutes, name, sp_id, app_id, ip, city="Berlin", result=0):
    country, lat, lon = CITIES[city]
    return {
        "id": gid("spsignin", minutes, name, ip, result),
        "createdDateTime": t(minutes),
        "signInEventTypes": ["servicePrincipal"],
        "servicePrincipalId": sp_id,
        "servicePrincipalName": name,
        "appId": app_id,
        "appDisplayName": name,
        "ipAddress": ip,
        "resourceDisplayName": "Microsoft Graph",
        "status": {"errorCode": result},
        "location": {"city": city, "countryOrRegion": country,
                     "geoCoordinates": {"latitude": lat, "longitude": lon}},
    }

def audit(minutes, operation, actor_upn, actor_id, targets, actor_ip=None):
    return {
        "time": t(minutes),
        "resourceId": "/tenants/00000000-0000-0000-0000-000000000000/providers/Microsoft.aadiam",
        "operationName": operation,
        "operationVersion": "1.0",
        "category": "AuditLogs",
        "tenantId": "00000000-0000-0000-0000-000000000000",
        "resultSignature": "None",
        "durationMs": 0,
        "correlationId": gid("corr", minutes, operation),
        "Level": 4,
        "properties": {
            "id": "Directory_" + gid("audit", minutes, operation, actor_upn),
            "category": "ApplicationManagement",
            "correlationId": gid("corr", minutes, operation),
            "result": "success",
            "resultReason": "",
            "activityDisplayName": operation,
            "activityDateTime": t(minutes),
            "loggedByService": "Core Directory",
            "operationType": "Update",
            "initiatedBy": {"user": {"id": actor_id, "displayName": None, "userPrincipalName": actor_upn,
                                     "ipAddress": actor_ip, "roles": []}},
            "targetResources": targets,
            "additionalDetails": [],
        },
    }

def defender(table, props):
    return {"time": props.get("Timestamp"), "tenantId": "00000000-0000-0000-0000-000000000000",
            "operationName": "Publish", "category": "AdvancedHunting-" + table, "properties": props}

def mail_access(minutes, user, client_ip):
    return {
        "CreationTime": t(minutes)[:-1],
        "Id": gid("mail", minutes, user, client_ip),
        "Operation": "MailItemsAccessed",
        "OrganizationId": "00000000-0000-0000-0000-000000000000",
        "RecordType": 50,
        "ResultStatus": "Succeeded",
        "UserKey": uid(user),
        "UserType": 0,
        "Version": 1,
        "Workload": "Exchange",
        "UserId": f"{user}@contoso.com",
        "AppId": "00000003-0000-0000-c000-000000000000",
        "ClientIPAddress": client_ip,
        "ClientInfoString": "Client=REST;Client=RESTSystem;;",
        "MailboxOwnerUPN": f"{user}@contoso.com",
        "OperationProperties": [{"Name": "MailAccessType", "Value": "Bind"}],
        "OperationCount": 3,
    }

def eve(minutes, src, dst, sig="ET SCAN Suspicious inbound to MSSQL port 1433", sev=2):
    ts = (NOW - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000000+0000")
    return {"timestamp": ts, "flow_id": 1234567, "in_iface": "eth0", "event_type": "alert",
            "src_ip": src, "src_port": 51515, "dest_ip": dst, "dest_port": 1433, "proto": "TCP",
            "alert": {"action": "allowed", "gid": 1, "signature_id": 2010935, "rev": 3,
                      "signature": sig, "category": "Potentially Bad Traffic", "severity": sev}}

def cef(minutes, src, dst, name="Brute force attempt", sev=8):
    ms = int((NOW - timedelta(minutes=minutes)).timestamp() * 1000)
    return f"<134>May  1 10:00:00 ips01 CEF:0|Contoso|NetShield IPS|4.2|7001|{name}|{sev}|rt={ms} src={src} spt=40000 dst={dst} dpt=443 proto=TCP act=alert"

def write_case(stem, case, files, alerts, entities=(), comment=""):
    d = os.path.join(ROOT, stem, case)
    os.makedirs(d, exist_ok=True)
    for name, content in files.items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            if isinstance(content, str):
                f.write(content + "\n")
            else:
                for rec in content:
                    if isinstance(rec, str):
                        f.write(rec + "\n")
                    else:
                        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    lines = []
    if comment:
        for c in comment.strip().splitlines():
            lines.append("# " + c)
    lines.append(f"now: {NOW.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    lines.append(f"alerts: {alerts}")
    if entities:
        lines.append("entities:")
        for e in entities:
            lines.append("  - {" + ", ".join(f"{k}: {v}" for k, v in e.items()) + "}")
    with open(os.path.join(d, "expect.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")

# Regenerates every case directory (this generator's own directory is kept).
for stem in os.listdir(ROOT) if os.path.isdir(ROOT) else []:
    if stem != "_generator" and os.path.isdir(os.path.join(ROOT, stem)):
        shutil.rmtree(os.path.join(ROOT, stem))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402
cases.build(globals())

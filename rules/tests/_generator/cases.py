def build(g):
    signin, sp_signin, audit, defender, mail_access, eve, cef, write_case, t, gid, uid = (
        g[k] for k in ["signin", "sp_signin", "audit", "defender", "mail_access", "eve", "cef", "write_case", "t", "gid", "uid"])
    EN_DASH_OP = "Update application \u2013 Certificates and secrets management "
    APP_OBJ = "7d0c2b1e-4c8f-4a7e-9d51-2f3b1a0c9e11"
    SP_ID = "b3a9e5f2-6d1c-4f0a-8e2b-9c7d5a1f3e22"
    APP_ID = "e8f1c3a2-2b4d-4e6f-a1c3-5d7e9f0b2c33"

    # --- sp-credential-foreign-signin-sentinel -------------------------------------------
    stem = "sp-credential-foreign-signin-sentinel"
    app_target = [{"id": APP_OBJ, "displayName": "PayrollSync", "type": "Application",
                   "modifiedProperties": [{"displayName": "KeyDescription", "oldValue": "[]",
                                           "newValue": "[\"[KeyIdentifier=1,KeyType=Password,KeyUsage=Verify,DisplayName=sync]\"]"}]}]
    sp_target = [{"id": SP_ID, "displayName": "PayrollSync", "type": "ServicePrincipal", "modifiedProperties": []}]
    write_case(stem, "en-dash-update-then-foreign-signin", {
        "signins.json": [signin(300, "alice", "203.0.113.10", "Berlin")],
        "audit.json": [audit(240, EN_DASH_OP, "alice@contoso.com", uid("alice"), app_target, "203.0.113.10")],
        "sp-signins.json": [sp_signin(120, "PayrollSync", SP_ID, APP_ID, "192.0.2.55", "Lagos"),
                            sp_signin(100, "PayrollSync", SP_ID, APP_ID, "192.0.2.55", "Lagos")],
    }, 1, [{"Type": "cloud-application", "Name": "PayrollSync"}, {"Type": "ip", "Address": "192.0.2.55"},
           {"Type": "account", "Name": "alice"}],
        "Credential added to PayrollSync (the real en-dash spelling, trailing space) by alice signed in\nfrom Germany; two hours later the service principal signs in from Nigeria.")
    write_case(stem, "add-sp-credentials-then-foreign-signin", {
        "signins.json": [signin(200, "bob", "203.0.113.20", "Munich", interactive=False)],
        "audit.json": [audit(180, "Add service principal credentials", "bob@contoso.com", uid("bob"), sp_target)],
        "sp-signins.json": [sp_signin(60, "PayrollSync", SP_ID, APP_ID, "192.0.2.56", "Moscow")],
    }, 1, [{"Type": "cloud-application", "AppId": APP_ID}, {"Type": "ip", "Address": "192.0.2.56"}],
        "\"Add service principal credentials\" with no IP in the audit record: the country comes from\nbob's latest sign-in (non-interactive, Germany); the service principal then signs in from Russia.")
    write_case(stem, "same-country-signin", {
        "signins.json": [signin(300, "alice", "203.0.113.10", "Berlin")],
        "audit.json": [audit(240, "Update application - Certificates and secrets management", "alice@contoso.com", uid("alice"), app_target, "203.0.113.10")],
        "sp-signins.json": [sp_signin(120, "PayrollSync", SP_ID, APP_ID, "203.0.113.99", "Munich")],
    }, 0, comment="Credential rotation from Germany, the workload signs in from Germany: no alert.")
    write_case(stem, "foreign-signin-outside-window", {
        "signins.json": [signin(2900, "alice", "203.0.113.10", "Berlin")],
        "audit.json": [audit(2820, EN_DASH_OP, "alice@contoso.com", uid("alice"), app_target, "203.0.113.10")],
        "sp-signins.json": [sp_signin(30, "PayrollSync", SP_ID, APP_ID, "192.0.2.55", "Lagos"),
                            sp_signin(2900, "PayrollSync", SP_ID, APP_ID, "192.0.2.55", "Lagos")],
    }, 0, comment="The foreign sign-ins are 47 hours after and 80 minutes before the change: outside the\none-day window after it.")

    # --- sp-credential-foreign-signin-defender ----------------------------------------------
    stem = "sp-credential-foreign-signin-defender"
    def cae(minutes, action, country, ip="203.0.113.10"):
        return defender("CloudAppEvents", {
            "Timestamp": t(minutes), "ActionType": action, "Application": "Microsoft 365", "ApplicationId": 11161,
            "AccountDisplayName": "Alice", "AccountObjectId": uid("alice"), "AccountId": uid("alice"),
            "IPAddress": ip, "CountryCode": country, "ObjectName": "PayrollSync", "ObjectId": APP_OBJ,
            "ActivityType": "Edit", "ReportId": gid("cae", minutes, action),
            "RawEventData": {"Operation": action, "Workload": "AzureActiveDirectory", "ObjectId": APP_OBJ,
                             "Target": [{"ID": "Application_" + APP_OBJ, "Type": 2}, {"ID": APP_OBJ, "Type": 2},
                                        {"ID": "PayrollSync", "Type": 1}]}})
    def spn(minutes, country, ip, err=0):
        return defender("EntraIdSpnSignInEvents", {
            "Timestamp": t(minutes), "Application": "PayrollSync", "ApplicationId": APP_ID,
            "ServicePrincipalName": "PayrollSync", "ServicePrincipalId": SP_ID, "IPAddress": ip,
            "Country": country, "ErrorCode": err, "ReportId": gid("spn", minutes, ip), "IsManagedIdentity": False})
    write_case(stem, "en-dash-update-then-foreign-signin", {
        "defender.json": [cae(240, EN_DASH_OP, "DE"), spn(120, "NG", "192.0.2.55"), spn(110, "NG", "192.0.2.55")],
    }, 1, [{"Type": "cloud-application", "Name": "PayrollSync"}, {"Type": "ip", "Address": "192.0.2.55"},
           {"Type": "account", "Name": "Alice"}],
        "The en-dash spelling with a trailing space, changed from Germany; sign-ins from Nigeria.")
    write_case(stem, "add-sp-credentials-then-foreign-signin", {
        "defender.json": [cae(240, "Add service principal credentials.", "DE"), spn(60, "RU", "192.0.2.56")],
    }, 1, [{"Type": "ip", "Address": "192.0.2.56"}],
        "\"Add service principal credentials.\" (trailing period) from Germany; a sign-in from Russia.")
    write_case(stem, "same-country-or-failed-signin", {
        "defender.json": [cae(240, EN_DASH_OP, "DE"), spn(120, "DE", "203.0.113.99"), spn(100, "NG", "192.0.2.55", err=7000215)],
    }, 0, comment="Sign-in from the same country, and a failed (invalid secret) attempt from abroad: no alert.")

    # --- suspicious-cloud-account-signin ---------------------------------------------------
    stem = "suspicious-cloud-account-signin"
    write_case(stem, "legacy-auth-imap", {
        "signins.json": [signin(20, "bob", "203.0.113.20", "Munich", client="IMAP4",
                                authreq="singleFactorAuthentication", ca="notApplied")],
    }, 1, [{"Type": "account", "Name": "bob", "UPNSuffix": "contoso.com"}, {"Type": "ip", "Address": "203.0.113.20"}],
        "A successful IMAP4 sign-in (legacy authentication).")
    write_case(stem, "high-risk-country-and-risky", {
        "signins.json": [signin(40, "carol", "192.0.2.30", "Moscow"),
                         signin(35, "dave", "203.0.113.40", "Amsterdam", risk="high"),
                         signin(30, "alice", "203.0.113.10", "Berlin", authreq="singleFactorAuthentication", ca="success")],
    }, 3, [{"Type": "account", "Name": "carol"}, {"Type": "account", "Name": "dave"}, {"Type": "account", "Name": "alice"}],
        "carol from a listed country (RU), dave with high sign-in risk, alice single-factor under CA.")
    write_case(stem, "mfa-modern-auth-and-failures", {
        "signins.json": [signin(20, "alice", "203.0.113.10", "Berlin"),
                         signin(25, "bob", "192.0.2.31", "Moscow", result=50126, client="IMAP4"),
                         signin(200, "bob", "203.0.113.20", "Munich", client="POP3",
                                authreq="singleFactorAuthentication", ca="notApplied"),
                         signin(15, "dave", "203.0.113.40", "Amsterdam", risk="low")],
    }, 0, comment="MFA browser sign-in, a failed IMAP attempt from RU, a POP3 sign-in older than the\nrule's hour, and low risk: no alert.")

    # --- sp-signin-many-ips -----------------------------------------------------------------
    stem = "sp-signin-many-ips"
    rep = ("ReportExporter", "c1d2e3f4-0000-4000-8000-000000000101", "c1d2e3f4-0000-4000-8000-000000000102")
    write_case(stem, "leaked-secret-many-ips", {
        "sp-signins.json": [sp_signin(50 - i * 5, rep[0], rep[1], rep[2], f"192.0.2.{100 + i}", c)
                            for i, c in enumerate(["Lagos", "Moscow", "Singapore", "New York", "Paris", "Sydney", "London"])],
    }, 1, [{"Type": "cloud-application", "Name": "ReportExporter"}],
        "ReportExporter authenticates from seven public addresses in different countries within the hour.")
    bak = ("NightlyBackup", "c1d2e3f4-0000-4000-8000-000000000201", "c1d2e3f4-0000-4000-8000-000000000202")
    write_case(stem, "backup-workers-in-allowlist", {
        "sp-signins.json": [sp_signin(55 - i * 4, bak[0], bak[1], bak[2], ip) for i, ip in enumerate(
            ["10.20.0.11", "10.20.0.12", "10.20.0.13", "10.20.1.14", "10.20.2.15", "192.168.10.16",
             "192.168.10.17", "172.16.4.18", "203.0.113.200", "172.20.0.19"])],
    }, 0, comment="A backup job fans out over ten workers; nine are in the allow-listed private ranges,\nleaving one counted address: no alert.")
    ci = ("DeployPipeline", "c1d2e3f4-0000-4000-8000-000000000301", "c1d2e3f4-0000-4000-8000-000000000302")
    write_case(stem, "ci-pipeline-below-threshold", {
        "sp-signins.json": [sp_signin(50 - i * 5, ci[0], ci[1], ci[2], f"203.0.113.{150 + i}", "Dublin") for i in range(5)]
        + [sp_signin(20 - i, ci[0], ci[1], ci[2], f"192.0.2.{210 + i}", "Lagos", result=7000215) for i in range(3)]
        + [sp_signin(120 + i * 5, ci[0], ci[1], ci[2], f"192.0.2.{220 + i}", "Lagos") for i in range(3)],
    }, 0, comment="Hosted CI agents: five addresses this hour (the threshold is more than five); three\nfailed attempts and three older sign-ins do not count.")

    # --- signin-asn-mismatch ----------------------------------------------------------------
    stem = "signin-asn-mismatch"
    write_case(stem, "token-replay-other-asn", {
        "signins.json": [signin(30, "alice", "203.0.113.10", "Berlin", asn=3320),
                         signin(24, "alice", "192.0.2.200", "Amsterdam", interactive=False, asn=9009,
                                app="Microsoft Office", app_id="d3590ed6-52b3-4102-aeff-aad2292ab01c")],
    }, 1, [{"Type": "account", "Name": "alice"}, {"Type": "ip", "Address": "192.0.2.200"},
           {"Type": "ip", "Address": "203.0.113.10"}],
        "Interactive sign-in from AS3320, a non-interactive one six minutes later from AS9009.")
    write_case(stem, "same-asn-or-far-apart", {
        "signins.json": [signin(30, "alice", "203.0.113.10", "Berlin", asn=3320),
                         signin(28, "alice", "203.0.113.11", "Berlin", interactive=False, asn=3320),
                         signin(45, "bob", "203.0.113.20", "Munich", asn=3320),
                         signin(70, "bob", "192.0.2.201", "Amsterdam", interactive=False, asn=9009)],
    }, 0, comment="alice: another address of the same ASN (office NAT pool); bob: a different network\n25 minutes earlier, outside the ten-minute window.")

    # --- network-alert-ip-then-signin -------------------------------------------------------
    stem = "network-alert-ip-then-signin"
    write_case(stem, "suricata-alert-then-signin", {
        "eve.json": [eve(90, "192.0.2.77", "10.0.0.5")],
        "signins.json": [signin(40, "bob", "192.0.2.77", "Lagos"),
                         signin(35, "bob", "192.0.2.77", "Lagos", interactive=False),
                         signin(45, "alice", "192.0.2.77", "Lagos", interactive=False)],
    }, 2, [{"Type": "account", "Name": "bob"}, {"Type": "account", "Name": "alice"},
           {"Type": "ip", "Address": "192.0.2.77"}],
        "Suricata alerts on 192.0.2.77 scanning the network; within the hour bob signs in from it\n(interactive and non-interactive) and alice's token is refreshed from it.")
    write_case(stem, "cef-alert-then-mail-access", {
        "ips.cef": [cef(50, "203.0.113.66", "10.0.0.8")],
        "mail.json": [mail_access(20, "carol", "203.0.113.66:50312")],
    }, 1, [{"Type": "account", "Name": "carol"}, {"Type": "ip", "Address": "203.0.113.66"}],
        "A high-severity CEF IPS alert on 203.0.113.66, then MailItemsAccessed for carol from it\n(Client IP with a port).")
    write_case(stem, "private-and-cgnat-addresses", {
        "eve.json": [eve(60, "10.1.2.3", "192.168.1.10"), eve(55, "100.64.5.5", "10.0.0.5"),
                     eve(50, "169.254.10.1", "10.0.0.5")],
        "signins.json": [signin(30, "alice", "10.1.2.3", "Berlin"), signin(25, "bob", "100.64.5.5", "Munich"),
                         signin(20, "carol", "169.254.10.1", "Berlin")],
    }, 0, comment="Alerts and sign-ins on private, CGNAT and link-local addresses: not public, no alert.")
    write_case(stem, "signin-before-alert-or-low-severity", {
        "eve.json": [eve(30, "192.0.2.78", "10.0.0.5")],
        "ips.cef": [cef(50, "203.0.113.67", "10.0.0.8", name="TLS version policy", sev=3)],
        "signins.json": [signin(50, "dave", "192.0.2.78", "Lagos"), signin(20, "alice", "203.0.113.67", "Berlin")],
    }, 0, comment="dave's sign-in came before the alert on its address; alice's address only hit a\nlow-severity CEF policy event.")

    # --- impossible-travel ------------------------------------------------------------------
    stem = "impossible-travel"
    write_case(stem, "berlin-to-new-york-in-90-minutes", {
        "signins.json": [signin(120, "alice", "203.0.113.10", "Berlin"),
                         signin(30, "alice", "192.0.2.44", "New York", interactive=False)],
    }, 1, [{"Type": "account", "Name": "alice"}, {"Type": "ip", "Address": "192.0.2.44"}],
        "Berlin then New York 90 minutes later (about 6,400 km).")
    write_case(stem, "vpn-roaming", {
        "signins.json": [signin(120, "bob", "203.0.113.20", "Berlin"),
                         signin(60, "bob", "198.51.100.9", "New York"),
                         signin(20, "bob", "203.0.113.20", "Berlin")],
    }, 0, comment="bob connects through the corporate VPN, whose egress (allow-listed 198.51.100.0/24)\ngeolocates to New York: no alert.")
    write_case(stem, "travelling-staff", {
        "signins.json": [signin(720, "carol", "203.0.113.30", "Berlin"),
                         signin(30, "carol", "192.0.2.45", "London")],
    }, 0, comment="carol flies to London: a new country, but 930 km in 11.5 hours is plausible.")

    # --- new-country-signin -----------------------------------------------------------------
    stem = "new-country-signin"
    base = [signin(60 * 24 * d + 7, "dave", "203.0.113.40", "Berlin") for d in range(2, 9)]
    write_case(stem, "signin-from-new-country", {
        "signins.json": base + [signin(60, "dave", "192.0.2.50", "Lagos")],
    }, 1, [{"Type": "account", "Name": "dave"}, {"Type": "ip", "Address": "192.0.2.50"}],
        "dave signed in from Germany for a week, then from Nigeria.")
    write_case(stem, "known-country-or-no-baseline", {
        "signins.json": base + [signin(60 * 24 * 5, "dave", "192.0.2.51", "Paris"),
                                signin(60, "dave", "192.0.2.52", "Paris"),
                                signin(60 * 24 * 3, "erin", "203.0.113.41", "Berlin"),
                                signin(60 * 24 * 2, "erin", "203.0.113.41", "Berlin"),
                                signin(90, "erin", "192.0.2.53", "London")],
    }, 0, comment="dave is back in France, seen five days ago; erin is new (two baseline sign-ins, fewer\nthan the five needed).")

    # --- password-spray-success -------------------------------------------------------------
    stem = "password-spray-success"
    spray = [signin(180 - i * 5, f"user{i:02d}", "192.0.2.99", "Lagos", result=50126,
                    reason="Invalid username or password or Invalid on-premise username or password.") for i in range(12)]
    write_case(stem, "spray-then-success", {
        "signins.json": spray + [signin(30, "bob", "192.0.2.99", "Lagos", authreq="singleFactorAuthentication")],
    }, 1, [{"Type": "account", "Name": "bob"}, {"Type": "ip", "Address": "192.0.2.99"}],
        "192.0.2.99 fails passwords for twelve accounts, then bob signs in from it.")
    write_case(stem, "office-typos-and-spray-without-success", {
        "signins.json": [signin(100 - i * 10, f"user{i:02d}", "203.0.113.1", "Berlin", result=50126) for i in range(4)]
        + [signin(30, "alice", "203.0.113.1", "Berlin")]
        + [signin(180 - i * 5, f"user{i:02d}", "192.0.2.98", "Lagos", result=50126) for i in range(12)],
    }, 0, comment="Four mistyped passwords behind the office NAT before alice signs in (below ten\naccounts); a spray from 192.0.2.98 with no success.")

    # --- mfa-fatigue ------------------------------------------------------------------------
    stem = "mfa-fatigue"
    write_case(stem, "push-bombing-then-approval", {
        "signins.json": [signin(50 - i * 3, "carol", "192.0.2.60", "Lagos", result=500121,
                                reason="Authentication failed during strong authentication request.") for i in range(6)]
        + [signin(30, "carol", "192.0.2.60", "Lagos")],
    }, 1, [{"Type": "account", "Name": "carol"}, {"Type": "ip", "Address": "192.0.2.60"}],
        "Six denied/unanswered MFA prompts for carol, then a success from the same address.")
    write_case(stem, "normal-mfa-and-no-success", {
        "signins.json": [signin(40, "dave", "203.0.113.40", "Berlin", result=50074),
                         signin(39, "dave", "203.0.113.40", "Berlin", result=50074),
                         signin(38, "dave", "203.0.113.40", "Berlin")]
        + [signin(50 - i * 3, "erin", "192.0.2.61", "Lagos", result=500121) for i in range(6)],
    }, 0, comment="dave completes the usual MFA interrupt (two 50074) and signs in; erin's six failures\nare never followed by a success.")

    # --- ueba-anomalous-account-signin ------------------------------------------------------
    # The rule reads BehaviorAnalytics, which the fixture runner computes with `peregrine ueba`
    # over the case's store. A tenant baseline: alice and bob in Berlin, carol and dave in
    # London, every day for three weeks (so GB and DE are common in the tenant).
    stem = "ueba-anomalous-account-signin"
    DAY = 60 * 24
    def add_user(minutes, upn):
        return audit(minutes, "Add user", "admin@contoso.com", uid("admin"),
                     [{"id": uid(upn.split("@")[0]), "displayName": None, "userPrincipalName": upn,
                       "type": "User", "modifiedProperties": []}])
    tenant = []
    for d in range(1, 22):
        for user, city, ip, asn in [("alice", "Berlin", "203.0.113.10", 3320), ("bob", "Berlin", "203.0.113.20", 3320),
                                    ("carol", "London", "203.0.113.30", 2856), ("dave", "London", "203.0.113.40", 2856)]:
            tenant.append(signin(d * DAY + 60, user, ip, city, asn=asn))
    tom_base = [signin(d * DAY + 90, "tom", "203.0.113.50", "Berlin", asn=3320) for d in range(1, 22)]
    write_case(stem, "dormant-new-and-foreign-accounts", {
        "signins.json": tenant + tom_base
        + [signin(200 * DAY, "olga", "203.0.113.60", "Berlin", asn=3320),
           signin(120, "olga", "198.51.100.7", "Berlin", asn=3320),
           signin(90, "newbie", "192.0.2.70", "Lagos", asn=37148),
           signin(60, "tom", "192.0.2.71", "Moscow", asn=12389)],
        "audit.json": [add_user(2 * DAY, "newbie@contoso.com")],
    }, 3, [{"Type": "account", "Name": "olga"}, {"Type": "ip", "Address": "198.51.100.7"},
           {"Type": "account", "Name": "newbie"}, {"Type": "ip", "Address": "192.0.2.70"},
           {"Type": "account", "Name": "tom"}, {"Type": "ip", "Address": "192.0.2.71"}],
        "olga last signed in 200 days ago (dormant) and signs in again; newbie, created two days\n"
        "ago, signs in from Nigeria, where nobody in the tenant works; tom, in Berlin every day for\n"
        "three weeks, signs in from Russia through a provider he never used.")
    write_case(stem, "travel-onboarding-and-recent-accounts", {
        "signins.json": tenant + tom_base
        + [signin(150 * DAY, "paul", "203.0.113.61", "Berlin", asn=3320),
           signin(120, "paul", "203.0.113.61", "Berlin", asn=3320),
           signin(90, "nina", "203.0.113.62", "Berlin", asn=3320),
           signin(60, "tom", "192.0.2.72", "London", asn=5089),
           signin(50, "erin", "192.0.2.73", "Lagos", result=50126, asn=37148)],
        "audit.json": [add_user(3 * DAY, "nina@contoso.com")],
    }, 0, comment="tom travels to London, new for him but where colleagues work every day; nina, created\n"
        "three days ago, starts in the Berlin office; paul was away 150 days (not dormant: 180);\n"
        "erin's failed attempt from Nigeria is not a sign-in.")

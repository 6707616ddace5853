//! The planted cases: one attack per built-in rule, the benign look-alikes each rule's
//! false-positive notes describe, and two UEBA cases (a new account, a dormant one). Roles go
//! to users by index (`prepare`, before the normal traffic is generated, so victims can be
//! kept quiet), then the records are added (`plant`). The manifest says which alert each
//! attack must raise and which entities must raise none.

use super::r#gen::*;
use serde_json::json;

/// Rule ids of the built-in pack (rules/*.yaml).
pub const IMPOSSIBLE_TRAVEL: &str = "b84f55ac-503e-4510-a496-0c8a3d3eba58";
pub const MFA_FATIGUE: &str = "24e22b31-edec-48ea-8f9c-a37e040d87c7";
pub const NETWORK_ALERT: &str = "1c8dbbaa-8ae7-466e-a49e-c42675507f27";
pub const NEW_COUNTRY: &str = "159cf02e-4c5b-4a35-b50b-36e778e55060";
pub const PASSWORD_SPRAY: &str = "6eaba0f4-eb64-45aa-8be8-24f73b76d621";
pub const ASN_MISMATCH: &str = "9c7590e1-5a39-44c5-ae54-1d3a9096797d";
pub const SP_CRED_DEFENDER: &str = "47939de6-a091-49ce-a916-b733ac6c5992";
pub const SP_CRED_SENTINEL: &str = "6f06b567-7e60-46ae-a49b-35e9e74da778";
pub const SP_MANY_IPS: &str = "21d81a96-1f19-47a2-9c0b-870784bc090d";
pub const SUSPICIOUS_SIGNIN: &str = "8fb738d7-2730-4158-9719-01ad46dbcfcc";
pub const UEBA_ANOMALOUS: &str = "3d5f7a91-6c2e-4b8d-a0f4-8e1c9b2d7e63";

#[derive(Debug, Clone)]
pub struct Attack {
    pub rule_id: &'static str,
    pub what: String,
    /// The entity the alert must name (UPN, IP or service principal name).
    pub entity: String,
}

#[derive(Debug, Clone)]
pub struct LookAlike {
    /// The rule whose false-positive note it stands for.
    #[allow(dead_code)]
    pub rule_id: &'static str,
    pub what: String,
    /// No alert may name any of these.
    pub entities: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub attacks: Vec<Attack>,
    pub lookalikes: Vec<LookAlike>,
    /// Every entity an attack touches (victims, attacker addresses, abused workloads): alerts
    /// on them from other rules are the same attack seen twice.
    pub attack_entities: Vec<String>,
    pub ueba: Vec<String>,
}

// User roles (indexes into World::users).
const ADMIN: usize = 0;
const ADMIN2: usize = 1;
const TRAVEL_VICTIM: usize = 2;
const ASN_VICTIM: usize = 3;
const COUNTRY_VICTIM: usize = 4;
const SPRAY_VICTIM: usize = 5;
const MFA_VICTIM: usize = 6;
const LEGACY_VICTIM: usize = 7;
const NETWORK_VICTIM: usize = 8;
const TRAVELLER: usize = 9;
const VPN_USER: usize = 10;
const VPN_USER2: usize = 11;
const BACK_IN_FRANCE: usize = 12;
const DORMANT: usize = 13;
const NEW_HIRE: usize = 14;
const MFA_NORMAL: usize = 15;
const OFFICE: [usize; 4] = [16, 17, 18, 19];
const PRIVATE_IP: usize = 20;
const ASN_NORMAL: usize = 21;
const LOW_RISK: usize = 22;
const MFA_UNANSWERED: usize = 23;
const NEW_ACCOUNT: usize = 24;
const SPRAYED: std::ops::Range<usize> = 30..42;
pub const MIN_USERS: usize = 45;

/// Sets roles on users before the normal traffic is generated.
pub fn prepare(w: &mut World) {
    let end = w.end;
    let today = end - 12 * HOUR;
    let last = w.days - 1;
    let set_home = |u: &mut User, i: usize, rng_ip: String| {
        u.home = HOMES[i];
        u.ip = rng_ip;
    };
    let berlin_ip = |k: usize| format!("84.150.{}.{}", 10 + k, 20 + k);
    for (k, i) in [
        ADMIN,
        ADMIN2,
        TRAVEL_VICTIM,
        ASN_VICTIM,
        NETWORK_VICTIM,
        TRAVELLER,
        VPN_USER,
        VPN_USER2,
        BACK_IN_FRANCE,
        DORMANT,
        MFA_NORMAL,
        OFFICE[0],
        OFFICE[1],
        OFFICE[2],
        OFFICE[3],
        PRIVATE_IP,
        ASN_NORMAL,
    ]
    .into_iter()
    .enumerate()
    {
        set_home(&mut w.users[i], BERLIN, berlin_ip(k));
    }
    set_home(&mut w.users[COUNTRY_VICTIM], PARIS, "90.12.44.17".into());
    set_home(&mut w.users[NEW_HIRE], AMSTERDAM, "145.53.12.90".into());
    // Victims of credential attacks are away (the attacker uses what was stolen).
    for i in [
        COUNTRY_VICTIM,
        SPRAY_VICTIM,
        MFA_VICTIM,
        LEGACY_VICTIM,
        NETWORK_VICTIM,
    ] {
        w.users[i].quiet_from = Some(end - 20 * HOUR);
    }
    // Their last day is written by hand below.
    for i in [
        TRAVEL_VICTIM,
        TRAVELLER,
        VPN_USER,
        BACK_IN_FRANCE,
        MFA_NORMAL,
        PRIVATE_IP,
        LOW_RISK,
        MFA_UNANSWERED,
    ] {
        w.users[i].quiet_from = Some(today);
    }
    for i in [VPN_USER, VPN_USER2] {
        w.users[i].vpn_days = (0..w.days).filter(|d| d % 3 == 1).collect();
    }
    w.users[VPN_USER2].vpn_days.push(last);
    w.users[TRAVELLER].trips = vec![(last - 6, HOMES[LONDON]), (last - 7, HOMES[LONDON])];
    w.users[BACK_IN_FRANCE].trips = vec![(last - 5, HOMES[PARIS])];
    w.users[DORMANT].active_until = Some(w.start + 2 * DAY);
    w.users[NEW_HIRE].active_until = Some(w.start);
    w.users[NEW_ACCOUNT].active_until = Some(w.start);
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// Adds the planted records; returns the manifest.
pub fn plant(w: &World, rng: &mut Rng, out: &mut Records) -> Manifest {
    let end = w.end;
    let u = &w.users;
    let mut m = Manifest::default();
    let attack = |m: &mut Manifest, rule_id, what: String, entity: &str, others: &[&str]| {
        m.attacks.push(Attack {
            rule_id,
            what,
            entity: lower(entity),
        });
        for e in std::iter::once(&entity).chain(others.iter()) {
            m.attack_entities.push(lower(e));
        }
    };
    let look = |m: &mut Manifest, rule_id, what: String, entities: &[&str]| {
        m.lookalikes.push(LookAlike {
            rule_id,
            what,
            entities: entities.iter().map(|e| lower(e)).collect(),
        });
    };
    let si = |out: &mut Records, rng: &mut Rng, s: SignIn| out.signins.push(s.record(rng));

    // 1. Impossible travel: a session cookie replayed from a New York host 90 minutes after
    //    the victim signed in in Berlin.
    let v = &u[TRAVEL_VICTIM];
    si(out, rng, SignIn::new(end - 2 * HOUR, v, &v.ip, v.home));
    si(
        out,
        rng,
        SignIn::new(end - 90 * MIN, v, &v.ip, v.home).non_interactive(),
    );
    let ny_ip = "159.203.77.14";
    si(
        out,
        rng,
        SignIn::new(end - 30 * MIN, v, ny_ip, NEW_YORK_HOSTING)
            .non_interactive()
            .app(APPS[2]),
    );
    attack(
        &mut m,
        IMPOSSIBLE_TRAVEL,
        format!("{} Berlin → New York ({ny_ip}) in 90 minutes", v.upn),
        &v.upn,
        &[ny_ip],
    );

    // 2. ASN mismatch: token replay from a hosting network in the same country.
    let v = &u[ASN_VICTIM];
    si(out, rng, SignIn::new(end - 40 * MIN, v, &v.ip, v.home));
    let replay_ip = "88.198.51.23";
    si(
        out,
        rng,
        SignIn::new(end - 34 * MIN, v, replay_ip, FRANKFURT_HOSTING)
            .non_interactive()
            .app(APPS[2]),
    );
    attack(
        &mut m,
        ASN_MISMATCH,
        format!(
            "{}: interactive from AS3320, refresh 6 minutes later from AS24940 ({replay_ip})",
            v.upn
        ),
        &v.upn,
        &[replay_ip],
    );

    // 3. New country: Paris-based user, first sign-in ever from Nigeria.
    let v = &u[COUNTRY_VICTIM];
    let ng_ip = "102.89.34.120";
    si(out, rng, SignIn::new(end - 3 * HOUR, v, ng_ip, LAGOS));
    si(
        out,
        rng,
        SignIn::new(end - 2 * HOUR, v, ng_ip, LAGOS).non_interactive(),
    );
    attack(
        &mut m,
        NEW_COUNTRY,
        format!("{} (home FR) signs in from Nigeria ({ng_ip})", v.upn),
        &v.upn,
        &[ng_ip],
    );

    // 4. Password spray from one address over twelve accounts, then a success.
    let spray_ip = "177.8.164.9";
    let v = &u[SPRAY_VICTIM];
    for (k, i) in SPRAYED.enumerate() {
        si(
            out,
            rng,
            SignIn::new(
                end - 5 * HOUR + k as i64 * 13 * MIN,
                &u[i],
                spray_ip,
                SAO_PAULO,
            )
            .failed(50126),
        );
    }
    si(
        out,
        rng,
        SignIn::new(end - 30 * MIN, v, spray_ip, SAO_PAULO),
    );
    attack(
        &mut m,
        PASSWORD_SPRAY,
        format!(
            "{spray_ip} fails passwords for {} accounts, then {} signs in",
            SPRAYED.len(),
            v.upn
        ),
        &v.upn,
        &[spray_ip],
    );

    // 5. MFA fatigue: six denied pushes, then the tired user approves.
    let v = &u[MFA_VICTIM];
    let mfa_ip = "47.74.200.31";
    for k in 0..6 {
        si(
            out,
            rng,
            SignIn::new(end - 50 * MIN + k * 3 * MIN, v, mfa_ip, SINGAPORE).failed(500121),
        );
    }
    si(out, rng, SignIn::new(end - 30 * MIN, v, mfa_ip, SINGAPORE));
    attack(
        &mut m,
        MFA_FATIGUE,
        format!(
            "{}: six denied MFA prompts from {mfa_ip}, then approval",
            v.upn
        ),
        &v.upn,
        &[mfa_ip],
    );

    // 6. Legacy authentication from a high-risk country.
    let v = &u[LEGACY_VICTIM];
    let ru_ip = "95.165.23.77";
    let mut s = SignIn::new(end - 20 * MIN, v, ru_ip, MOSCOW).app(APPS[0]);
    s.client = "IMAP4";
    s.auth = "singleFactorAuthentication";
    s.ca = "notApplied";
    si(out, rng, s);
    attack(
        &mut m,
        SUSPICIOUS_SIGNIN,
        format!("{}: IMAP4 sign-in from Russia ({ru_ip})", v.upn),
        &v.upn,
        &[ru_ip],
    );

    // 7. Network alert on an address, then a sign-in and mailbox access from it.
    let v = &u[NETWORK_VICTIM];
    let bad_ip = "88.198.77.140";
    out.eve.push(eve(
        rng,
        end - 80 * MIN,
        bad_ip,
        "10.0.0.5",
        "ET CINS Active Threat Intelligence Poor Reputation IP group 42",
        2,
    ));
    si(
        out,
        rng,
        SignIn::new(end - 40 * MIN, v, bad_ip, FRANKFURT_HOSTING),
    );
    out.purview.push(mail_access(
        rng,
        end - 35 * MIN,
        v,
        &format!("{bad_ip}:51612"),
    ));
    attack(
        &mut m,
        NETWORK_ALERT,
        format!(
            "Suricata alert on {bad_ip}; 40 minutes later {} signs in and reads mail from it",
            v.upn
        ),
        &v.upn,
        &[bad_ip],
    );

    // 8. Service-principal credential added, then the workload signs in from abroad (both
    //    the Sentinel and the Defender view of it).
    let admin = &u[ADMIN];
    let Some(payroll) = w.sps.iter().find(|s| s.name == "PayrollSync") else {
        return m;
    };
    si(
        out,
        rng,
        SignIn::new(end - 5 * HOUR, admin, &admin.ip, admin.home),
    );
    let en_dash = "Update application \u{2013} Certificates and secrets management ";
    cred_change(out, rng, end - 4 * HOUR, en_dash, admin, payroll);
    let sp_ip = "102.89.40.7";
    sp_signin(out, rng, end - 2 * HOUR, payroll, sp_ip, LAGOS, 0);
    sp_signin(out, rng, end - 100 * MIN, payroll, sp_ip, LAGOS, 0);
    for rule in [SP_CRED_SENTINEL, SP_CRED_DEFENDER] {
        attack(
            &mut m,
            rule,
            format!(
                "new secret on PayrollSync by {} (DE); the workload signs in from Nigeria ({sp_ip})",
                admin.upn
            ),
            "PayrollSync",
            &[sp_ip, &admin.upn],
        );
    }

    // 9. A leaked secret used from seven addresses within the hour.
    if let Some(rep) = w.sps.iter().find(|s| s.name == "ReportExporter") {
        let places = [
            LAGOS,
            MOSCOW,
            SINGAPORE,
            SAO_PAULO,
            SYDNEY,
            NEW_YORK_HOSTING,
            FRANKFURT_HOSTING,
        ];
        let mut ips = Vec::new();
        for (k, p) in places.iter().enumerate() {
            let ip = format!("{}.{}.9.{}", p.net.0, p.net.1, 100 + k);
            sp_signin(
                out,
                rng,
                end - 50 * MIN + k as i64 * 5 * MIN,
                rep,
                &ip,
                *p,
                0,
            );
            ips.push(ip);
        }
        let refs: Vec<&str> = ips.iter().map(String::as_str).collect();
        attack(
            &mut m,
            SP_MANY_IPS,
            "ReportExporter authenticates from 7 addresses in 7 countries within the hour".into(),
            "ReportExporter",
            &refs,
        );
    }

    // ---- look-alikes --------------------------------------------------------------------
    // Impossible travel: VPN roaming through the allow-listed egress.
    let v = &u[VPN_USER];
    si(out, rng, SignIn::new(end - 6 * HOUR, v, &v.ip, v.home));
    si(
        out,
        rng,
        SignIn::new(end - 5 * HOUR, v, &v.ip, v.home).non_interactive(),
    );
    let vip = "198.51.100.23";
    si(out, rng, SignIn::new(end - 3 * HOUR, v, vip, VPN));
    si(
        out,
        rng,
        SignIn::new(end - 2 * HOUR, v, vip, VPN).non_interactive(),
    );
    si(
        out,
        rng,
        SignIn::new(end - 60 * MIN, v, vip, VPN).non_interactive(),
    );
    si(out, rng, SignIn::new(end - 20 * MIN, v, &v.ip, v.home));
    look(
        &mut m,
        IMPOSSIBLE_TRAVEL,
        format!(
            "{}: Berlin → corporate VPN (US egress, allow-listed) → Berlin",
            v.upn
        ),
        &[&v.upn, vip],
    );
    let v2 = &u[VPN_USER2];
    look(
        &mut m,
        NEW_COUNTRY,
        format!(
            "{}: works through the VPN (US egress) every few days, today too",
            v2.upn
        ),
        &[&v2.upn],
    );

    // Impossible travel: a plausible flight to a country visited before.
    let v = &u[TRAVELLER];
    si(out, rng, SignIn::new(end - 6 * HOUR, v, &v.ip, v.home));
    si(
        out,
        rng,
        SignIn::new(end - 5 * HOUR, v, &v.ip, v.home).non_interactive(),
    );
    let hotel = "81.128.201.45";
    si(
        out,
        rng,
        SignIn::new(end - 30 * MIN, v, hotel, HOMES[LONDON]),
    );
    look(
        &mut m,
        IMPOSSIBLE_TRAVEL,
        format!(
            "{}: Berlin → London in 5.5 hours (~930 km), London visited last week",
            v.upn
        ),
        &[&v.upn, hotel],
    );

    // New country: back in France (seen five days ago); a new hire with too little baseline.
    let v = &u[BACK_IN_FRANCE];
    si(
        out,
        rng,
        SignIn::new(end - 2 * HOUR, v, "90.12.77.3", HOMES[PARIS]),
    );
    look(
        &mut m,
        NEW_COUNTRY,
        format!("{}: in Paris again, where they worked five days ago", v.upn),
        &[&v.upn, "90.12.77.3"],
    );
    let nh = &u[NEW_HIRE];
    out.audit.push(audit(
        rng,
        end - 50 * HOUR,
        "Add user",
        "UserManagement",
        admin,
        Some(&admin.ip),
        json!([{"id": nh.id, "displayName": nh.display, "type": "User", "userPrincipalName": nh.upn,
                "modifiedProperties": [{"displayName": "AccountEnabled", "oldValue": "[]", "newValue": "[true]"}]}]),
    ));
    si(out, rng, SignIn::new(end - 47 * HOUR, nh, &nh.ip, nh.home));
    si(
        out,
        rng,
        SignIn::new(end - 46 * HOUR, nh, &nh.ip, nh.home).non_interactive(),
    );
    si(out, rng, SignIn::new(end - 26 * HOUR, nh, &nh.ip, nh.home));
    let nh_ip = "81.128.90.12";
    si(
        out,
        rng,
        SignIn::new(end - 90 * MIN, nh, nh_ip, HOMES[LONDON]),
    );
    si(
        out,
        rng,
        SignIn::new(end - 60 * MIN, nh, nh_ip, HOMES[LONDON]).non_interactive(),
    );
    look(
        &mut m,
        NEW_COUNTRY,
        format!(
            "{}: created two days ago (3 sign-ins), today in London",
            nh.upn
        ),
        &[&nh.upn, nh_ip],
    );
    m.ueba.push(format!(
        "{}: created by \"Add user\" 50 hours before the end, signs in",
        nh.upn
    ));

    // Password spray: four typos behind the office NAT before a colleague signs in; a spray
    // with no success.
    let nat = "84.150.200.1";
    for (k, i) in OFFICE.iter().enumerate() {
        si(
            out,
            rng,
            SignIn::new(
                end - 3 * HOUR + k as i64 * 10 * MIN,
                &u[*i],
                nat,
                u[*i].home,
            )
            .failed(50126),
        );
    }
    let ov = &u[OFFICE[0]];
    si(out, rng, SignIn::new(end - 30 * MIN, ov, nat, ov.home));
    look(
        &mut m,
        PASSWORD_SPRAY,
        format!(
            "office NAT {nat}: 4 mistyped passwords, then {} signs in",
            ov.upn
        ),
        &[nat, &ov.upn],
    );
    let spray2 = "95.165.99.4";
    for (k, i) in SPRAYED.enumerate() {
        si(
            out,
            rng,
            SignIn::new(end - 4 * HOUR + k as i64 * 7 * MIN, &u[i], spray2, MOSCOW).failed(50126),
        );
    }
    look(
        &mut m,
        PASSWORD_SPRAY,
        format!(
            "{spray2} sprays {} accounts and never gets in",
            SPRAYED.len()
        ),
        &[spray2],
    );

    // MFA fatigue: the usual MFA interrupt; prompts nobody answers.
    let v = &u[MFA_NORMAL];
    for k in 0..2 {
        si(
            out,
            rng,
            SignIn::new(end - 40 * MIN + k * MIN, v, &v.ip, v.home).failed(50074),
        );
    }
    si(out, rng, SignIn::new(end - 38 * MIN, v, &v.ip, v.home));
    look(
        &mut m,
        MFA_FATIGUE,
        format!("{}: two MFA interrupts (50074), then MFA completed", v.upn),
        &[&v.upn],
    );
    let v = &u[MFA_UNANSWERED];
    let mfa2 = "47.74.210.9";
    for k in 0..6 {
        si(
            out,
            rng,
            SignIn::new(end - 50 * MIN + k * 3 * MIN, v, mfa2, SINGAPORE).failed(500121),
        );
    }
    look(
        &mut m,
        MFA_FATIGUE,
        format!("{}: six denied prompts from {mfa2}, never approved", v.upn),
        &[&v.upn, mfa2],
    );

    // Network alert: an internal (private) address alerted on, and used.
    let v = &u[PRIVATE_IP];
    let internal = "10.20.0.15";
    out.eve.push(eve(
        rng,
        end - 70 * MIN,
        internal,
        "10.0.0.5",
        "ET POLICY SMB2 NT Create AndX Request For an Executable File",
        2,
    ));
    si(out, rng, SignIn::new(end - 40 * MIN, v, internal, v.home));
    look(
        &mut m,
        NETWORK_ALERT,
        format!(
            "Suricata alert on private {internal}; {} signs in from it (on-prem egress)",
            v.upn
        ),
        &[&v.upn, internal],
    );

    // ASN mismatch: a second address of the same ISP.
    let v = &u[ASN_NORMAL];
    let other = "84.150.201.77";
    si(out, rng, SignIn::new(end - 45 * MIN, v, &v.ip, v.home));
    si(
        out,
        rng,
        SignIn::new(end - 43 * MIN, v, other, v.home).non_interactive(),
    );
    look(
        &mut m,
        ASN_MISMATCH,
        format!(
            "{}: refresh from another address of the same ASN (AS3320)",
            v.upn
        ),
        &[&v.upn, other],
    );

    // Suspicious sign-in: low risk is not risky.
    let v = &u[LOW_RISK];
    let mut s = SignIn::new(end - 25 * MIN, v, &v.ip, v.home);
    s.risk = "low";
    si(out, rng, s);
    look(
        &mut m,
        SUSPICIOUS_SIGNIN,
        format!("{}: sign-in with low risk, MFA, modern client", v.upn),
        &[&v.upn],
    );

    // Service principals: hosted CI agents below the threshold; backup workers in the
    // allow-listed private ranges.
    if let Some(ci) = w.sps.iter().find(|s| s.name == "DeployPipeline") {
        for k in 0..3 {
            let ip = format!("20.113.50.{}", 10 + k);
            sp_signin(
                out,
                rng,
                end - 50 * MIN + k * 10 * MIN,
                ci,
                &ip,
                AZURE_DE,
                0,
            );
        }
        for k in 0..3 {
            let ip = format!("102.89.60.{}", 10 + k);
            sp_signin(
                out,
                rng,
                end - 20 * MIN + k * MIN,
                ci,
                &ip,
                LAGOS,
                7_000_215,
            );
        }
        look(
            &mut m,
            SP_MANY_IPS,
            "DeployPipeline: at most 5 agent addresses in the hour, failed attempts not counted"
                .into(),
            &["DeployPipeline"],
        );
    }
    if let Some(bk) = w.sps.iter().find(|s| s.name == "NightlyBackup") {
        for k in 0..9 {
            let ip = match k % 3 {
                0 => format!("10.20.1.{}", 10 + k),
                1 => format!("192.168.10.{}", 10 + k),
                _ => format!("172.16.4.{}", 10 + k),
            };
            sp_signin(out, rng, end - 55 * MIN + k * 4 * MIN, bk, &ip, AZURE_DE, 0);
        }
        look(
            &mut m,
            SP_MANY_IPS,
            "NightlyBackup: ten workers, nine in allow-listed private ranges".into(),
            &["NightlyBackup"],
        );
    }

    // Credential rotation from Germany, used from Germany; a failed attempt from abroad.
    let a2 = &u[ADMIN2];
    if let Some(bk) = w.sps.iter().find(|s| s.name == "BackupAgent") {
        si(out, rng, SignIn::new(end - 7 * HOUR, a2, &a2.ip, a2.home));
        cred_change(
            out,
            rng,
            end - 6 * HOUR,
            "Update application - Certificates and secrets management",
            a2,
            bk,
        );
        sp_signin(
            out,
            rng,
            end - 3 * HOUR,
            bk,
            "102.89.61.5",
            LAGOS,
            7_000_215,
        );
        look(
            &mut m,
            SP_CRED_SENTINEL,
            format!(
                "BackupAgent secret rotated by {} (DE); used from DE; one failed attempt from NG",
                a2.upn
            ),
            &["BackupAgent", &a2.upn, "102.89.61.5"],
        );
    }

    // UEBA: a dormant account wakes up.
    let d = &u[DORMANT];
    si(out, rng, SignIn::new(end - 5 * HOUR, d, &d.ip, d.home));
    m.ueba.push(format!(
        "{}: active only in the first two days, signs in again today",
        d.upn
    ));

    // UEBA (anomalous account sign-in): an account created this morning signs in from
    // Nigeria, where nobody in the tenant works. The new hire above (London) and the dormant
    // account (away ten days, not 180) are its look-alikes.
    let na = &u[NEW_ACCOUNT];
    out.audit.push(audit(
        rng,
        end - 9 * HOUR,
        "Add user",
        "UserManagement",
        admin,
        Some(&admin.ip),
        json!([{"id": na.id, "displayName": na.display, "type": "User", "userPrincipalName": na.upn,
                "modifiedProperties": [{"displayName": "AccountEnabled", "oldValue": "[]", "newValue": "[true]"}]}]),
    ));
    let na_ip = "102.89.70.14";
    si(out, rng, SignIn::new(end - 4 * HOUR, na, na_ip, LAGOS));
    attack(
        &mut m,
        UEBA_ANOMALOUS,
        format!(
            "{}: created 9 hours ago, signs in from Nigeria ({na_ip}), where nobody in the tenant works",
            na.upn
        ),
        &na.upn,
        &[na_ip],
    );
    look(
        &mut m,
        UEBA_ANOMALOUS,
        format!(
            "{}: signs in again after days away (dormant needs 180 days)",
            d.upn
        ),
        &[&d.upn],
    );
    m.ueba.push(format!(
        "{}: created by \"Add user\" 9 hours before the end, signs in from Nigeria",
        na.upn
    ));
    m
}

/// A credential change as AuditLogs (diagnostic settings) and CloudAppEvents (Defender) record
/// it.
fn cred_change(
    out: &mut Records,
    rng: &mut Rng,
    t: i64,
    op: &str,
    actor: &User,
    sp: &ServicePrincipal,
) {
    out.audit.push(audit(
        rng,
        t,
        op,
        "ApplicationManagement",
        actor,
        Some(&actor.ip),
        json!([{"id": sp.app_object_id, "displayName": sp.name, "type": "Application",
                "modifiedProperties": [{"displayName": "KeyDescription", "oldValue": "[]",
                    "newValue": "[\"[KeyIdentifier=7c1e,KeyType=Password,KeyUsage=Verify,DisplayName=rotation]\"]"}]}]),
    ));
    out.defender.push(defender(
        "CloudAppEvents",
        json!({
            "Timestamp": iso(t), "ActionType": op, "Application": "Microsoft 365", "ApplicationId": 11161,
            "AccountDisplayName": actor.display, "AccountObjectId": actor.id, "AccountId": actor.id,
            "IPAddress": actor.ip, "CountryCode": actor.home.cc, "City": actor.home.city,
            "ObjectName": sp.name, "ObjectId": sp.app_object_id, "ActivityType": "Edit", "ReportId": rng.guid(),
            "RawEventData": {"Operation": op, "Workload": "AzureActiveDirectory", "ObjectId": sp.app_object_id,
                             "Target": [{"ID": format!("Application_{}", sp.app_object_id), "Type": 2},
                                        {"ID": sp.app_object_id, "Type": 2}, {"ID": sp.name, "Type": 1}]},
        }),
    ));
}

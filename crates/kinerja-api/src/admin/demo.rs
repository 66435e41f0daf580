//! `kinerja admin seed-demo`: a realistic regency government for front-end teams to build
//! against — the secretariat, the education office and the health office, about 200 employees
//! in supervisor chains from the regional secretary down, valid NIPs, and a few logins.
//! Running it again changes nothing.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::{EmploymentType, FunctionalLevel, Nip, PositionKind};
use kinerja_domain::{objection, Role};
use kinerja_store::coded::Coded;
use kinerja_store::org_rows::{self, AgencyRow, EmployeeRow, PositionRow, UnitRow};
use kinerja_store::{audit_rows, AsyncConnection, AsyncPgConnection, Db};
use uuid::Uuid;

use crate::context::audit_actor::AuditActor;
use crate::http::error::ApiError;
use crate::services::accounts::{self, AccountInput};

pub const AGENCY_CODE: &str = "KAB-BTH";
/// The password of every demo login. Demo data only: never on a production database.
pub const DEMO_PASSWORD: &str = "kinerja-demo-2026";

/// A login the demo creates, to print.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub role: &'static str,
    pub who: String,
}

const FIRST: [&str; 20] = [
    "Ahmad", "Siti", "Budi", "Dewi", "Hendra", "Rina", "Agus", "Sri", "Yusuf", "Nurul", "Rudi", "Fitri", "Joko",
    "Ratna", "Andi", "Wulan", "Bambang", "Intan", "Eko", "Lestari",
];
const LAST: [&str; 15] = [
    "Santoso",
    "Wahyuni",
    "Saputra",
    "Lestari",
    "Hidayat",
    "Marlina",
    "Pratama",
    "Rahmawati",
    "Siregar",
    "Nasution",
    "Harahap",
    "Kurniawan",
    "Susanti",
    "Gunawan",
    "Permata",
];

/// Builds the organisation in memory, then writes it in one transaction.
struct Plan {
    agency_id: Uuid,
    units: Vec<UnitRow>,
    positions: Vec<PositionRow>,
    employees: Vec<EmployeeRow>,
}

impl Plan {
    fn unit(&mut self, code: &str, name: &str, parent: Option<Uuid>) -> Uuid {
        let now = Utc::now();
        let id = Uuid::now_v7();
        self.units.push(UnitRow {
            id,
            agency_id: self.agency_id,
            parent_id: parent,
            code: code.into(),
            name: name.into(),
            created_at: now,
            updated_at: now,
        });
        id
    }

    fn position(
        &mut self,
        code: &str,
        name: &str,
        kind: PositionKind,
        level: Option<FunctionalLevel>,
        unit: Uuid,
    ) -> Uuid {
        let now = Utc::now();
        let id = Uuid::now_v7();
        self.positions.push(PositionRow {
            id,
            agency_id: self.agency_id,
            unit_id: Some(unit),
            code: code.into(),
            name: name.into(),
            kind: Coded(kind),
            level: level.map(Coded),
            created_at: now,
            updated_at: now,
        });
        id
    }

    /// A person with a NIP derived from their number: birth date, appointment at 23–27, gender,
    /// and the number as sequence (so every NIP is distinct and valid).
    fn person(
        &mut self,
        unit: Uuid,
        position: Uuid,
        supervisor: Option<Uuid>,
        grade: &str,
        pppk: bool,
    ) -> (Uuid, usize) {
        let n = self.employees.len();
        let birth = NaiveDate::from_ymd_opt(1966, 1, 1).unwrap_or_default() + Duration::days((n as i64 * 173) % 12_400);
        let appointed = birth.year() + 23 + (n as i32 % 5);
        let gender = 1 + n % 2;
        let nip = format!("{}{appointed:04}{:02}{gender}{:03}", birth.format("%Y%m%d"), 1 + n % 12, 1 + n % 999);
        let (employment, grade) = if pppk { (EmploymentType::Pppk, "IX") } else { (EmploymentType::Pns, grade) };
        debug_assert!(Nip::parse(&nip, employment).is_ok(), "{nip}");
        let now = Utc::now();
        let id = Uuid::now_v7();
        let name = format!("{} {}", FIRST[n % FIRST.len()], LAST[(n / FIRST.len() + n) % LAST.len()]);
        let email =
            format!("{}.{}{}@batanghari.go.id", FIRST[n % FIRST.len()], LAST[(n / FIRST.len() + n) % LAST.len()], n)
                .to_lowercase();
        self.employees.push(EmployeeRow {
            id,
            agency_id: self.agency_id,
            nip,
            name,
            unit_id: Some(unit),
            position_id: Some(position),
            supervisor_id: supervisor,
            employment_type: Coded(employment),
            grade: Some(grade.into()),
            email: Some(email),
            created_at: now,
            updated_at: now,
        });
        (id, n)
    }
}

/// The people who get logins, as positions in the plan's employee list.
struct Keys {
    sekda: usize,
    kadisdik: usize,
    guru: usize,
}

fn plan(agency_id: Uuid) -> (Plan, Keys) {
    let mut p = Plan { agency_id, units: Vec::new(), positions: Vec::new(), employees: Vec::new() };
    let setda = p.unit("SETDA", "Sekretariat Daerah", None);
    let sekda_pos = p.position("SEKDA", "Sekretaris Daerah", PositionKind::JptPratama, None, setda);
    let (sekda, sekda_index) = p.person(setda, sekda_pos, None, "IV/d", false);

    // The secretariat: two sections (bagian), each with two sub-sections of eight staff.
    for (code, name) in [("UMUM", "Bagian Umum"), ("ORG", "Bagian Organisasi")] {
        let bagian = p.unit(code, name, Some(setda));
        let head_pos =
            p.position(&format!("KABAG-{code}"), &format!("Kepala {name}"), PositionKind::Administrator, None, bagian);
        let (head, _) = p.person(bagian, head_pos, Some(sekda), "IV/b", false);
        for i in 1..=2 {
            let sub = p.unit(&format!("{code}-{i}"), &format!("Subbagian {name} {i}"), Some(bagian));
            let kasubbag_pos = p.position(
                &format!("KASUBBAG-{code}-{i}"),
                &format!("Kepala Subbagian {i}"),
                PositionKind::Pengawas,
                None,
                sub,
            );
            let (kasubbag, _) = p.person(sub, kasubbag_pos, Some(head), "III/d", false);
            let staff_pos = p.position(
                &format!("PELAKSANA-{code}-{i}"),
                "Pengadministrasi Umum",
                PositionKind::Pelaksana,
                None,
                sub,
            );
            for k in 0..8 {
                p.person(sub, staff_pos, Some(kasubbag), ["II/c", "III/a", "III/b"][k % 3], k == 7);
            }
        }
    }

    // Two offices, each: head, secretary, two divisions (bidang) of two sections (seksi) of 19.
    let (mut kadisdik, mut guru) = (sekda_index, sekda_index);
    let offices = [
        (
            "DISDIK",
            "Dinas Pendidikan",
            [("SD", "Bidang Pembinaan SD"), ("SMP", "Bidang Pembinaan SMP")],
            ("GURU", "Guru"),
        ),
        (
            "DINKES",
            "Dinas Kesehatan",
            [("YANKES", "Bidang Pelayanan Kesehatan"), ("P2P", "Bidang Pencegahan Penyakit")],
            ("PERAWAT", "Perawat"),
        ),
    ];
    for (code, name, divisions, (jf_code, jf_name)) in offices {
        let office = p.unit(code, name, None);
        let head_pos =
            p.position(&format!("KADIS-{code}"), &format!("Kepala {name}"), PositionKind::JptPratama, None, office);
        let (head, head_index) = p.person(office, head_pos, Some(sekda), "IV/c", false);
        let sec_pos = p.position(
            &format!("SEKDIS-{code}"),
            &format!("Sekretaris {name}"),
            PositionKind::Administrator,
            None,
            office,
        );
        p.person(office, sec_pos, Some(head), "IV/a", false);
        if code == "DISDIK" {
            kadisdik = head_index;
        }
        for (div_code, div_name) in divisions {
            let division = p.unit(&format!("{code}-{div_code}"), div_name, Some(office));
            let kabid_pos = p.position(
                &format!("KABID-{div_code}"),
                &format!("Kepala {div_name}"),
                PositionKind::Administrator,
                None,
                division,
            );
            let (kabid, _) = p.person(division, kabid_pos, Some(head), "IV/a", false);
            for s in 1..=2 {
                let section =
                    p.unit(&format!("{code}-{div_code}-{s}"), &format!("Seksi {div_name} {s}"), Some(division));
                let kasi_pos = p.position(
                    &format!("KASI-{div_code}-{s}"),
                    &format!("Kepala Seksi {s}"),
                    PositionKind::Pengawas,
                    None,
                    section,
                );
                let (kasi, _) = p.person(section, kasi_pos, Some(kabid), "III/d", false);
                let jf_first = p.position(
                    &format!("{jf_code}-{div_code}-{s}-AP"),
                    &format!("{jf_name} Ahli Pertama"),
                    PositionKind::Fungsional,
                    Some(FunctionalLevel::AhliPertama),
                    section,
                );
                let jf_senior = p.position(
                    &format!("{jf_code}-{div_code}-{s}-AM"),
                    &format!("{jf_name} Ahli Muda"),
                    PositionKind::Fungsional,
                    Some(FunctionalLevel::AhliMuda),
                    section,
                );
                let admin_pos = p.position(
                    &format!("PELAKSANA-{div_code}-{s}"),
                    "Pengelola Data",
                    PositionKind::Pelaksana,
                    None,
                    section,
                );
                for k in 0..19 {
                    let (position, grade) = match k % 4 {
                        0 => (jf_senior, "III/c"),
                        3 => (admin_pos, "II/d"),
                        _ => (jf_first, "III/a"),
                    };
                    let (_, index) = p.person(section, position, Some(kasi), grade, k % 9 == 8);
                    if code == "DISDIK" && k == 0 && guru == sekda_index {
                        guru = index;
                    }
                }
            }
        }
    }
    (p, Keys { sekda: sekda_index, kadisdik, guru })
}

async fn write(tx: &mut AsyncPgConnection, agency: &AgencyRow, p: &Plan) -> Result<(), ApiError> {
    org_rows::insert_agency(tx, agency).await?;
    for unit in &p.units {
        org_rows::insert_unit(tx, unit).await?;
    }
    for position in &p.positions {
        org_rows::insert_position(tx, position).await?;
    }
    for employee in &p.employees {
        org_rows::insert_employee(tx, employee).await?;
    }
    let changes =
        serde_json::json!({"units": p.units.len(), "positions": p.positions.len(), "employees": p.employees.len()});
    audit_rows::record(
        tx,
        AuditActor::system().raw(AuditEntity::Agency, Some(agency.id), "seed_demo", Some(agency.id), changes),
    )
    .await?;
    Ok(())
}

/// Creates the demo agency (unless it exists) and its logins (unless they exist); returns the
/// logins and how many employees the agency has.
pub async fn seed(db: &Db) -> Result<(Vec<DemoLogin>, i64), ApiError> {
    let mut conn = db.conn().await?;
    let agency = match org_rows::agency_by_code(&mut conn, AGENCY_CODE).await? {
        Some(agency) => agency,
        None => {
            let now = Utc::now();
            let agency = AgencyRow {
                id: Uuid::now_v7(),
                code: AGENCY_CODE.into(),
                name: "Pemerintah Kabupaten Batanghari".into(),
                created_at: now,
                updated_at: now,
                objection_window_days: objection::DEFAULT_WINDOW_DAYS,
            };
            let (p, _) = plan(agency.id);
            conn.transaction::<_, ApiError, _>(async |tx| write(tx, &agency, &p).await).await?;
            agency
        }
    };
    // The plan is deterministic in its NIPs: the key people are found again by them.
    let (p, keys) = plan(agency.id);
    let mut person = async |index: usize| -> Result<Option<Uuid>, ApiError> {
        Ok(org_rows::employee_by_nip(&mut conn, &p.employees[index].nip).await?.map(|e| e.id))
    };
    let accounts = [
        ("admin.bth", Role::AgencyAdmin, None, "agency admin (HR office)"),
        ("auditor.bth", Role::Auditor, None, "auditor: reads the whole agency"),
        ("sekda", Role::Employee, person(keys.sekda).await?, "Sekretaris Daerah, top of the supervisor chain"),
        ("kadisdik", Role::Employee, person(keys.kadisdik).await?, "Kepala Dinas Pendidikan"),
        ("guru", Role::Employee, person(keys.guru).await?, "a teacher (Guru Ahli Muda) at the bottom of a chain"),
    ];
    let count = org_rows::count_employees(&mut conn, agency.id).await?;
    drop(conn);
    let mut logins = Vec::new();
    for (username, role, employee_id, who) in accounts {
        let input = AccountInput {
            username: username.into(),
            password: DEMO_PASSWORD.into(),
            roles: vec![role],
            agency_id: Some(agency.id),
            employee_id,
        };
        match accounts::create(db, &AuditActor::system(), input).await {
            Ok(_) | Err(ApiError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
        logins.push(DemoLogin { username: username.into(), role: role.as_str(), who: who.into() });
    }
    Ok((logins, count))
}

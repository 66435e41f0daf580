//! `kinerja admin seed-competencies`: the national dictionary's eight managerial competencies
//! and the socio-cultural one (PermenPANRB 38/2017, by name), with level descriptions written
//! for this project in plain Indonesian, and the commonly cited managerial defaults per position
//! kind as editable data. Running it again adds only what is missing: edits are kept.

use chrono::Utc;
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::PositionKind;
use kinerja_domain::competency::CompetencyGroup;
use kinerja_store::coded::Coded;
use kinerja_store::competency_rows::{self as store, CompetencyRow};
use kinerja_store::{audit_rows, AsyncConnection, Db};
use serde_json::json;
use uuid::Uuid;

use crate::context::audit_actor::AuditActor;
use crate::http::error::ApiError;

/// (code, name, group, description, five levels of (description, indicators)).
type Entry = (&'static str, &'static str, CompetencyGroup, &'static str, [(&'static str, [&'static str; 2]); 5]);

const M: CompetencyGroup = CompetencyGroup::Manajerial;

pub const DICTIONARY: [Entry; 9] = [
    ("M-INT", "Integritas", M, "Bertindak konsisten sesuai nilai, norma dan etika organisasi dalam kapasitas pribadi maupun jabatan.", [
        ("Mampu bertindak sesuai nilai, norma dan etika organisasi dalam kapasitas pribadi.", ["Bersikap jujur dalam pekerjaan sehari-hari", "Menepati janji dan komitmen"]),
        ("Mampu mengingatkan rekan kerja untuk bertindak sesuai nilai, norma dan etika organisasi.", ["Mengingatkan rekan yang melanggar aturan", "Melaporkan pelanggaran sesuai prosedur"]),
        ("Mampu memastikan, menghargai dan mendorong terciptanya budaya etis di unit kerjanya.", ["Memberi contoh perilaku etis kepada tim", "Menindaklanjuti pelanggaran di unit kerjanya"]),
        ("Mampu menciptakan situasi kerja yang membuat rekan kerja patuh pada nilai dan etika organisasi.", ["Menyusun aturan perilaku unit", "Menegakkan konsekuensi secara adil"]),
        ("Mampu menjadi teladan integritas dan membangun budaya integritas di tingkat instansi.", ["Memimpin program pembangunan zona integritas", "Mempertahankan keputusan etis meski tidak populer"]),
    ]),
    ("M-KS", "Kerjasama", M, "Membangun dan memelihara hubungan kerja yang efektif untuk mencapai tujuan bersama.", [
        ("Berpartisipasi dalam tugas kelompok.", ["Menyelesaikan bagian tugas tim", "Berbagi informasi yang relevan"]),
        ("Menumbuhkan tim kerja yang partisipatif dan efektif.", ["Membantu rekan yang kesulitan", "Menghargai masukan anggota tim"]),
        ("Efektif membangun tim kerja lintas unit.", ["Melibatkan unit lain dalam kegiatan", "Menyelesaikan perbedaan pendapat dalam tim"]),
        ("Membangun komitmen tim dan sinergi antarunit.", ["Menyatukan tujuan beberapa unit", "Mengelola konflik antarunit"]),
        ("Menciptakan budaya kolaborasi di tingkat instansi dan antarinstansi.", ["Membangun kemitraan antarinstansi", "Memimpin jejaring kerja lintas sektor"]),
    ]),
    ("M-KOM", "Komunikasi", M, "Menyampaikan dan menerima informasi secara jelas, lisan maupun tertulis, untuk memastikan pemahaman bersama.", [
        ("Menyampaikan informasi dengan jelas, lengkap dan mudah dipahami.", ["Menulis laporan singkat yang runtut", "Mendengarkan dengan saksama"]),
        ("Aktif menjalankan komunikasi dua arah.", ["Mengajukan pertanyaan untuk memastikan pemahaman", "Menyesuaikan bahasa dengan lawan bicara"]),
        ("Berkomunikasi secara asertif dan terampil membangun pemahaman bersama.", ["Memfasilitasi rapat yang efektif", "Menyampaikan pendapat berbeda dengan santun"]),
        ("Mengemukakan pemikiran multidimensi secara jelas dan meyakinkan.", ["Menyampaikan paparan kepada pimpinan dan mitra", "Menyusun strategi komunikasi unit"]),
        ("Menggagas sistem komunikasi yang terbuka dan menjadi komunikator handal di tingkat instansi.", ["Mewakili instansi di forum publik", "Membangun saluran komunikasi dua arah dengan masyarakat"]),
    ]),
    ("M-OPH", "Orientasi pada Hasil", M, "Mempertahankan komitmen pribadi yang tinggi untuk menyelesaikan tugas dengan hasil terbaik.", [
        ("Bertanggung jawab untuk memenuhi standar kerja.", ["Menyelesaikan tugas tepat waktu", "Memeriksa kembali hasil kerja"]),
        ("Berupaya meningkatkan hasil kerja melebihi standar.", ["Menetapkan target pribadi yang menantang", "Mencari cara kerja yang lebih efisien"]),
        ("Menetapkan target kerja yang menantang bagi unit kerja.", ["Memantau capaian unit secara berkala", "Memberi umpan balik atas kinerja tim"]),
        ("Mendorong unit kerja mencapai target yang ditetapkan atau melebihi hasil kerja sebelumnya.", ["Menyusun ukuran keberhasilan lintas unit", "Mengalokasikan sumber daya sesuai prioritas hasil"]),
        ("Meningkatkan mutu pencapaian kerja organisasi.", ["Menetapkan sasaran strategis instansi", "Membangun sistem manajemen kinerja"]),
    ]),
    ("M-PP", "Pelayanan Publik", M, "Melayani masyarakat secara profesional, transparan dan adil sesuai standar pelayanan.", [
        ("Menjalankan tugas pelayanan sesuai standar.", ["Melayani dengan ramah dan sopan", "Memberi informasi yang benar kepada masyarakat"]),
        ("Mampu mengupayakan pelayanan yang cepat dan tuntas.", ["Menindaklanjuti keluhan sampai selesai", "Mencatat kebutuhan penerima layanan"]),
        ("Mampu memanfaatkan kekuatan unit kerja untuk pelayanan yang bermutu.", ["Menyederhanakan prosedur layanan", "Memantau kepuasan penerima layanan"]),
        ("Mampu memonitor, mengevaluasi dan mengembangkan mutu pelayanan lintas unit.", ["Menetapkan standar pelayanan unit", "Menggunakan survei untuk perbaikan layanan"]),
        ("Mampu menciptakan kebijakan pelayanan publik yang menjamin keterbukaan dan keadilan.", ["Merumuskan kebijakan layanan instansi", "Membangun sistem pengaduan yang terbuka"]),
    ]),
    ("M-PDOL", "Pengembangan Diri dan Orang Lain", M, "Meningkatkan pengetahuan dan keterampilan diri dan orang lain untuk kinerja yang lebih baik.", [
        ("Mengembangkan diri sesuai kebutuhan jabatan.", ["Mengikuti pelatihan dan e-learning", "Mempelajari aturan baru bidang tugasnya"]),
        ("Meningkatkan kemampuan bawahan dengan memberi contoh dan penjelasan.", ["Berbagi pengetahuan dengan rekan", "Menjelaskan cara kerja kepada pegawai baru"]),
        ("Memberikan umpan balik dan membimbing bawahan.", ["Melakukan coaching rutin", "Menyusun rencana pengembangan bawahan"]),
        ("Menyusun program pengembangan jangka panjang untuk pegawai di unitnya.", ["Memetakan kebutuhan pelatihan unit", "Menjadi mentor bagi calon pemimpin"]),
        ("Menciptakan situasi yang mendorong organisasi pembelajar.", ["Membangun sistem manajemen talenta", "Mengalokasikan anggaran pengembangan kompetensi"]),
    ]),
    ("M-MP", "Mengelola Perubahan", M, "Menyesuaikan diri dengan perubahan dan memimpin perubahan untuk mencapai tujuan organisasi.", [
        ("Menyesuaikan diri dengan perubahan.", ["Menerima cara kerja baru", "Mempelajari aplikasi baru yang ditetapkan"]),
        ("Proaktif beradaptasi dan mendukung perubahan.", ["Mengusulkan perbaikan cara kerja", "Membantu rekan beradaptasi"]),
        ("Membantu orang lain mengikuti perubahan dan menanggapi hambatannya.", ["Menjelaskan alasan perubahan kepada tim", "Mengelola penolakan terhadap perubahan"]),
        ("Memimpin perubahan di unit kerja.", ["Merancang tahapan perubahan unit", "Memantau dampak perubahan"]),
        ("Memimpin, menggerakkan dan mengevaluasi perubahan di tingkat instansi.", ["Menetapkan arah reformasi birokrasi instansi", "Menjadi agen perubahan lintas instansi"]),
    ]),
    ("M-PK", "Pengambilan Keputusan", M, "Membuat keputusan yang baik secara tepat waktu dan dengan keyakinan diri setelah mempertimbangkan prinsip kehati-hatian.", [
        ("Mengumpulkan informasi untuk bertindak sesuai kewenangan.", ["Mencari data sebelum bertindak", "Mengikuti prosedur yang berlaku"]),
        ("Menganalisis masalah secara mendalam.", ["Mengidentifikasi akar masalah", "Membandingkan beberapa alternatif"]),
        ("Membandingkan alternatif dan menyeimbangkan risiko keberhasilan.", ["Memilih solusi dengan pertimbangan risiko", "Memutuskan tepat waktu di unitnya"]),
        ("Menyelesaikan masalah yang mengandung risiko tinggi dengan mengantisipasi dampaknya.", ["Memutuskan masalah lintas unit", "Menyiapkan rencana mitigasi"]),
        ("Menghasilkan solusi strategis yang berdampak jangka panjang.", ["Memutuskan kebijakan strategis instansi", "Mempertanggungjawabkan keputusan kepada publik"]),
    ]),
    ("SK-PB", "Perekat Bangsa", CompetencyGroup::SosialKultural, "Mempromosikan sikap toleransi, keterbukaan dan peka terhadap perbedaan latar belakang, agama dan budaya untuk persatuan bangsa.", [
        ("Peka memahami dan menerima kemajemukan.", ["Menghargai rekan yang berbeda latar belakang", "Tidak membeda-bedakan dalam pelayanan"]),
        ("Aktif mengembangkan sikap saling menghargai dan menekankan persamaan.", ["Melibatkan semua kelompok dalam kegiatan", "Menghindari ujaran yang memecah belah"]),
        ("Mempromosikan dan mengembangkan sikap toleransi dan persatuan.", ["Menengahi perbedaan di unit kerja", "Mendorong kegiatan lintas budaya"]),
        ("Mendayagunakan perbedaan secara konstruktif dan kreatif.", ["Memanfaatkan keragaman untuk inovasi", "Menyelesaikan konflik bernuansa SARA secara adil"]),
        ("Wakil pemerintah untuk membangun hubungan sosial psikologis di masyarakat.", ["Memimpin program kerukunan di wilayahnya", "Menjadi teladan persatuan di tingkat daerah"]),
    ]),
];

/// Commonly cited managerial levels per position kind (practice, not regulation text: hence data; docs/rules.md).
/// Functional positions have none: their standard depends on the position and is set on it.
pub const DEFAULT_LEVELS: [(PositionKind, i16); 6] = [
    (PositionKind::JptUtama, 5),
    (PositionKind::JptMadya, 5),
    (PositionKind::JptPratama, 4),
    (PositionKind::Administrator, 3),
    (PositionKind::Pengawas, 2),
    (PositionKind::Pelaksana, 1),
];

/// Adds what is missing; returns (competencies added, default levels added).
pub async fn seed(db: &Db) -> Result<(usize, usize), ApiError> {
    let mut conn = db.conn().await?;
    conn.transaction::<_, ApiError, _>(async |tx| {
        let now = Utc::now();
        let (mut added, mut defaults) = (0, 0);
        let mut ids = Vec::new();
        for (code, name, group, description, levels) in DICTIONARY {
            let id = match store::national_competency_by_code(tx, code).await? {
                Some(existing) => existing.id,
                None => {
                    let levels: Vec<_> = levels
                        .iter()
                        .enumerate()
                        .map(|(i, (text, indicators))| json!({"level": i + 1, "description": text, "indicators": indicators}))
                        .collect();
                    let row = CompetencyRow {
                        id: Uuid::now_v7(),
                        agency_id: None,
                        code: code.into(),
                        name: name.into(),
                        competency_group: Coded(group),
                        description: Some(description.into()),
                        levels: json!(levels),
                        created_at: now,
                        updated_at: now,
                    };
                    added += 1;
                    store::insert_competency(tx, &row).await?.id
                }
            };
            ids.push(id);
        }
        for (kind, level) in DEFAULT_LEVELS {
            let mut standard = store::default_standard(tx, kind.as_str()).await?;
            let missing: Vec<(Uuid, i16)> =
                ids.iter().filter(|id| !standard.iter().any(|(c, _)| c == *id)).map(|id| (*id, level)).collect();
            if !missing.is_empty() {
                defaults += missing.len();
                standard.extend(missing);
                store::replace_default_standard(tx, kind.as_str(), &standard, now).await?;
            }
        }
        let changes = json!({"competencies_added": added, "default_levels_added": defaults});
        audit_rows::record(tx, AuditActor::system().raw(AuditEntity::Competency, None, "seed_dictionary", None, changes)).await?;
        Ok((added, defaults))
    })
    .await
}

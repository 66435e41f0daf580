//! The codes of a performance plan (SKP, PermenPANRB 6/2022).

macro_rules! wire_codes {
    ($(#[$doc:meta])* $ty:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $ty { $($variant),+ }

        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $code),+ }
            }
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == code)
            }
        }
    };
}

pub(crate) use wire_codes;

wire_codes!(
    /// Kuantitatif plans have numeric targets; kualitatif plans described ones.
    Approach { Kuantitatif => "kuantitatif", Kualitatif => "kualitatif" }
);

wire_codes!(
    /// A work result (RHK) is main or additional.
    ResultKind { Utama => "utama", Tambahan => "tambahan" }
);

wire_codes!(
    /// The four perspectives by which senior executives (JPT) group their results.
    Perspective {
        PenerimaLayanan => "penerima_layanan",
        ProsesBisnis => "proses_bisnis",
        PenguatanInternal => "penguatan_internal",
        Anggaran => "anggaran",
    }
);

wire_codes!(
    /// The seven BerAKHLAK core values of the civil service.
    BerAkhlak {
        BerorientasiPelayanan => "berorientasi_pelayanan",
        Akuntabel => "akuntabel",
        Kompeten => "kompeten",
        Harmonis => "harmonis",
        Loyal => "loyal",
        Adaptif => "adaptif",
        Kolaboratif => "kolaboratif",
    }
);

/// Where an overall result rating departs from the work results the rating official rated one
/// by one (PermenPANRB 6/2022 guidance, practice): *di atas ekspektasi* needs most results above
/// expectation and no *utama* result below. The overall rating stays the official's decision;
/// these are warnings, never refusals.
pub fn result_rating_departures(
    overall: crate::rule_sets::Rating,
    results: &[(ResultKind, crate::rule_sets::Rating)],
) -> Vec<&'static str> {
    use crate::rule_sets::Rating::{DiAtasEkspektasi, DiBawahEkspektasi};
    let mut warnings = Vec::new();
    if overall != DiAtasEkspektasi || results.is_empty() {
        return warnings;
    }
    let above = results.iter().filter(|(_, r)| *r == DiAtasEkspektasi).count();
    if above * 2 <= results.len() {
        warnings.push("di_atas_ekspektasi usually needs most work results rated above expectation");
    }
    if results.iter().any(|(kind, r)| *kind == ResultKind::Utama && *r == DiBawahEkspektasi) {
        warnings.push("di_atas_ekspektasi usually allows no utama work result below expectation");
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule_sets::Rating::{DiAtasEkspektasi as Atas, DiBawahEkspektasi as Bawah, SesuaiEkspektasi as Sesuai};

    #[test]
    fn di_atas_needs_most_results_above_and_no_utama_below() {
        use ResultKind::{Tambahan, Utama};
        assert!(result_rating_departures(Atas, &[(Utama, Atas), (Utama, Atas), (Tambahan, Sesuai)]).is_empty());
        assert_eq!(result_rating_departures(Atas, &[(Utama, Atas), (Utama, Sesuai)]).len(), 1, "half is not most");
        assert_eq!(
            result_rating_departures(Atas, &[(Utama, Atas), (Utama, Atas), (Utama, Bawah)]),
            vec!["di_atas_ekspektasi usually allows no utama work result below expectation"]
        );
        assert!(result_rating_departures(Atas, &[(Utama, Atas), (Utama, Atas), (Tambahan, Bawah)]).is_empty());
        assert!(result_rating_departures(Sesuai, &[(Utama, Bawah)]).is_empty(), "only di atas has the rule");
        assert!(result_rating_departures(Atas, &[]).is_empty(), "nothing rated one by one, nothing to compare");
    }

    #[test]
    fn seven_values_and_round_trips() {
        assert_eq!(BerAkhlak::ALL.len(), 7);
        for v in BerAkhlak::ALL {
            assert_eq!(BerAkhlak::parse(v.as_str()), Some(*v));
        }
        assert_eq!(Perspective::parse("anggaran"), Some(Perspective::Anggaran));
        assert_eq!(ResultKind::parse("pokok"), None);
    }
}

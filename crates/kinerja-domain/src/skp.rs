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

#[cfg(test)]
mod tests {
    use super::*;

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

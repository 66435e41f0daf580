//! PermenPANRB 6/2022: the predikat is a cell of the matrix of the two ratings.

use super::{Predikat, Rating};

/// The matrix, rows = rating hasil kerja, columns = rating perilaku kerja (di bawah, sesuai,
/// di atas). Behaviour below expectation sinks the result to *kurang* however good the results;
/// results below expectation give *butuh perbaikan* at best.
pub const MATRIX: [(Rating, [Predikat; 3]); 3] = [
    (Rating::DiAtasEkspektasi, [Predikat::Kurang, Predikat::Baik, Predikat::SangatBaik]),
    (Rating::SesuaiEkspektasi, [Predikat::Kurang, Predikat::Baik, Predikat::Baik]),
    (Rating::DiBawahEkspektasi, [Predikat::SangatKurang, Predikat::ButuhPerbaikan, Predikat::ButuhPerbaikan]),
];

const MATRIX_COLUMNS: [Rating; 3] = [Rating::DiBawahEkspektasi, Rating::SesuaiEkspektasi, Rating::DiAtasEkspektasi];

/// The predikat of a matrix cell.
pub fn matrix_predikat(results: Rating, behaviour: Rating) -> Predikat {
    let column = MATRIX_COLUMNS.iter().position(|c| *c == behaviour).unwrap_or(0);
    MATRIX.iter().find(|(row, _)| *row == results).map_or(Predikat::SangatKurang, |(_, cells)| cells[column])
}

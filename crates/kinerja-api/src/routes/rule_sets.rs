//! The rule sets that turn ratings into a predikat, and a dry run that stores nothing.

use actix_web::{get, post, web};
use kinerja_domain::rule_sets::{Aspect, Inputs, Predikat, Rating, RuleSet, MATRIX};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::context::caller::Caller;
use crate::http::error::responses::{Invalid, NotFound, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Json;
use crate::http::pagination::Page;
use crate::services::scoring::{evaluate, Evaluation};
use kinerja_domain::competency::Source;

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleSetView {
    #[schema(example = "permenpanrb-6-2022")]
    code: &'static str,
    title: &'static str,
    /// The rule set a new period gets unless it names another.
    default: bool,
    /// The inputs `evaluate` takes.
    inputs: Vec<&'static str>,
    /// For the matrix: rows of rating hasil kerja, each with the predikat per rating perilaku
    /// kerja (di bawah, sesuai, di atas).
    #[serde(skip_serializing_if = "Option::is_none")]
    matrix: Option<Vec<MatrixRow>>,
    /// For the numeric sets: the bands, from the top.
    #[serde(skip_serializing_if = "Option::is_none")]
    bands: Option<Vec<&'static str>>,
    /// Competency profiles: the sources whose level counts as assessed, the first present
    /// deciding (self and peers are shown beside, never counted).
    competency_assessed_level_from: &'static [Source],
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixRow {
    result_rating: Rating,
    behaviour_di_bawah_ekspektasi: Predikat,
    behaviour_sesuai_ekspektasi: Predikat,
    behaviour_di_atas_ekspektasi: Predikat,
}

fn view(rule_set: RuleSet) -> RuleSetView {
    let (inputs, matrix, bands) = match rule_set {
        RuleSet::PermenPanRb6_2022 => (
            vec!["result_rating", "behaviour_rating"],
            Some(
                MATRIX
                    .iter()
                    .map(|(row, cells)| MatrixRow {
                        result_rating: *row,
                        behaviour_di_bawah_ekspektasi: cells[0],
                        behaviour_sesuai_ekspektasi: cells[1],
                        behaviour_di_atas_ekspektasi: cells[2],
                    })
                    .collect(),
            ),
            None,
        ),
        RuleSet::Pp30_2019 => (
            vec!["skp_score or indicators", "behaviour_score", "with_peers", "new_idea"],
            None,
            Some(vec![
                "sangat_baik: 110–120 and a new idea or method of benefit",
                "baik: 90–120",
                "cukup: 70–<90",
                "kurang: 50–<70",
                "sangat_kurang: <50",
            ]),
        ),
        RuleSet::Pp46_2011 => (
            vec!["skp_score or indicators", "behaviour_score"],
            None,
            Some(vec!["sangat_baik: ≥91", "baik: 76–<91", "cukup: 61–<76", "kurang: 51–<61", "buruk: <51"]),
        ),
    };
    RuleSetView {
        code: rule_set.code(),
        title: rule_set.title(),
        default: rule_set == RuleSet::DEFAULT,
        inputs,
        matrix,
        bands,
        competency_assessed_level_from: rule_set.assessed_level_order(),
    }
}

fn rule_set(code: &str) -> Result<RuleSet, ApiError> {
    RuleSet::parse(code).ok_or(ApiError::NotFound("rule set"))
}

/// The rule sets: `permenpanrb-6-2022` (default), `pp-30-2019`, `pp-46-2011`.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    responses((status = 200, description = "The rule sets", body = Page<RuleSetView>), Unauthenticated)
)]
#[get("/rule-sets")]
pub(super) async fn list_rule_sets(_caller: Caller) -> web::Json<Page<RuleSetView>> {
    web::Json(Page { items: RuleSet::ALL.into_iter().map(view).collect(), next_cursor: None })
}

/// One rule set, with its matrix or bands.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("code" = String, Path, example = "permenpanrb-6-2022", description = "The rule set's code")),
    responses((status = 200, description = "The rule set", body = RuleSetView), Unauthenticated, NotFound)
)]
#[get("/rule-sets/{code}")]
pub(super) async fn get_rule_set(_caller: Caller, path: web::Path<String>) -> Result<web::Json<RuleSetView>, ApiError> {
    Ok(web::Json(view(rule_set(&path)?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AspectInput {
    aspect: Aspect,
    #[schema(example = 12)]
    target: f64,
    #[schema(example = 10)]
    realization: f64,
}

/// An indicator of a numeric plan to score: its aspects, each with target and realisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoredIndicator {
    aspects: Vec<AspectInput>,
}

/// Inputs for a dry run: the two ratings for the matrix; scores (or indicators to score) for
/// the numeric sets.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"result_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"}))]
pub struct EvaluateRequest {
    result_rating: Option<Rating>,
    behaviour_rating: Option<Rating>,
    skp_score: Option<f64>,
    #[serde(default)]
    indicators: Vec<ScoredIndicator>,
    behaviour_score: Option<f64>,
    #[serde(default)]
    with_peers: bool,
    #[serde(default)]
    new_idea: bool,
}

/// A dry run: computes the predikat and its explanation, stores nothing.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    params(("code" = String, Path, example = "permenpanrb-6-2022", description = "The rule set's code")),
    request_body = EvaluateRequest,
    responses((status = 200, description = "The predikat and why", body = Evaluation), Unauthenticated, NotFound, Invalid)
)]
#[post("/rule-sets/{code}/evaluate")]
pub(super) async fn evaluate_rule_set(
    _caller: Caller,
    path: web::Path<String>,
    body: Json<EvaluateRequest>,
) -> Result<web::Json<Evaluation>, ApiError> {
    let rule_set = rule_set(&path)?;
    let body = body.into_inner();
    let inputs = Inputs {
        result_rating: body.result_rating,
        behaviour_rating: body.behaviour_rating,
        skp_score: body.skp_score,
        indicators: body
            .indicators
            .into_iter()
            .map(|i| i.aspects.into_iter().map(|a| (a.aspect, a.target, a.realization)).collect())
            .collect(),
        behaviour_score: body.behaviour_score,
        with_peers: body.with_peers,
        new_idea: body.new_idea,
    };
    Ok(web::Json(evaluate(rule_set, &inputs)?))
}

//! The catalogue of problem codes: every `code` a problem document of the API can carry, with
//! its status and what it means. Clients switch on these, so a published code never changes;
//! the OpenAPI document lists them as the enum of `Problem.code`, `docs/errors.md` explains
//! them, and each problem's `type` is the URI of its code's section there. Field errors carry
//! their own, finer codes in `errors[].code` (`required`, `too_long`, `out_of_range` …).

/// Where each code is explained: its section in `docs/errors.md`.
pub const TYPE_BASE: &str = "https://github.com/kinerja/kinerja/blob/main/docs/errors.md#";

macro_rules! catalogue {
    ($($variant:ident = $code:literal, $status:literal, $meaning:literal;)*) => {
        /// A problem code (see the module).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemCode { $($variant,)* }

        impl ProblemCode {
            /// Every code, in the catalogue's order.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant,)*];

            /// The code as clients see it.
            pub const fn as_str(self) -> &'static str {
                match self { $(ProblemCode::$variant => $code,)* }
            }

            /// The statuses it comes with.
            pub const fn statuses(self) -> &'static str {
                match self { $(ProblemCode::$variant => $status,)* }
            }

            /// What it means and what the caller can do.
            pub const fn meaning(self) -> &'static str {
                match self { $(ProblemCode::$variant => $meaning,)* }
            }
        }
    };
}

catalogue! {
    // The request as such.
    MalformedJson = "malformed_json", "400", "The body is not valid JSON (a syntax error or a cut-off body). Fix the JSON; `detail` says where.";
    MalformedBody = "malformed_body", "400", "The body could not be read (the connection broke off, or it was sent in an encoding the server does not take).";
    MalformedForm = "malformed_form", "400", "An `application/x-www-form-urlencoded` body (the OAuth2 token request) that does not parse.";
    UploadFailed = "upload_failed", "400", "An import's file broke off or could not be read while it was streamed; send it again (with the same `Idempotency-Key`).";
    UnsupportedMediaType = "unsupported_media_type", "415", "The body is not of a content type the operation takes; `detail` names the one expected.";
    PayloadTooLarge = "payload_too_large", "413", "The body is larger than the operation's limit (1 MiB for JSON; imports: 256 MiB, workbooks 32 MiB).";
    InvalidIdempotencyKey = "invalid_idempotency_key", "400", "The `Idempotency-Key` header is empty, longer than 200 characters or not printable ASCII.";
    MethodNotAllowed = "method_not_allowed", "405", "The path exists but not with this method; `Allow` lists the methods it has.";
    NotFound = "not_found", "404", "No such route, or no such record visible to the caller: a record of another agency answers exactly like one that does not exist.";
    // Who is asking.
    Unauthenticated = "unauthenticated", "401", "No valid access token: none was sent, it expired (15 minutes), or its login ended. Refresh it or log in again.";
    InvalidCredentials = "invalid_credentials", "401", "The username or password is wrong (the same answer for an unknown user).";
    InvalidRefreshToken = "invalid_refresh_token", "401", "The refresh token is unknown, expired, or was used already (a reuse ends its whole login).";
    InvalidClient = "invalid_client", "401", "An integration client's id or secret is wrong, or the client was deleted.";
    Forbidden = "forbidden", "403", "The caller is known but may not do this: their roles, their agency, or their relation to the employee do not allow it; also a browser page from an origin that is not allowed.";
    RateLimited = "rate_limited", "429", "Too many failed logins from this account or address; wait the seconds `Retry-After` says.";
    // What was sent.
    ValidationFailed = "validation_failed", "422", "The request breaks one or more rules; `errors[]` names each field (or query parameter) with its own code and message.";
    UnknownField = "unknown_field", "422", "The JSON body has a field the operation does not take (often a misspelling); `errors[]` names it.";
    UnknownParameter = "unknown_parameter", "422", "The query string has a parameter the operation does not take (often a misspelt filter, which must not be ignored); `errors[]` names each one.";
    MissingField = "missing_field", "422", "A required field of the body, or a required query parameter, is absent; `errors[]` names it.";
    InvalidValue = "invalid_value", "422", "A field or query parameter has a value of the wrong type or an unknown code, or names a record that does not exist; `errors[]` names it where it can.";
    InvalidRows = "invalid_rows", "422", "An import's rows break rules; the answer lists each line, field and code, and nothing was written.";
    IdempotencyKeyReused = "idempotency_key_reused", "422", "The `Idempotency-Key` was used for another request; a new request needs a new key.";
    IdempotencyKeyInUse = "idempotency_key_in_use", "409", "The first request with this `Idempotency-Key` is still running; retry after it finishes to get its answer.";
    PreconditionFailed = "precondition_failed", "412", "`If-Match` names a version that is no longer current: read the resource again, then decide.";
    // Records that must be unique.
    Conflict = "conflict", "409", "The write conflicts with a record that exists (a unique value taken).";
    DuplicateCode = "duplicate_code", "409", "Another record of the agency has this code.";
    DuplicateNip = "duplicate_nip", "409", "An employee with this NIP exists.";
    DuplicateUsername = "duplicate_username", "409", "A user with this username exists.";
    DuplicatePlan = "duplicate_plan", "409", "The employee has a plan (SKP) for this period already.";
    DuplicateEvaluation = "duplicate_evaluation", "409", "This evaluation of the plan exists already.";
    AssessmentExists = "assessment_exists", "409", "Two assessments of the same employee by the same assessor in the same period were recorded at once; send it again to replace the one recorded.";
    EmployeeAlreadyLinked = "employee_already_linked", "409", "Another user account is linked to this employee.";
    // The state of the appraisal.
    InvalidTransition = "invalid_transition", "409", "The plan is not in a status this step starts from (submit a draft, approve a submitted plan …).";
    PeriodClosed = "period_closed", "409", "The period is closed: its plans, ratings and assessments no longer change (an agency admin may reopen it).";
    PeriodInUse = "period_in_use", "409", "The period has plans, so it cannot be deleted or have its rule set changed.";
    DeadlinePassed = "deadline_passed", "422", "A time limit of the regulation has passed (e.g. the 14 days for an objection).";
    EmptyPlan = "empty_plan", "409", "A plan without work results cannot be submitted.";
    ResultHasCascades = "result_has_cascades", "409", "Work results of subordinates are cascaded from this one; remove or move those first.";
    AlreadyRated = "already_rated", "409", "The rating is set; change it through calibration or an objection.";
    NotRated = "not_rated", "409", "The plan has no annual rating yet (to calibrate, say).";
    OrganisationRatingMissing = "organisation_rating_missing", "409", "The unit's organisation rating (predikat kinerja organisasi) must be set first: the curve depends on it.";
    Superseded = "superseded", "409", "The record belongs to a superseded revision of the plan and is kept as history; act on the current revision.";
    ObjectionExists = "objection_exists", "409", "The rating already has an objection (keberatan); its decision is final.";
    ObjectionFiled = "objection_filed", "409", "An objection to this rating is pending; the rating waits for its decision.";
    ObjectionDecided = "objection_decided", "409", "The objection is decided; the decision is final.";
    ExplanationsMissing = "explanations_missing", "409", "A decision needs the explanations it lists first.";
    OwnCase = "own_case", "409, 422", "Someone would judge their own case (the rated employee as rater or decider).";
    NoCompetencyStandard = "no_competency_standard", "422", "The position has no competency standard, so there is no gap or job-person match to compute.";
    UnitNotEmpty = "unit_not_empty", "409", "The unit still has sub-units, positions or employees.";
    NotExportable = "not_exportable", "422", "The period cannot be exported in the national codes: it uses another rule set than PermenPANRB 6/2022.";
    DeliveryPending = "delivery_pending", "409", "The webhook delivery is still being tried; redeliver after it ends.";
    // The server.
    DatabaseUnavailable = "database_unavailable", "503", "The database is unavailable or a statement ran past its limit; retry after `Retry-After` seconds.";
    RequestTimedOut = "request_timed_out", "503", "The request ran past the server's deadline and was stopped; a write may or may not have been made — read before trying again, or retry with the same `Idempotency-Key`.";
    ImportTimedOut = "import_timed_out", "503", "An import ran past its time limit (60 s plus 1 s per MB) and nothing was written; import a smaller file or retry later.";
    InternalError = "internal_error", "500", "A fault of the server; `x-request-id` finds it in the server's log.";
}

impl ProblemCode {
    /// The problem `type`: the URI of the code's section in `docs/errors.md`.
    pub fn type_uri(self) -> String {
        format!("{TYPE_BASE}{}", self.as_str())
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `docs/errors.md`: the catalogue for people, one section per code.
pub fn errors_markdown() -> String {
    let mut out = String::from(
        "# Problem codes\n\n\
         Every error of the API is an RFC 9457 problem document (`application/problem+json`):\n\
         `type` (this page's section for the code), `title`, `status`, `detail` (words for\n\
         people), `code` (one of those below; switch on it) and, for errors in what was sent,\n\
         `errors[]`, each naming the `field` (a body field like `indicators[0].target`, or a\n\
         query parameter) with a finer `code` and a `message`. A published code never changes.\n\
         The token endpoint (`POST /api/v1/auth/token`) answers errors as OAuth2 does instead\n\
         (RFC 6749 §5.2: `{\"error\": \"invalid_client\"}`).\n\n\
         This page is generated from `crates/kinerja-api/src/http/problem_code.rs`\n\
         (`UPDATE_OPENAPI=1 cargo test --test api openapi` writes it).\n\n\
         | code | status |\n|---|---|\n",
    );
    for code in ProblemCode::ALL {
        out.push_str(&format!("| [`{}`](#{}) | {} |\n", code, code.as_str(), code.statuses()));
    }
    for code in ProblemCode::ALL {
        out.push_str(&format!("\n## {}\n\n{} — {}\n", code.as_str(), code.statuses(), code.meaning()));
    }
    out
}

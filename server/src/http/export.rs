//! `GET /explore.csv`: the Explore table exactly as shown, for a signed-in person.

use crate::state::AppState;
use app::explore_state::ExploreState;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

/// Answers the CSV of the Explore view the query describes.
pub async fn explore_csv(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    if accounts::current_person(&state.store, &session).await.is_none() {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    }
    let view = ExploreState::from_params(&params);
    match app::pages::attribution::explore::load(&state.store, &state.invoices, view).await {
        Ok(data) => {
            let body = app::explore_state::csv(&data.dims, &data.rows);
            let name = format!("bursar-{}-{}.csv", data.dims.join("-"), data.from.format("%Y%m%d"));
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "CSV export failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "the export failed; the server log has the details").into_response()
        }
    }
}

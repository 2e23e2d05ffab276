//! The authorisation matrix on Postgres, in a process of its own.
//!
//! Run inside the `it` binary, after other tests' runtimes had come and gone,
//! this case occasionally never finished (about one run in three); run alone
//! it always passes. Until that interaction is understood it runs here, and a
//! hang fails the run after three minutes rather than stalling it.

#[path = "it/helpers.rs"]
#[expect(dead_code, reason = "the helpers are shared with the it binary, which uses the rest")]
mod helpers;
#[path = "it/matrix.rs"]
mod matrix;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorisation_matrix_on_postgres() {
    if let Some(app) = helpers::TestApp::postgres("authorisation_matrix").await {
        tokio::time::timeout(std::time::Duration::from_secs(180), matrix::matrix(&app))
            .await
            .expect("the authorisation matrix on Postgres did not finish within 3 minutes");
        app.finish().await;
    }
}

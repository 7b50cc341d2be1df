//! `POST /api/auth/signup`, `/login`, `/logout` and `GET /api/auth/me`.
use super::body::JsonBody;
use crate::model::auth::CurrentUser;
use crate::model::error::AppError;
use crate::server::accounts::{self, SignupInput};
use crate::server::auth::{
    cleared_session_cookie, cookie, device_cookie, session_cookie, session_token, Caller,
};
use crate::server::client_ip;
use crate::server::sign_in_guard::DEVICE_COOKIE;
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/signup", post(signup))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
}

#[derive(Deserialize)]
struct SignupBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    workspace: String,
}

#[derive(Deserialize)]
struct LoginBody {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn signed_in(state: &AppState, status: StatusCode, session: accounts::Session) -> Response {
    let mut response = (status, Json(serde_json::json!({ "user": session.user }))).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(state, &session.token));
    if let Some(device) = &session.device {
        response
            .headers_mut()
            .append(header::SET_COOKIE, device_cookie(state, device));
    }
    response
}

fn ip_of(state: &AppState, parts: &Parts) -> Option<std::net::IpAddr> {
    client_ip::of_request(
        &parts.headers,
        &parts.extensions,
        &state.settings.limits.trusted_proxies,
    )
}

async fn signup(
    State(state): State<AppState>,
    parts: Parts,
    JsonBody(body): JsonBody<SignupBody>,
) -> Result<Response, AppError> {
    let input = SignupInput {
        name: &body.name,
        email: &body.email,
        password: &body.password,
        workspace: &body.workspace,
    };
    let session = accounts::signup(&state, input, ip_of(&state, &parts)).await?;
    Ok(signed_in(&state, StatusCode::CREATED, session))
}

async fn login(
    State(state): State<AppState>,
    parts: Parts,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, AppError> {
    let knock = accounts::Knock {
        ip: ip_of(&state, &parts),
        device_cookie: cookie(&parts.headers, DEVICE_COOKIE),
    };
    let session = accounts::login(&state, &body.email, &body.password, knock).await?;
    Ok(signed_in(&state, StatusCode::OK, session))
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(token) = session_token(&headers) {
        accounts::logout(&state, token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cleared_session_cookie(&state));
    Ok(response)
}

async fn me(caller: Caller) -> Json<serde_json::Value> {
    let user: CurrentUser = caller.user;
    Json(serde_json::json!({ "user": user }))
}

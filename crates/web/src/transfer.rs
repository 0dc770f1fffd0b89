//! Catalog files on the web: a CSV import that shows its dry run (every change, row by
//! row) before anything is recorded, then records all rows or none; and CSV export of
//! items and units. The file is read by `tagstation_ops::files` and planned by
//! `tagstation_ops::bulk`, exactly as the station's `import` and `export` commands do,
//! so a file exported anywhere imports anywhere.

use std::sync::Arc;

use askama::Template;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::actions::op;
use crate::pages::read;
use crate::session::{Me, Signed};
use crate::signin::render;
use crate::WebError;
use tagstation_core::people::Role;
use tagstation_hub::server::AppState;
use tagstation_hub::views;
use tagstation_ops::bulk::{self, Options, Plan, Quantities};
use tagstation_ops::files;

/// The largest catalog file the web takes (about 50,000 rows of a typical export).
pub const IMPORT_MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    me: Option<Me>,
    /// What a dry run would do, or what the import did.
    plan: Option<Plan>,
    /// The import was recorded (not a dry run).
    done: bool,
    /// Why the file cannot be imported; nothing was changed.
    error: Option<String>,
    /// The file's text, carried from the preview to the import.
    csv: String,
    add: bool,
    create_locations: bool,
}

impl ImportPage {
    fn new(me: Me) -> ImportPage {
        ImportPage {
            me: Some(me),
            plan: None,
            done: false,
            error: None,
            csv: String::new(),
            add: false,
            create_locations: false,
        }
    }
}

pub async fn import_form(signed: Signed) -> Result<Response, WebError> {
    Ok(render(ImportPage::new(signed.me())))
}

fn too_large() -> WebError {
    WebError::TooLarge(format!(
        "The file is larger than {} MB, the most an import takes. Nothing was imported. Split it into smaller files, or import it at a station with `tagstation import`.",
        IMPORT_MAX_BYTES / (1024 * 1024)
    ))
}

/// The form's fields: the file (or the text carried from a preview), the mode, and
/// whether to record.
#[derive(Default)]
struct Upload {
    csrf: String,
    text: Option<String>,
    add: bool,
    create_locations: bool,
    import: bool,
}

async fn upload(mut form: Multipart) -> Result<Upload, WebError> {
    let mut up = Upload::default();
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            WebError::BadRequest(format!("The upload did not arrive whole ({e}); try again."))
        }
    };
    while let Some(field) = form.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field.bytes().await.map_err(failed)?;
        let text = || {
            String::from_utf8(bytes.to_vec()).map_err(|_| {
                WebError::BadRequest(
                    "The file is not UTF-8 text. Save it from the spreadsheet as “CSV UTF-8” and try again; nothing was imported.".into(),
                )
            })
        };
        match name.as_str() {
            "csrf" => up.csrf = text()?,
            "file" | "csv" if !bytes.is_empty() && up.text.is_none() => up.text = Some(text()?),
            "mode" => up.add = text()? == "add",
            "create_locations" => up.create_locations = true,
            "step" => up.import = text()? == "import",
            _ => {}
        }
    }
    Ok(up)
}

/// Preview (a dry run) or record an uploaded catalog file.
pub async fn import(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    // The role first: nobody else's upload is read. The CSRF token is inside it.
    signed.require(Role::Admin)?;
    let form = form.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            WebError::BadRequest(format!("This form did not arrive as a file upload: {e}"))
        }
    })?;
    let up = upload(form).await?;
    signed.may_post(&up.csrf, Role::Admin)?;
    let mut page = ImportPage::new(signed.me());
    page.add = up.add;
    page.create_locations = up.create_locations;
    let Some(text) = up.text else {
        page.error = Some("Choose a CSV file to import.".into());
        return Ok((StatusCode::BAD_REQUEST, render(page)).into_response());
    };
    let rows = match files::read_rows(text.as_bytes()) {
        Ok(rows) => rows,
        Err(e) => {
            tracing::info!(error = %e, "web import refused: the file");
            page.error = Some(format!("{e}. Nothing was imported."));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)).into_response());
        }
    };
    let opts = Options {
        mode: if up.add {
            Quantities::Add
        } else {
            Quantities::Set
        },
        create_locations: up.create_locations,
    };
    let actor = signed.actor();
    let record = up.import;
    let done = op(&st, move |l| {
        Ok(if record {
            bulk::import(l, rows, opts, &actor)
        } else {
            bulk::dry_run(l, rows, opts, &actor)
        })
    })
    .await?;
    match done {
        Ok(plan) => {
            if record {
                tracing::info!(rows = plan.rows, by = %signed.person.id, "catalog imported on the web");
            }
            page.plan = Some(plan);
            page.done = record;
            page.csv = text;
            Ok(render(page).into_response())
        }
        Err(e) => {
            tracing::info!(error = %e, "web import refused: a row");
            page.error = Some(format!("{e}. Nothing was imported."));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)).into_response())
        }
    }
}

fn csv_download(name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn written(e: files::CsvError) -> WebError {
    WebError::Internal(format!("export: {e}"))
}

/// Every item, with its totals, as CSV.
pub async fn export_items(
    State(st): State<Arc<AppState>>,
    _signed: Signed,
) -> Result<Response, WebError> {
    let items = read(&st, views::items).await?;
    let mut out = Vec::new();
    files::write_items(&items, &mut out).map_err(written)?;
    Ok(csv_download("items.csv", out))
}

/// Every unit in use, in the columns an import reads back.
pub async fn export_units(
    State(st): State<Arc<AppState>>,
    _signed: Signed,
) -> Result<Response, WebError> {
    let units = read(&st, |c| views::units(c, None)).await?;
    let mut out = Vec::new();
    files::write_units(&units, &mut out).map_err(written)?;
    Ok(csv_download("units.csv", out))
}

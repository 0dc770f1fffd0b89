//! "Print labels": a PDF of labels (`tagstation-labels`, as the station's `labels`
//! command makes them) for a whole item's tagged units, chosen units, the locations or
//! people's badges, read from the hub.
//!
//! `GET /labels.pdf?item=ID`, `?unit=ID&unit=ID…`, `?kit=ID`, `?kits=all`,
//! `?locations=all` or `?people=all`,
//! with `layout` (default L7651), `code` (qr, datamatrix, code128; default qr) and
//! `start` (labels to skip on a half-used sheet; default 0). Any signed-in person may
//! print units and locations; badges, like the people page, need an admin. What cannot
//! be printed (a tag too long for the code and size, nothing tagged) is an error page
//! saying why, and no PDF.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::pages::read;
use crate::session::Signed;
use crate::{parse_id, WebError};
use tagstation_core::catalog::Tracking;
use tagstation_core::people::Role;
use tagstation_hub::server::AppState;
use tagstation_hub::tables::{select_items, select_locations, select_people, select_units};
use tagstation_hub::views;
use tagstation_labels::{LabelError, Layout, Options, Subject, Symbology};

/// What to label, from the query.
enum What {
    Item(uuid::Uuid),
    Units(Vec<uuid::Uuid>),
    /// One kit (`Some`), or every active kit with a tag.
    Kits(Option<uuid::Uuid>),
    Locations,
    People,
}

struct Request {
    what: What,
    opts: Options,
}

fn bad(e: LabelError) -> WebError {
    WebError::BadRequest(e.to_string())
}

fn request(q: &[(String, String)]) -> Result<Request, WebError> {
    let one = |key: &str| {
        q.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let layout = Layout::find(one("layout").unwrap_or("l7651")).map_err(bad)?;
    let code: Symbology = one("code").unwrap_or("qr").parse().map_err(bad)?;
    let start = match one("start") {
        None => 0,
        Some(s) => s.parse().map_err(|_| {
            WebError::BadRequest(format!(
                "the start position {s:?} is not a number of labels to skip"
            ))
        })?,
    };
    let units: Vec<&str> = q
        .iter()
        .filter(|(k, _)| k == "unit")
        .map(|(_, v)| v.as_str())
        .collect();
    let what = if let Some(item) = one("item") {
        What::Item(parse_id(item, "item")?)
    } else if !units.is_empty() {
        What::Units(
            units
                .iter()
                .map(|u| parse_id(u, "unit"))
                .collect::<Result<_, _>>()?,
        )
    } else if let Some(kit) = one("kit") {
        What::Kits(Some(parse_id(kit, "kit")?))
    } else if one("kits").is_some() {
        What::Kits(None)
    } else if one("locations").is_some() {
        What::Locations
    } else if one("people").is_some() {
        What::People
    } else {
        return Err(WebError::BadRequest(
            "say what to label: an item, units, a kit, kits=all, locations=all or people=all"
                .into(),
        ));
    };
    let mut opts = Options::new(layout);
    opts.code = code;
    opts.start = start;
    Ok(Request { what, opts })
}

/// The labels' subjects, read from the hub; an unknown item or unit is not found.
async fn subjects(st: &Arc<AppState>, what: What) -> Result<Vec<Subject>, WebError> {
    match what {
        What::Item(id) => {
            let found = read(st, move |c| {
                let Some(item) = select_items(c, "WHERE id = ?1", &[id.into()])?.pop() else {
                    return Ok(None);
                };
                let units = views::units(c, Some(id))?;
                Ok(Some((item, units)))
            })
            .await?;
            let (item, units) = found.ok_or_else(|| WebError::NotFound("no such item".into()))?;
            if item.tracking == Tracking::Count {
                return Err(WebError::Refused(format!(
                    "{} is counted, not tracked by unit: it has no units to label",
                    item.name
                )));
            }
            let tagged: Vec<Subject> = units
                .iter()
                .filter(|u| u.asset_tag.as_deref().is_some_and(|t| !t.trim().is_empty()))
                .map(Subject::from)
                .collect();
            if tagged.is_empty() {
                return Err(WebError::Refused(format!(
                    "{} has no tagged units to label; give its units asset tags first",
                    item.name
                )));
            }
            Ok(tagged)
        }
        What::Units(ids) => {
            let n = ids.len();
            let units = read(st, move |c| {
                let mut found = Vec::new();
                for id in ids {
                    found.extend(select_units(c, "WHERE id = ?1", &[id.into()])?);
                }
                views::unit_views(c, &found)
            })
            .await?;
            if units.len() < n {
                return Err(WebError::NotFound("no such unit".into()));
            }
            Ok(units.iter().map(Subject::from).collect())
        }
        What::Kits(one) => {
            let kits = read(st, move |c| {
                Ok(match one {
                    Some(id) => {
                        tagstation_hub::tables::select_kits(c, "WHERE id = ?1", &[id.to_string()])?
                    }
                    None => tagstation_hub::tables::select_kits(c, "ORDER BY name_key", &[])?,
                })
            })
            .await?;
            if one.is_some() && kits.is_empty() {
                return Err(WebError::NotFound("no such kit".into()));
            }
            let tagged: Vec<Subject> = kits
                .into_iter()
                .filter(|k| k.active)
                .filter_map(|k| {
                    Some(Subject {
                        tag: Some(k.tag.clone()?),
                        item: format!("Kit of {} units", k.units.len()),
                        unit: k.name,
                        fields: Default::default(),
                    })
                })
                .collect();
            if tagged.is_empty() {
                return Err(WebError::Refused(
                    "no kit with a tag to label; give the kit a tag first".into(),
                ));
            }
            Ok(tagged)
        }
        What::Locations => {
            let all = read(st, |c| {
                select_locations(c, "WHERE active = TRUE ORDER BY name_key", &[])
            })
            .await?;
            if all.is_empty() {
                return Err(WebError::Refused("there are no locations to label".into()));
            }
            Ok(all
                .into_iter()
                .map(|l| Subject {
                    tag: Some(l.code.clone().unwrap_or_else(|| l.name.clone())),
                    unit: l.name,
                    item: l.kind.as_str().to_string(),
                    fields: Default::default(),
                })
                .collect())
        }
        What::People => {
            let people = read(st, |c| {
                select_people(
                    c,
                    "WHERE erased = FALSE AND active = TRUE ORDER BY name_key",
                    &[],
                )
            })
            .await?;
            let badged: Vec<Subject> = people
                .into_iter()
                .filter_map(|p| {
                    let badge = p.badges.first()?.clone();
                    Some(Subject {
                        unit: p.name,
                        item: String::new(),
                        tag: Some(badge),
                        fields: Default::default(),
                    })
                })
                .collect();
            if badged.is_empty() {
                return Err(WebError::Refused(
                    "nobody has a badge to label; add badges on the people page".into(),
                ));
            }
            Ok(badged)
        }
    }
}

/// The labels as a PDF to print.
pub async fn labels_pdf(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let req = request(&q)?;
    if matches!(req.what, What::People) {
        signed.require(Role::Admin)?;
    }
    let subjects = subjects(&st, req.what).await?;
    let opts = req.opts;
    let n = subjects.len();
    let pdf = crate::blocking(move || {
        tagstation_labels::pdf(&subjects, &opts).map_err(|e| match e {
            LabelError::UnknownLayout(_)
            | LabelError::UnknownCode(_)
            | LabelError::BadStart { .. } => WebError::BadRequest(e.to_string()),
            _ => WebError::Refused(format!("{e}. No labels were made.")),
        })
    })
    .await?;
    tracing::info!(labels = n, by = %signed.person.id, "labels printed on the web");
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"labels.pdf\"",
            ),
        ],
        pdf,
    )
        .into_response())
}

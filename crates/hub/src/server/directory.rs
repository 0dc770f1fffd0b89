//! The admin routes for people and locations under `/v1/admin/`: list, show (with
//! who has what, or what is there), add, change, erase, import, and the free text
//! left from before people and locations were entities. Every change runs through the
//! operations layer over [`HubLedger`], as the hub's own event.

use super::*;
use crate::ledger::{locations_matching, people_matching};
use crate::tables::{select_locations, select_people, Tables};
use crate::HubLedger;
use tagstation_core::event::{Projection, UnitQuery};
use tagstation_core::people::PersonFields;
use tagstation_core::view::{self, LocationView, PersonView, UnitView};
use tagstation_ops::locations::{self, Adopted, LocationChange, NewLocation};
use tagstation_ops::people::{self, PeopleImported, PersonChange, PersonRow};
use tagstation_ops::{one_of, Actor, OpError};

/// An operation's refusal as the API answers it: the person's words, the right status.
impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        let status = match &e {
            OpError::NotFound { .. } => StatusCode::NOT_FOUND,
            OpError::Ambiguous { .. } => StatusCode::CONFLICT,
            OpError::Storage { .. } => {
                tracing::error!(error = %e, "hub storage error");
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::CONFLICT => "ambiguous",
            StatusCode::SERVICE_UNAVAILABLE => "storage",
            _ => "refused",
        };
        ApiError::new(status, code, e.to_string())
    }
}

/// Run an operation on the hub's ledger on the blocking pool.
async fn op<T: Send + 'static>(
    st: &Arc<AppState>,
    f: impl FnOnce(&mut HubLedger<'_>) -> Result<T, OpError> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(crate::ledger::run(st.store.clone(), f).await?)
}

fn actor(a: Option<String>) -> Actor {
    Actor::new(a.unwrap_or_else(|| "hub-admin".into()))
}

/// One person as the admin API shows it, with who has what.
#[derive(Debug, Serialize, Deserialize)]
pub struct PersonShown {
    pub person: PersonView,
    pub checked_out: Vec<UnitView>,
}

/// One location as the admin API shows it, with the units there.
#[derive(Debug, Serialize, Deserialize)]
pub struct LocationShown {
    pub location: LocationView,
    pub units: Vec<UnitView>,
}

fn person_shown(c: &mut dyn db::Conn, reference: &str) -> Result<PersonShown, ApiError> {
    let found = people_matching(c, reference)?;
    let p = one_of("person", reference, found, |p| p.name.clone())?;
    let mut t = Tables::new(c);
    let person = view::person_view(&mut t, &p)?;
    let held = t.units_where(&UnitQuery::HeldBy(p.id))?;
    let checked_out = held
        .iter()
        .map(|u| view::unit_view(&mut t, u))
        .collect::<Result<_, _>>()?;
    Ok(PersonShown {
        person,
        checked_out,
    })
}

fn location_shown(c: &mut dyn db::Conn, reference: &str) -> Result<LocationShown, ApiError> {
    let found = locations_matching(c, reference)?;
    let l = one_of("location", reference, found, |l| l.name.clone())?;
    let mut t = Tables::new(c);
    let location = view::location_view(&mut t, &l)?;
    let units = t
        .units_where(&UnitQuery::At(l.id))?
        .iter()
        .map(|u| view::unit_view(&mut t, u))
        .collect::<Result<_, _>>()?;
    Ok(LocationShown { location, units })
}

/// Read on the blocking pool, with API errors.
async fn read_api<T: Send + 'static>(
    st: &Arc<AppState>,
    f: impl FnOnce(&mut dyn db::Conn) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = st.store.clone();
    let run = move || {
        let mut out: Option<Result<T, ApiError>> = None;
        let mut f = Some(f);
        store.read_with(&mut |c| {
            if let Some(f) = f.take() {
                out = Some(f(c));
            }
            Ok(())
        })?;
        Ok::<_, HubError>(out)
    };
    match tokio::task::spawn_blocking(run).await {
        Ok(Ok(Some(r))) => r,
        Ok(Ok(None)) => Err(HubError::Task("a read returned nothing".into()).into()),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(HubError::Task(e.to_string()).into()),
    }
}

pub(super) async fn list_people(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<PersonView>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    Ok(Json(
        read_api(&st, |c| {
            let all = select_people(c, "ORDER BY name_key", &[])?;
            let mut t = Tables::new(c);
            Ok(all
                .iter()
                .map(|p| view::person_view(&mut t, p))
                .collect::<Result<_, _>>()?)
        })
        .await?,
    ))
}

pub(super) async fn show_person(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(person): Path<String>,
) -> ApiResult<PersonShown> {
    admin_auth(&st, addr.ip(), &headers).await?;
    Ok(Json(
        read_api(&st, move |c| person_shown(c, &person)).await?,
    ))
}

/// `POST /v1/admin/people`: add a person.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    #[serde(flatten)]
    pub fields: PersonFields,
    #[serde(default)]
    pub actor: Option<String>,
}

pub(super) async fn add_person(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<NewPerson>, JsonRejection>,
) -> Result<(StatusCode, Json<PersonShown>), ApiError> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let Json(req) = body?;
    let who = actor(req.actor);
    let p = op(&st, move |l| people::add_person(l, req.fields, &who)).await?;
    tracing::info!(person = %p.id, "person added");
    let id = p.id.to_string();
    let shown = read_api(&st, move |c| person_shown(c, &id)).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// `POST /v1/admin/people/{person}`: change a person.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePerson {
    #[serde(flatten)]
    pub change: PersonChange,
    #[serde(default)]
    pub actor: Option<String>,
}

pub(super) async fn edit_person(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(person): Path<String>,
    body: Result<Json<ChangePerson>, JsonRejection>,
) -> ApiResult<PersonShown> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let Json(req) = body?;
    let who = actor(req.actor);
    let p = op(&st, move |l| {
        people::edit_person(l, &person, &req.change, &who)
    })
    .await?;
    let id = p.id.to_string();
    Ok(Json(read_api(&st, move |c| person_shown(c, &id)).await?))
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActorOnly {
    pub actor: Option<String>,
}

pub(super) async fn erase_person(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(person): Path<String>,
    body: Option<Json<ActorOnly>>,
) -> ApiResult<serde_json::Value> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let who = actor(body.and_then(|b| b.0.actor));
    let alias = op(&st, move |l| people::erase_person(l, &person, &who)).await?;
    tracing::info!(%alias, "person erased");
    Ok(Json(serde_json::json!({ "erased": alias })))
}

/// `POST /v1/admin/people/import`: people from a station's config or a file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportPeople {
    pub people: Vec<PersonRow>,
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub actor: Option<String>,
}

pub(super) async fn import_people(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<ImportPeople>, JsonRejection>,
) -> ApiResult<PeopleImported> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let Json(req) = body?;
    let who = actor(req.actor);
    let done = op(&st, move |l| {
        people::import_people(l, &req.people, req.dry_run, &who).map_err(|(row, e)| {
            OpError::Invalid {
                user: format!("person {row}: {}", e.user_message()),
                engineer: format!("person {row}: {e}"),
            }
        })
    })
    .await?;
    Ok(Json(done))
}

/// Check-outs whose holder names no person: each holder and how many units.
pub(super) async fn unmatched_holders(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<(String, i64)>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    Ok(Json(
        read_api(&st, |c| {
            c.query(
                "SELECT MIN(holder), COUNT(*) FROM units
                 WHERE active = TRUE AND status = 'checked_out' AND holder_id IS NULL
                 GROUP BY holder_key ORDER BY holder_key",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.text(0)?, r.int(1)?)))
            .collect()
        })
        .await?,
    ))
}

pub(super) async fn list_locations(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Vec<LocationView>> {
    admin_auth(&st, addr.ip(), &headers).await?;
    Ok(Json(
        read_api(&st, |c| {
            let all = select_locations(c, "ORDER BY name_key", &[])?;
            let mut t = Tables::new(c);
            Ok(all
                .iter()
                .map(|l| view::location_view(&mut t, l))
                .collect::<Result<_, _>>()?)
        })
        .await?,
    ))
}

pub(super) async fn show_location(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(location): Path<String>,
) -> ApiResult<LocationShown> {
    admin_auth(&st, addr.ip(), &headers).await?;
    Ok(Json(
        read_api(&st, move |c| location_shown(c, &location)).await?,
    ))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddLocation {
    #[serde(flatten)]
    pub new: NewLocation,
    #[serde(default)]
    pub actor: Option<String>,
}

pub(super) async fn add_location(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<AddLocation>, JsonRejection>,
) -> Result<(StatusCode, Json<LocationShown>), ApiError> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let Json(req) = body?;
    let who = actor(req.actor);
    let l = op(&st, move |l| locations::add_location(l, req.new, &who)).await?;
    let id = l.id.to_string();
    let shown = read_api(&st, move |c| location_shown(c, &id)).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeLocation {
    #[serde(flatten)]
    pub change: LocationChange,
    #[serde(default)]
    pub actor: Option<String>,
}

pub(super) async fn edit_location(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(location): Path<String>,
    body: Result<Json<ChangeLocation>, JsonRejection>,
) -> ApiResult<LocationShown> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let Json(req) = body?;
    let who = actor(req.actor);
    let l = op(&st, move |l| {
        locations::edit_location(l, &location, &req.change, &who)
    })
    .await?;
    let id = l.id.to_string();
    Ok(Json(read_api(&st, move |c| location_shown(c, &id)).await?))
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdoptLocations {
    pub dry_run: bool,
    pub actor: Option<String>,
}

pub(super) async fn adopt_locations(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Option<Json<AdoptLocations>>,
) -> ApiResult<Adopted> {
    admin_auth(&st, addr.ip(), &headers).await?;
    let req = body.map(|b| b.0).unwrap_or_default();
    let who = actor(req.actor);
    Ok(Json(
        op(&st, move |l| locations::adopt(l, req.dry_run, &who)).await?,
    ))
}

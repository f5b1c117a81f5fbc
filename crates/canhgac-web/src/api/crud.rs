//! The bodies of the per-entity list/get/create/update/delete handlers, written once.
//!
//! Each entity module keeps one thin `#[utoipa::path]`-annotated handler per route (the OpenAPI
//! document is generated from those) and forwards to the functions here, which do the same steps
//! in the same order for every entity: role check, paging or input checks, the store call, and
//! the answer (a listing with its `Link` header, the record, 201 with `Location`, or 204).

use std::future::Future;
use std::pin::Pin;

use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Json;
use canhgac_model::{Actor, Id, Page, PageRequest, Scope};
use canhgac_store::Store;
use serde::Serialize;

use super::error::ApiError;
use super::paging::listing;
use super::{created, Created};
use crate::auth::Caller;
use crate::AppState;

/// What a store call returns: the boxed future of the store's async trait methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = canhgac_store::Result<T>> + Send + 'a>>;

/// One kind of record served under `/api/v1/{COLLECTION}`: its types, role rules, checks and
/// store calls. The handlers in [`crud`](self) do the rest.
pub trait Entity {
    /// The collection's path segment, used in `Location` headers.
    const COLLECTION: &'static str;
    /// The record as answered.
    type Record: Serialize + Send + 'static;
    /// What `PUT` (and, for [`Create`], `POST`) reads.
    type Input: Send + 'static;
    /// The listing's query string.
    type Query: Send + 'static;
    /// The store's filter of a listing.
    type Filter: Send + Sync + 'static;

    /// The record's id.
    fn id(record: &Self::Record) -> Id;

    /// Fails unless the caller may read these records (everyone, unless overridden).
    fn may_read(_caller: &Caller) -> Result<(), ApiError> {
        Ok(())
    }

    /// Fails unless the caller may change these records.
    fn may_write(caller: &Caller) -> Result<(), ApiError>;

    /// Checks the listing query: the page request and the store filter.
    fn paging(query: Self::Query) -> Result<(PageRequest, Self::Filter), ApiError>;

    /// Checks (and normalises) an input before it is stored.
    fn check(input: &mut Self::Input) -> Result<(), ApiError>;

    /// Further rules of a change to record `id` by `caller`, after [`Entity::check`].
    fn check_update(_caller: &Caller, _id: Id, _input: &Self::Input) -> Result<(), ApiError> {
        Ok(())
    }

    /// Further rules of deleting record `id` by `caller`.
    fn check_delete(_caller: &Caller, _id: Id) -> Result<(), ApiError> {
        Ok(())
    }

    /// A page of the records in `scope`.
    fn list<'a>(
        store: &'a dyn Store,
        scope: &'a Scope,
        filter: &'a Self::Filter,
        page: &'a PageRequest,
    ) -> StoreFuture<'a, Page<Self::Record>>;

    /// The record `id`, not found when outside `scope`.
    fn get<'a>(store: &'a dyn Store, scope: &'a Scope, id: Id) -> StoreFuture<'a, Self::Record>;

    /// Stores the change of record `id`.
    fn update<'a>(
        store: &'a dyn Store,
        actor: &'a Actor,
        id: Id,
        input: Self::Input,
    ) -> StoreFuture<'a, Self::Record>;

    /// Deletes record `id`.
    fn delete<'a>(store: &'a dyn Store, actor: &'a Actor, id: Id) -> StoreFuture<'a, ()>;
}

/// An [`Entity`] created straight from its [`Entity::Input`].
pub trait Create: Entity {
    /// Stores a new record.
    fn create<'a>(
        store: &'a dyn Store,
        actor: &'a Actor,
        input: Self::Input,
    ) -> StoreFuture<'a, Self::Record>;
}

/// Writes an [`Entity`]'s store calls (inside its `impl`) from the names of the store's methods,
/// which differ between entities only in name and in whether reads take the caller's scope:
/// `scoped: list, get, update, delete` for unit-scoped records, `unscoped: ...` for shared ones,
/// and `create: name` inside an `impl` [`Create`].
macro_rules! store_calls {
    (scoped: $list:ident, $get:ident, $update:ident, $delete:ident) => {
        fn list<'a>(
            store: &'a dyn ::canhgac_store::Store,
            scope: &'a ::canhgac_model::Scope,
            filter: &'a Self::Filter,
            page: &'a ::canhgac_model::PageRequest,
        ) -> $crate::api::crud::StoreFuture<'a, ::canhgac_model::Page<Self::Record>> {
            store.$list(scope, filter, page)
        }

        fn get<'a>(
            store: &'a dyn ::canhgac_store::Store,
            scope: &'a ::canhgac_model::Scope,
            id: ::canhgac_model::Id,
        ) -> $crate::api::crud::StoreFuture<'a, Self::Record> {
            store.$get(scope, id)
        }

        $crate::api::crud::store_calls!(writes: $update, $delete);
    };
    (unscoped: $list:ident, $get:ident, $update:ident, $delete:ident) => {
        fn list<'a>(
            store: &'a dyn ::canhgac_store::Store,
            _scope: &'a ::canhgac_model::Scope,
            _filter: &'a Self::Filter,
            page: &'a ::canhgac_model::PageRequest,
        ) -> $crate::api::crud::StoreFuture<'a, ::canhgac_model::Page<Self::Record>> {
            store.$list(page)
        }

        fn get<'a>(
            store: &'a dyn ::canhgac_store::Store,
            _scope: &'a ::canhgac_model::Scope,
            id: ::canhgac_model::Id,
        ) -> $crate::api::crud::StoreFuture<'a, Self::Record> {
            store.$get(id)
        }

        $crate::api::crud::store_calls!(writes: $update, $delete);
    };
    (writes: $update:ident, $delete:ident) => {
        fn update<'a>(
            store: &'a dyn ::canhgac_store::Store,
            actor: &'a ::canhgac_model::Actor,
            id: ::canhgac_model::Id,
            input: Self::Input,
        ) -> $crate::api::crud::StoreFuture<'a, Self::Record> {
            store.$update(actor, id, input)
        }

        fn delete<'a>(
            store: &'a dyn ::canhgac_store::Store,
            actor: &'a ::canhgac_model::Actor,
            id: ::canhgac_model::Id,
        ) -> $crate::api::crud::StoreFuture<'a, ()> {
            store.$delete(actor, id)
        }
    };
    (create: $create:ident) => {
        fn create<'a>(
            store: &'a dyn ::canhgac_store::Store,
            actor: &'a ::canhgac_model::Actor,
            input: Self::Input,
        ) -> $crate::api::crud::StoreFuture<'a, Self::Record> {
            store.$create(actor, input)
        }
    };
}
pub(crate) use store_calls;

/// `GET /{collection}`: a page of records with its `Link` header.
pub async fn list<E: Entity>(
    state: &AppState,
    caller: &Caller,
    uri: &Uri,
    query: E::Query,
) -> Result<Response, ApiError> {
    E::may_read(caller)?;
    let (page, filter) = E::paging(query)?;
    let scope = caller.scope();
    let records = E::list(state.store.as_ref(), &scope, &filter, &page).await?;
    Ok(listing(uri, records))
}

/// `GET /{collection}/{id}`.
pub async fn get<E: Entity>(
    state: &AppState,
    caller: &Caller,
    id: Id,
) -> Result<Json<E::Record>, ApiError> {
    E::may_read(caller)?;
    let scope = caller.scope();
    Ok(Json(E::get(state.store.as_ref(), &scope, id).await?))
}

/// `POST /{collection}`: 201 with the new record and its `Location`.
pub async fn create<E: Create>(
    state: &AppState,
    caller: &Caller,
    mut input: E::Input,
) -> Result<Created<E::Record>, ApiError> {
    E::may_write(caller)?;
    E::check(&mut input)?;
    let actor = caller.actor();
    let record = E::create(state.store.as_ref(), &actor, input).await?;
    Ok(created(E::COLLECTION, E::id(&record), record))
}

/// `PUT /{collection}/{id}`: the changed record.
pub async fn update<E: Entity>(
    state: &AppState,
    caller: &Caller,
    id: Id,
    mut input: E::Input,
) -> Result<Json<E::Record>, ApiError> {
    E::may_write(caller)?;
    E::check(&mut input)?;
    E::check_update(caller, id, &input)?;
    let actor = caller.actor();
    Ok(Json(
        E::update(state.store.as_ref(), &actor, id, input).await?,
    ))
}

/// `DELETE /{collection}/{id}`: 204.
pub async fn delete<E: Entity>(
    state: &AppState,
    caller: &Caller,
    id: Id,
) -> Result<StatusCode, ApiError> {
    E::may_write(caller)?;
    E::check_delete(caller, id)?;
    let actor = caller.actor();
    E::delete(state.store.as_ref(), &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

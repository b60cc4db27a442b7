//! The portal's web pages for people, under `/portal`.

use poem::{Route, get};
use porthole_app::Porthole;

use crate::HttpSettings;

/// Every page under `/portal`.
pub(crate) fn routes(_app: Porthole, _settings: &HttpSettings) -> Route {
    Route::new().at("/login", get(crate::site::portal_login))
}

//! HTTP tests of the whole site, on mocked ports. One test binary, so the
//! site is linked once.

mod fixtures;
mod notifications;
mod openapi;
mod pages;
mod portal;
mod share_links;
mod share_pages;
mod site;
mod staff_api;
mod support;
mod tracking_users;

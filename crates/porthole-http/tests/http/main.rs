//! HTTP tests of the whole site, on mocked ports. One test binary, so the
//! site is linked once.

mod openapi;
mod site;
mod staff_api;
mod support;

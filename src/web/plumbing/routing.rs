//! One list of routes per area, read twice: [`routes!`] turns an area's list
//! into its `routes(cfg)` for actix and its `route_table()`, the same routes
//! as data (`web::route_table` gathers them for the route-walk test), so a
//! route cannot be served without being listed, nor listed without being served.

/// One route: its method, and its path pattern as actix matches it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: &'static str,
    pub path: String,
}

impl Route {
    /// The same route under a scope's path prefix.
    pub fn under(self, prefix: &str) -> Self {
        Self {
            method: self.method,
            path: format!("{prefix}{}", self.path),
        }
    }
}

/// An area's routes, in the order actix tries them:
///
/// ```ignore
/// routes! {
///     GET "/orgs/{org}/teams" => teams_index,
///     POST "/orgs/{org}/teams" => teams_create,
///     configure members,
/// }
/// ```
///
/// defines `pub fn routes(cfg: &mut web::ServiceConfig)`, which registers each
/// line in turn (`cfg.route(path, web::get().to(handler))`, or
/// `cfg.configure(members::routes)` for a module with a list of its own), and
/// `pub fn route_table() -> Vec<Route>`, the same (method, path) pairs in the
/// same order, a configured module's included. An attribute such as
/// `#[cfg(feature = "bench")]` before a line applies to both.
macro_rules! routes {
    ($($entries:tt)*) => {
        /// This area's routes (its `routes!` list), registered in order.
        pub fn routes(cfg: &mut ::actix_web::web::ServiceConfig) {
            $crate::web::plumbing::routing::register!(cfg; $($entries)*);
        }

        /// This area's routes (its `routes!` list) as (method, path) pairs.
        #[allow(unused_mut, clippy::vec_init_then_push)]
        pub fn route_table() -> ::std::vec::Vec<$crate::web::plumbing::routing::Route> {
            let mut table = ::std::vec::Vec::new();
            $crate::web::plumbing::routing::list!(table; $($entries)*);
            table
        }
    };
}

/// `routes!`'s registration: one `cfg.route` or `cfg.configure` per line.
macro_rules! register {
    ($cfg:ident;) => {};
    ($cfg:ident; $(#[$attr:meta])* configure $($module:ident)::+ $(, $($rest:tt)*)?) => {
        $(#[$attr])*
        $cfg.configure($($module)::+::routes);
        $crate::web::plumbing::routing::register!($cfg; $($($rest)*)?);
    };
    ($cfg:ident; $(#[$attr:meta])* $method:ident $path:literal => $handler:path $(, $($rest:tt)*)?) => {
        $(#[$attr])*
        $cfg.route(
            $path,
            $crate::web::plumbing::routing::method!($method).to($handler),
        );
        $crate::web::plumbing::routing::register!($cfg; $($($rest)*)?);
    };
}

/// `routes!`'s table: one (method, path) per line, a configured module's table
/// in its place.
macro_rules! list {
    ($table:ident;) => {};
    ($table:ident; $(#[$attr:meta])* configure $($module:ident)::+ $(, $($rest:tt)*)?) => {
        $(#[$attr])*
        $table.extend($($module)::+::route_table());
        $crate::web::plumbing::routing::list!($table; $($($rest)*)?);
    };
    ($table:ident; $(#[$attr:meta])* $method:ident $path:literal => $handler:path $(, $($rest:tt)*)?) => {
        $(#[$attr])*
        $table.push($crate::web::plumbing::routing::Route {
            method: stringify!($method),
            path: ::std::string::String::from($path),
        });
        $crate::web::plumbing::routing::list!($table; $($($rest)*)?);
    };
}

/// The route builder of a method: `GET` is `web::get()`; a method not listed
/// here does not compile.
macro_rules! method {
    (GET) => {
        ::actix_web::web::get()
    };
    (POST) => {
        ::actix_web::web::post()
    };
    (PUT) => {
        ::actix_web::web::put()
    };
    (PATCH) => {
        ::actix_web::web::patch()
    };
    (DELETE) => {
        ::actix_web::web::delete()
    };
}

pub(crate) use {list, method, register, routes};

//! JSON request bodies that fail in our error shape and name the field.
//!
//! poem-openapi's own `Json<T>` says only which *type* it could not parse
//! ("Expected input type \"string\", found [5] (occurred while parsing
//! \"ShipmentUpsert\")"), which leaves an integrator guessing among the
//! fields of that type, and it reads a JSON number or boolean where text is
//! expected as that text, so `"user_id": true` would be stored as "true".
//! [`JsonBody`] therefore first walks the raw JSON against the operation's
//! own schema, refusing the first field that does not fit with its name as
//! the caller wrote it (`pol.unlocode`, `events[2].event_id`), and only
//! then lets poem-openapi parse it.

use poem::Request;
use poem::web::RequestBody;
use poem_openapi::impl_apirequest_for_payload;
use poem_openapi::payload::{Json, ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use serde_json::Value;

use crate::error::ApiError;

/// The largest body the API reads. An event batch at its limit of 5,000
/// events stays well below it; anything larger is refused before it fills
/// memory.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = <Json<T> as Payload>::CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        <Json<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = body.take()?.into_bytes_limit(MAX_BODY_BYTES).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request("the request body is empty; send a JSON object", None).into());
        }
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|error| ApiError::bad_request(format!("the request body is not valid JSON: {error}"), None))?;
        if let Some(mismatch) = mismatch_in::<T>(&value) {
            let refusal = match mismatch.field {
                Some(field) => ApiError::bad_request(format!("{field} {}", mismatch.message), Some(field)),
                None => ApiError::bad_request(format!("the request body {}", mismatch.message), None),
            };
            return Err(refusal.into());
        }
        // The walk is at least as strict as poem-openapi for the types our
        // bodies use, so this refusal is a safety net, not a path a caller
        // is expected to meet.
        T::parse_from_json(Some(value))
            .map(Self)
            .map_err(|error| ApiError::bad_request(error.into_message(), None).into())
    }
}

impl_apirequest_for_payload!(JsonBody<T>, T: ParseFromJSON);

/// Where and why a JSON value does not fit a schema. `field` is `None` for
/// the body as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mismatch {
    pub field: Option<String>,
    pub message: String,
}

/// The first place where `value` does not fit the schema of `T`, if any.
pub(crate) fn mismatch_in<T: Type>(value: &Value) -> Option<Mismatch> {
    let mut registry = Registry::new();
    T::register(&mut registry);
    walk(&registry, &T::schema_ref(), value, "")
}

fn walk(registry: &Registry, schema: &MetaSchemaRef, value: &Value, path: &str) -> Option<Mismatch> {
    let schema = resolve(registry, schema)?;
    // A described reference is an inline schema holding the reference in
    // `allOf`: the value must fit each part.
    if let Some(found) = schema.all_of.iter().find_map(|part| walk(registry, part, value, path)) {
        return Some(found);
    }
    let at = |message: String| Some(Mismatch { field: (!path.is_empty()).then(|| path.to_owned()), message });
    match schema.ty {
        "object" => {
            let Value::Object(members) = value else {
                return at(format!("must be a JSON object, not {}", kind(value)));
            };
            let child = |name: &str| if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
            let known = schema.properties.iter().find_map(|(name, property)| {
                let field = child(name);
                match members.get(*name) {
                    None | Some(Value::Null) if schema.required.contains(name) => {
                        Some(Mismatch { field: Some(field), message: "is required".to_owned() })
                    }
                    None | Some(Value::Null) => None,
                    Some(member) => walk(registry, property, member, &field),
                }
            });
            // Input types refuse unknown members, so a misspelled optional
            // field is reported instead of silently clearing a value.
            known.or_else(|| {
                members
                    .keys()
                    .find(|key| !schema.properties.iter().any(|(name, _)| name == key))
                    .map(|key| Mismatch { field: Some(child(key)), message: "is not a known field".to_owned() })
            })
        }
        "array" => {
            let Value::Array(items) = value else {
                return at(format!("must be a JSON array, not {}", kind(value)));
            };
            let item_schema = schema.items.as_deref()?;
            items
                .iter()
                .enumerate()
                .find_map(|(index, item)| walk(registry, item_schema, item, &format!("{path}[{index}]")))
        }
        // Stricter than poem-openapi, which would take a number or boolean
        // as its text.
        "string" if !value.is_string() => at(format!("must be a string, not {}", kind(value))),
        "boolean" if !value.is_boolean() => at(format!("must be true or false, not {}", kind(value))),
        "number" if !value.is_number() => at(format!("must be a number, not {}", kind(value))),
        "integer" => {
            let fits = if schema.format.is_some_and(|format| format.starts_with("uint")) {
                value.as_u64().is_some()
            } else {
                value.as_i64().is_some()
            };
            if fits { None } else { at(format!("must be a whole number, not {}", kind(value))) }
        }
        _ => None,
    }
}

fn resolve<'a>(registry: &'a Registry, schema: &'a MetaSchemaRef) -> Option<&'a MetaSchema> {
    match schema {
        MetaSchemaRef::Inline(schema) => Some(schema),
        MetaSchemaRef::Reference(name) => registry.schemas.get(name),
    }
}

/// How a JSON value reads in a message; never the value itself, which may
/// be large.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "a whole number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::Object;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Object)]
    struct Place {
        code: String,
        name: Option<String>,
    }

    #[derive(Debug, Object)]
    struct Item {
        count: i64,
        weight: f64,
    }

    #[derive(Debug, Object)]
    struct Outer {
        /// Described, so its schema wraps the reference in `allOf`.
        from: Place,
        to: Option<Place>,
        items: Option<Vec<Item>>,
        flag: bool,
    }

    fn field_of(value: Value) -> Option<String> {
        mismatch_in::<Outer>(&value).and_then(|m| m.field)
    }

    fn good() -> Value {
        json!({"from": {"code": "VNSGN"}, "flag": true, "items": [{"count": 1, "weight": 2}]})
    }

    #[test]
    fn a_fitting_value_has_no_mismatch() {
        assert_eq!(mismatch_in::<Outer>(&good()), None);
        assert!(Outer::parse_from_json(Some(good())).is_ok());
    }

    #[test]
    fn names_the_first_field_that_does_not_fit() {
        let mut cases = Vec::new();
        let mut missing = good();
        missing["from"] = json!({});
        cases.push((missing, "from.code"));
        let mut wrong_type = good();
        wrong_type["to"] = json!({"code": ["VNSGN"]});
        cases.push((wrong_type, "to.code"));
        let mut null_required = good();
        null_required["flag"] = Value::Null;
        cases.push((null_required, "flag"));
        let mut bad_item = good();
        bad_item["items"] = json!([{"count": 1, "weight": 1}, {"count": 1.5, "weight": 1}]);
        cases.push((bad_item, "items[1].count"));
        let mut not_array = good();
        not_array["items"] = json!({"count": 1});
        cases.push((not_array, "items"));
        for (value, expected) in cases {
            assert!(Outer::parse_from_json(Some(value.clone())).is_err(), "poem must refuse {value}");
            assert_eq!(field_of(value.clone()).as_deref(), Some(expected), "{value}");
        }
    }

    #[test]
    fn text_fields_refuse_numbers_and_booleans_that_poem_would_take_as_text() {
        let cases = [
            (json!({"code": true}), "from.code", "must be a string, not a boolean"),
            (json!({"code": 12.5}), "from.code", "must be a string, not a number"),
            (json!({"code": 123}), "from.code", "must be a string, not a whole number"),
            (json!({"code": "VNSGN", "name": 42}), "from.name", "must be a string, not a whole number"),
        ];
        for (from, field, message) in cases {
            let mut value = good();
            value["from"] = from;
            assert!(Outer::parse_from_json(Some(value.clone())).is_ok(), "poem alone would take {value}");
            let expected = Mismatch { field: Some(field.to_owned()), message: message.to_owned() };
            assert_eq!(mismatch_in::<Outer>(&value), Some(expected), "{value}");
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_names_no_field() {
        let found = mismatch_in::<Outer>(&json!([1, 2]));
        assert_eq!(found.as_ref().and_then(|m| m.field.clone()), None);
        assert_eq!(found.map(|m| m.message), Some("must be a JSON object, not an array".to_owned()));
    }
}

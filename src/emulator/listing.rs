//! Flow Service list query semantics, shared by every collection:
//! `property` filters (`==`, `!=`, comma = OR, repeated = AND), `orderby`,
//! `limit`, `count` (never with `limit`: `1401-400`) and the opaque
//! continuation token behind `_links.next`.

use serde_json::Value;
use url::form_urlencoded;

use axum::response::Response;

use super::{Shared, lock, problem};

use crate::api::wire::ConnectionItem;

pub(super) const DEFAULT_LIMIT: usize = 100;
pub(super) const MAX_LIMIT: usize = 1000;
/// The properties `/connections` filters on; other collections filter on
/// any dotted path of their items.
pub(super) const CONNECTION_FILTERS: [&str; 4] = ["name", "id", "connectionSpec.id", "state"];

/// What a listing needs from an item.
pub(super) trait Listed {
    /// The values at a dotted property path (several when it crosses an array).
    fn values(&self, property: &str) -> Vec<String>;
    /// Whether any value at `property` is one of `wanted`. Every page of a
    /// listing tests every item of its scope: items that can answer without
    /// collecting their values do.
    fn has_any(&self, property: &str, wanted: &[String]) -> bool {
        let actual = self.values(property);
        wanted.iter().any(|v| actual.contains(v))
    }
    fn name(&self) -> &str;
    fn created_at(&self) -> i64;
}

impl ConnectionItem {
    fn filtered_value(&self, property: &str) -> &str {
        match property {
            "name" => &self.name,
            "id" => &self.id,
            "connectionSpec.id" => &self.connection_spec.id,
            _ => &self.state,
        }
    }
}

impl Listed for ConnectionItem {
    fn values(&self, property: &str) -> Vec<String> {
        vec![self.filtered_value(property).to_owned()]
    }

    fn has_any(&self, property: &str, wanted: &[String]) -> bool {
        let value = self.filtered_value(property);
        wanted.iter().any(|v| v == value)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn created_at(&self) -> i64 {
        self.created_at
    }
}

impl Listed for Value {
    fn values(&self, property: &str) -> Vec<String> {
        let mut found = Vec::new();
        collect(self, &property.split('.').collect::<Vec<_>>(), &mut found);
        found
    }

    fn name(&self) -> &str {
        self.get("name").and_then(Value::as_str).unwrap_or("")
    }

    fn created_at(&self) -> i64 {
        self.get("createdAt").and_then(Value::as_i64).unwrap_or(0)
    }
}

/// Walks `path` into `value`, through arrays, collecting scalars as text.
fn collect(value: &Value, path: &[&str], found: &mut Vec<String>) {
    match (value, path.split_first()) {
        (Value::Array(items), _) => items.iter().for_each(|i| collect(i, path, found)),
        (Value::Object(map), Some((head, rest))) => {
            if let Some(next) = map.get(*head) {
                collect(next, rest, found);
            }
        }
        (Value::String(text), None) => found.push(text.clone()),
        (Value::Null | Value::Object(_), None) => {}
        (other, None) => found.push(other.to_string()),
        (_, Some(_)) => {}
    }
}

struct Filter {
    property: String,
    negated: bool,
    values: Vec<String>,
}

/// A parsed list query.
pub(super) struct Listing {
    filters: Vec<Filter>,
    order: Option<String>,
    pub limit: usize,
    pub count: bool,
    /// The continuation token given, to be resolved to an offset.
    pub continuation: Option<String>,
    /// The query minus the continuation token, to build the next link.
    rest: Vec<(String, String)>,
}

/// Why a list query is refused: the `FLOW-` code and what is wrong.
pub(super) struct Refused {
    pub code: &'static str,
    pub detail: String,
}

impl From<String> for Refused {
    fn from(detail: String) -> Self {
        Refused {
            code: "1400-400",
            detail,
        }
    }
}

/// Parses the raw query string; `filterable` limits the `property` paths
/// (`None`: any). The error names what is wrong.
pub(super) fn parse(query: Option<&str>, filterable: Option<&[&str]>) -> Result<Listing, Refused> {
    let mut listing = Listing {
        filters: Vec::new(),
        order: None,
        limit: DEFAULT_LIMIT,
        count: false,
        continuation: None,
        rest: Vec::new(),
    };
    let mut limit_given = false;
    let mut count_text: Option<String> = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let (key, value) = (key.into_owned(), value.into_owned());
        match key.as_str() {
            "property" => listing.filters.push(parse_filter(&value, filterable)?),
            "orderby" if ["name", "-name", "createdAt", "-createdAt"].contains(&value.as_str()) => {
                listing.order = Some(value.clone());
            }
            "orderby" => {
                return Err(format!(
                    "`orderby={value}` is not valid: expected `name`, `-name` or `createdAt`"
                )
                .into());
            }
            "limit" => match value.parse::<usize>() {
                Ok(limit @ 1..=MAX_LIMIT) => {
                    listing.limit = limit;
                    limit_given = true;
                }
                _ => {
                    return Err(format!(
                        "`limit={value}` is not valid: expected an integer from 1 to {MAX_LIMIT}"
                    )
                    .into());
                }
            },
            "count" => count_text = Some(value.clone()),
            "continuationToken" => {
                listing.continuation = Some(value);
                continue;
            }
            _ => {}
        }
        listing.rest.push((key, value));
    }
    // `count=false` (any case: Adobe's Python client sends `False` with
    // every listing) is no count at all; any other `count` with `limit` is
    // `1401-400`, decided before its spelling is looked at.
    if let Some(text) = count_text {
        let off = text.eq_ignore_ascii_case("false");
        if !off && limit_given {
            return Err(Refused {
                code: "1401-400",
                detail: "`count` cannot be combined with `limit`".into(),
            });
        }
        if !off && !text.eq_ignore_ascii_case("true") {
            return Err(format!("`count={text}` is not valid: expected `true` or `false`").into());
        }
        listing.count = !off;
    }
    Ok(listing)
}

fn parse_filter(text: &str, filterable: Option<&[&str]>) -> Result<Filter, String> {
    let at = [text.find("=="), text.find("!=")]
        .into_iter()
        .flatten()
        .min();
    let Some(at) = at else {
        return Err(format!(
            "`property={text}` is not valid: expected `field==value` or `field!=value`"
        ));
    };
    let property = text[..at].trim().to_owned();
    let known = match filterable {
        Some(allowed) => allowed.contains(&property.as_str()),
        None => !property.is_empty() && property.len() <= 200,
    };
    if !known {
        let expected = filterable.map(|a| a.join(", ")).unwrap_or_default();
        return Err(format!(
            "`property={text}` is not valid: expected one of {expected}"
        ));
    }
    // Adobe's tutorials quote values (`name=="CRMToAEP"`), its client does not.
    let values = text[at + 2..]
        .split(',')
        .map(|v| v.trim().trim_matches('"').to_owned())
        .collect();
    Ok(Filter {
        property,
        negated: &text[at..at + 2] == "!=",
        values,
    })
}

impl Listing {
    /// The matching items in the requested order.
    pub(super) fn select<'a, T: Listed + 'a>(
        &self,
        items: impl IntoIterator<Item = &'a T>,
    ) -> Vec<&'a T> {
        let mut selected: Vec<&T> = items
            .into_iter()
            .filter(|item| self.matches(*item))
            .collect();
        match self.order.as_deref() {
            Some("name") => selected.sort_by(|a, b| a.name().cmp(b.name())),
            Some("-name") => selected.sort_by(|a, b| b.name().cmp(a.name())),
            Some("-createdAt") => selected.sort_by_key(|item| std::cmp::Reverse(item.created_at())),
            _ => selected.sort_by_key(|item| item.created_at()),
        }
        selected
    }

    fn matches<T: Listed>(&self, item: &T) -> bool {
        self.filters
            .iter()
            .all(|filter| item.has_any(&filter.property, &filter.values) != filter.negated)
    }

    /// `_links.next.href` of `/connections` carrying the opaque `token`.
    pub(super) fn next_href(&self, token: &str) -> String {
        self.next_href_of("/connections", token)
    }

    /// `_links.next.href` of `collection` (`/flows`...): the token alone,
    /// which stands for this listing's filters, order and limit.
    pub(super) fn next_href_of(&self, collection: &str, token: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("continuationToken", token);
        format!("{collection}?{}", query.finish())
    }
}

/// What a continuation token stands for: the listing it continues (its
/// query without the token) and where the next page starts.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    offset: usize,
    query: String,
}

/// An opaque token for the page at `offset` of `listing` (remembered, bounded).
pub(crate) fn continuation_token(shared: &Shared, listing: &Listing, offset: usize) -> String {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in &listing.rest {
        query.append_pair(key, value);
    }
    let page = Page {
        offset,
        query: query.finish(),
    };
    let mut pages = lock(&shared.pages);
    if pages.len() >= 100_000 {
        pages.clear();
    }
    pages.insert(token.clone(), page);
    token
}

/// Parses a list query and, when it carries a continuation token, puts
/// back the listing the token continues (its filters, order and limit:
/// next links carry the token alone, as Adobe's Python client expects when
/// it cuts the token out of the link) and the offset it continues at.
pub(crate) fn resolve(
    shared: &Shared,
    query: Option<&str>,
    filterable: Option<&[&str]>,
) -> Result<(Listing, usize), Response> {
    let refused = |r: Refused| problem::flow(400, r.code, "Bad Request", &r.detail);
    let listing = parse(query, filterable).map_err(refused)?;
    let Some(token) = listing.continuation.clone() else {
        return Ok((listing, 0));
    };
    let Some(page) = lock(&shared.pages).get(&token).cloned() else {
        return Err(problem::bad_request(&format!(
            "`continuationToken={token}` is not valid: expected a token from `_links.next`"
        )));
    };
    let mut continued = parse(Some(&page.query), filterable).map_err(refused)?;
    continued.continuation = Some(token);
    Ok((continued, page.offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_limits_above_the_maximum_unknown_properties_and_count_with_limit() {
        let parse = |q| parse(Some(q), Some(&CONNECTION_FILTERS[..]));
        assert!(parse("limit=1001").is_err());
        assert!(parse("property=password==x").is_err());
        assert!(parse("limit=1000&property=name!=a,b&orderby=-name").is_ok());
        assert!(parse("count=true").is_ok());
        assert!(
            parse("count=null").is_err(),
            "schemathesis found `count=null` accepted"
        );
        let refused = parse("count=true&limit=5").err().map(|r| r.code);
        assert_eq!(refused, Some("1401-400"));
    }

    #[test]
    fn count_false_in_any_case_is_no_count_and_limit_wins_over_spelling() {
        let parse = |q| parse(Some(q), None);
        for query in ["count=False&limit=10", "count=false", "count=FALSE&limit=1"] {
            assert!(parse(query).is_ok_and(|l| !l.count), "{query}");
        }
        assert!(parse("count=True").is_ok_and(|l| l.count));
        let code = |q| parse(q).err().map(|r| r.code);
        assert_eq!(code("count=maybe&limit=5"), Some("1401-400"));
        assert_eq!(code("limit=5&count=maybe"), Some("1401-400"));
        assert_eq!(code("count=maybe"), Some("1400-400"));
    }

    #[test]
    fn any_dotted_path_filters_values_and_quotes_are_stripped() {
        let flow = serde_json::json!({"name": "f", "flowSpec": {"id": "s"}, "sourceConnectionIds": ["a", "b"]});
        let items = [flow];
        let pick = |q: &str| {
            parse(Some(q), None)
                .map(|l| l.select(&items).len())
                .unwrap_or(99)
        };
        assert_eq!(pick("property=flowSpec.id==s"), 1);
        assert_eq!(pick("property=sourceConnectionIds==b"), 1);
        assert_eq!(pick("property=name==%22f%22"), 1);
        assert_eq!(pick("property=name!=f"), 0);
    }

    #[test]
    fn next_links_carry_the_token_alone() {
        let listing = parse(
            Some("property=name%3D%3Da&limit=5&continuationToken=t1"),
            Some(&CONNECTION_FILTERS[..]),
        )
        .ok();
        let href = listing
            .as_ref()
            .map(|l| l.next_href("t2"))
            .unwrap_or_default();
        assert_eq!(href, "/connections?continuationToken=t2");
        let rest = listing.map(|l| l.rest).unwrap_or_default();
        assert_eq!(
            rest.len(),
            2,
            "the token remembers the filters and the limit"
        );
    }
}

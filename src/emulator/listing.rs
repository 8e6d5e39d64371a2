//! `GET /connections` query semantics: `property` filters (`==`, `!=`,
//! comma = OR, repeated = AND), `orderby`, `limit`, `count` (never with
//! `limit`: `1401-400`) and the opaque continuation token behind `_links.next`.

use url::form_urlencoded;

use crate::api::wire::ConnectionItem;

pub(super) const DEFAULT_LIMIT: usize = 100;
pub(super) const MAX_LIMIT: usize = 1000;
const FILTERABLE: [&str; 4] = ["name", "id", "connectionSpec.id", "state"];

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

/// Parses the raw query string; the error names what is wrong.
pub(super) fn parse(query: Option<&str>) -> Result<Listing, Refused> {
    let mut listing = Listing {
        filters: Vec::new(),
        order: None,
        limit: DEFAULT_LIMIT,
        count: false,
        continuation: None,
        rest: Vec::new(),
    };
    let mut limit_given = false;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let (key, value) = (key.into_owned(), value.into_owned());
        match key.as_str() {
            "property" => listing.filters.push(parse_filter(&value)?),
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
            "count" => match value.as_str() {
                "true" => listing.count = true,
                "false" => listing.count = false,
                _ => {
                    return Err(format!(
                        "`count={value}` is not valid: expected `true` or `false`"
                    )
                    .into());
                }
            },
            "continuationToken" => {
                listing.continuation = Some(value);
                continue;
            }
            _ => {}
        }
        listing.rest.push((key, value));
    }
    if listing.count && limit_given {
        return Err(Refused {
            code: "1401-400",
            detail: "`count` cannot be combined with `limit`".into(),
        });
    }
    Ok(listing)
}

fn parse_filter(text: &str) -> Result<Filter, String> {
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
    if !FILTERABLE.contains(&property.as_str()) {
        return Err(format!(
            "`property={text}` is not valid: expected one of {}",
            FILTERABLE.join(", ")
        ));
    }
    let values = text[at + 2..].split(',').map(str::to_owned).collect();
    Ok(Filter {
        property,
        negated: &text[at..at + 2] == "!=",
        values,
    })
}

impl Listing {
    /// The matching items in the requested order.
    pub(super) fn select<'a>(&self, items: &'a [ConnectionItem]) -> Vec<&'a ConnectionItem> {
        let mut selected: Vec<&ConnectionItem> =
            items.iter().filter(|item| self.matches(item)).collect();
        match self.order.as_deref() {
            Some("name") => selected.sort_by(|a, b| a.name.cmp(&b.name)),
            Some("-name") => selected.sort_by(|a, b| b.name.cmp(&a.name)),
            Some("-createdAt") => selected.sort_by_key(|item| std::cmp::Reverse(item.created_at)),
            _ => selected.sort_by_key(|item| item.created_at),
        }
        selected
    }

    fn matches(&self, item: &ConnectionItem) -> bool {
        self.filters.iter().all(|filter| {
            let actual = match filter.property.as_str() {
                "name" => &item.name,
                "id" => &item.id,
                "connectionSpec.id" => &item.connection_spec.id,
                _ => &item.state,
            };
            filter.values.iter().any(|v| v == actual) != filter.negated
        })
    }

    /// `_links.next.href` carrying the opaque `token` of the next page.
    pub(super) fn next_href(&self, token: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("continuationToken", token);
        for (key, value) in &self.rest {
            query.append_pair(key, value);
        }
        format!("/connections?{}", query.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_limits_above_the_maximum_unknown_properties_and_count_with_limit() {
        assert!(parse(Some("limit=1001")).is_err());
        assert!(parse(Some("property=password==x")).is_err());
        assert!(parse(Some("limit=1000&property=name!=a,b&orderby=-name")).is_ok());
        assert!(parse(Some("count=true")).is_ok());
        assert!(
            parse(Some("count=null")).is_err(),
            "schemathesis found `count=null` accepted"
        );
        let refused = parse(Some("count=true&limit=5")).err().map(|r| r.code);
        assert_eq!(refused, Some("1401-400"));
    }

    #[test]
    fn next_link_keeps_the_filters() {
        let listing = parse(Some("property=name%3D%3Da&limit=5&continuationToken=t1")).ok();
        let href = listing.map(|l| l.next_href("t2")).unwrap_or_default();
        assert_eq!(
            href,
            "/connections?continuationToken=t2&property=name%3D%3Da&limit=5"
        );
    }
}

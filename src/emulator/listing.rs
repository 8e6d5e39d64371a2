//! `GET /connections` query semantics: `property` filters (`==`, `!=`,
//! comma = OR, repeated = AND), `orderby`, `limit`, `count` and the
//! continuation token behind `_links.next`.

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
    pub offset: usize,
    /// The query minus the continuation token, to build the next link.
    rest: Vec<(String, String)>,
}

/// Parses the raw query string; the error names what is wrong.
pub(super) fn parse(query: Option<&str>) -> Result<Listing, String> {
    let mut listing = Listing {
        filters: Vec::new(),
        order: None,
        limit: DEFAULT_LIMIT,
        count: false,
        offset: 0,
        rest: Vec::new(),
    };
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
                ));
            }
            "limit" => match value.parse::<usize>() {
                Ok(limit @ 1..=MAX_LIMIT) => listing.limit = limit,
                _ => {
                    return Err(format!(
                        "`limit={value}` is not valid: expected an integer from 1 to {MAX_LIMIT}"
                    ));
                }
            },
            "count" => listing.count = value == "true",
            "continuationToken" => {
                listing.offset = value
                    .strip_prefix('c')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("`continuationToken={value}` is not valid"))?;
                continue;
            }
            _ => {}
        }
        listing.rest.push((key, value));
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

    /// `_links.next.href` for the page after `offset + limit`.
    pub(super) fn next_href(&self, next_offset: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("continuationToken", &format!("c{next_offset}"));
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
    fn rejects_limits_above_the_maximum_and_unknown_properties() {
        assert!(parse(Some("limit=1001")).is_err());
        assert!(parse(Some("property=password==x")).is_err());
        assert!(parse(Some("limit=1000&property=name!=a,b&orderby=-name")).is_ok());
    }

    #[test]
    fn next_link_keeps_the_filters() {
        let listing = parse(Some("property=name%3D%3Da&limit=5&continuationToken=c5")).ok();
        let href = listing.map(|l| l.next_href(10)).unwrap_or_default();
        assert_eq!(
            href,
            "/connections?continuationToken=c10&property=name%3D%3Da&limit=5"
        );
    }
}

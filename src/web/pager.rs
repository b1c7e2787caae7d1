//! A list's page links: the first, the last and the pages around this
//! one, each the same search at another page, and "共 N 条".

use super::search::ListQuery;
use crate::app::issues::Page;

/// One page of a list, with its links.
pub struct Pager {
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub links: Vec<PageLink>,
}

pub struct PageLink {
    pub number: u64,
    pub href: String,
    pub current: bool,
    /// A gap (…) before this link.
    pub gap: bool,
}

/// Links to the first, the last, and the pages around this one.
pub fn pager(query: &ListQuery, path: &str, page: Page, total: u64) -> Pager {
    let pages = total.div_ceil(page.per_page).max(1);
    let current = page.number.min(pages);
    let mut links: Vec<PageLink> = Vec::new();
    for n in 1..=pages {
        if n == 1 || n == pages || n.abs_diff(current) <= 2 {
            let gap = links.last().is_some_and(|l| l.number + 1 != n);
            links.push(PageLink { number: n, href: query.href(path, n), current: n == page.number, gap });
        }
    }
    Pager {
        total,
        page: page.number,
        pages,
        prev: (page.number > 1).then(|| query.href(path, (page.number - 1).min(pages))),
        next: (page.number < pages).then(|| query.href(path, page.number + 1)),
        links,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(page: &str) -> ListQuery {
        ListQuery { q: "排口 东岸".into(), unit: "中兴街道".into(), page: page.into(), ..ListQuery::default() }
    }

    #[test]
    fn page_links_show_the_ends_and_the_neighbourhood() {
        let p = pager(&query("7"), "/board", Page { number: 7, per_page: 10 }, 200);
        let numbers: Vec<(u64, bool)> = p.links.iter().map(|l| (l.number, l.gap)).collect();
        assert_eq!(numbers, [(1, false), (5, true), (6, false), (7, false), (8, false), (9, false), (20, true)]);
        assert_eq!((p.pages, p.prev.is_some(), p.next.is_some()), (20, true, true));
        let one = pager(&query(""), "/board", Page { number: 1, per_page: 50 }, 0);
        assert_eq!((one.pages, one.links.len(), one.prev.is_none(), one.next.is_none()), (1, 1, true, true));
    }
}

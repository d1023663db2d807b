//! The Microsoft Graph request that carries out one reassigned user's result row
//! (SPEC.md `graph-requests.jsonl`): the licenses to add, each with its whole list
//! of disabled plans, the licenses to remove, and the url that names the user.
//! Pure functions of the row's data; [`crate::output`] writes the lines.

use std::fmt::Write as _;
use std::ops::Range;

use rustc_hash::FxHashMap as HashMap;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::guid::Guid;

/// A license of the user before or after the move, as a request sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct License<P> {
    pub product: P,
    /// Its SKU id, when one is known (named by the user's Licenses cell, else the
    /// pool's SkuId, else the catalog's only id).
    pub sku: Option<Guid>,
    /// It comes through a group: it is never added or removed directly.
    pub via_group: bool,
}

/// One reassigned user's row, as [`build`] reads it: `P` names a product, `S` a
/// service plan of the catalog (plans it does not know cannot be sent, and are
/// not given).
#[derive(Clone, Copy, Debug)]
pub struct Change<'a, P, S> {
    /// licenses_before, in their order.
    pub before: &'a [License<P>],
    /// licenses_after, in their order; a license held before keeps its group flag.
    pub after: &'a [License<P>],
    /// The user's disabled plans before the move, in users.csv's order.
    pub disabled_before: &'a [S],
    /// disabled_plans after the move, in result.csv's order.
    pub disabled_after: &'a [S],
}

/// What the catalog tells a request about service plans.
pub trait ServicePlans<P, S> {
    /// Whether `product` contains `plan`.
    fn contains(&self, product: P, plan: S) -> bool;
    /// The plan's id, as Graph's `disabledPlans` wants it.
    fn id(&self, plan: S) -> Guid;
}

/// A request's lists, reused from user to user: a million requests allocate
/// next to nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Request {
    /// SKU id of each license to add, and its disabled plans in `plans`.
    add: Vec<(Guid, Range<usize>)>,
    plans: Vec<Guid>,
    remove: Vec<Guid>,
    before: Vec<Guid>,
    after: Vec<Guid>,
}

/// What [`build`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Built<P> {
    /// The request is in the [`Request`].
    Request,
    /// Nothing changes in Microsoft 365: no request.
    Nothing,
    /// The request would need the SKU id of this product, which nothing gives.
    UnknownSku(P),
}

/// Builds the request for `change` into `request`. `addLicenses`: each license
/// after that is new, or held directly before and after with other disabled
/// plans, with the disabled plans after that are its plans, in their order
/// (Graph replaces a license's list with the one it is given: the list is always
/// whole); `removeLicenses`: the direct licenses before that are not after. A
/// group license changes only in its group, and is never in either list.
pub fn build<'a, P: Copy + Eq, S: Copy + Eq>(
    change: &Change<'a, P, S>,
    plans: &impl ServicePlans<P, S>,
    request: &mut Request,
) -> Built<P> {
    request.add.clear();
    request.plans.clear();
    request.remove.clear();
    request.before.clear();
    request.after.clear();
    let of = |product: P, list: &'a [S]| own(plans, product, list);
    for license in change.after.iter().filter(|l| !l.via_group) {
        let held = change.before.iter().any(|b| b.product == license.product);
        let changes = !held || {
            let before = || of(license.product, change.disabled_before);
            let after = || of(license.product, change.disabled_after);
            before().any(|p| !after().any(|q| q == p)) || after().any(|p| !before().any(|q| q == p))
        };
        if !changes {
            continue;
        }
        let Some(sku) = license.sku else {
            return Built::UnknownSku(license.product);
        };
        let start = request.plans.len();
        let disabled = of(license.product, change.disabled_after).map(|plan| plans.id(plan));
        request.plans.extend(disabled);
        request.add.push((sku, start..request.plans.len()));
    }
    for license in change.before.iter().filter(|l| !l.via_group) {
        if change.after.iter().any(|a| a.product == license.product) {
            continue;
        }
        let Some(sku) = license.sku else {
            return Built::UnknownSku(license.product);
        };
        request.remove.push(sku);
    }
    if request.add.is_empty() && request.remove.is_empty() {
        return Built::Nothing;
    }
    request
        .before
        .extend(change.before.iter().filter_map(|l| l.sku));
    request
        .after
        .extend(change.after.iter().filter_map(|l| l.sku));
    Built::Request
}

/// The plans of `list` that `product` contains, in their order.
fn own<'a, P: Copy + 'a, S: Copy>(
    plans: &'a impl ServicePlans<P, S>,
    product: P,
    list: &'a [S],
) -> impl Iterator<Item = S> + 'a {
    list.iter()
        .copied()
        .filter(move |&plan| plans.contains(product, plan))
}

/// The url of a user's assignLicense request into `url`, relative to Graph's
/// `/v1.0`: `/users/KEY/assignLicense`, KEY being the object id when there is
/// one, else the user principal name percent-encoded; a name that begins with
/// `$` or holds `'` takes Graph's key form, `/users('KEY')/assignLicense`, its
/// quotes doubled before encoding.
pub fn url(object_id: Option<Guid>, upn: &str, url: &mut String) {
    url.clear();
    if let Some(id) = object_id {
        let _ = write!(url, "/users/{id}/assignLicense");
        return;
    }
    if upn.starts_with('$') || upn.contains('\'') {
        url.push_str("/users('");
        for part in upn.split_inclusive('\'') {
            encode(part, url);
            if part.ends_with('\'') {
                encode("'", url);
            }
        }
        url.push_str("')/assignLicense");
    } else {
        url.push_str("/users/");
        encode(upn, url);
        url.push_str("/assignLicense");
    }
}

/// Appends `text` with every byte but ASCII letters, digits, `-`, `.`, `_` and
/// `@` written `%XX` (UTF-8, uppercase hex).
fn encode(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'@') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

/// One line of graph-requests.jsonl: keys in SPEC.md's order.
#[derive(Serialize)]
pub struct Line<'a> {
    /// The user's line in result.csv.
    pub line: u64,
    /// As in result.csv, without the formula apostrophe: JSON is not a spreadsheet.
    pub organization: &'a str,
    pub user: &'a str,
    pub method: &'static str,
    pub url: &'a str,
    pub body: &'a RawValue,
    pub before: &'a RawValue,
    pub after: &'a RawValue,
}

impl<'a> Line<'a> {
    /// The line of a built request, whose `body`, `before` and `after` are `tail`.
    pub fn new(
        line: u64,
        organization: &'a str,
        user: &'a str,
        url: &'a str,
        tail: &'a Tail,
    ) -> Line<'a> {
        Line {
            line,
            organization,
            user,
            method: "POST",
            url,
            body: &tail.body,
            before: &tail.before,
            after: &tail.after,
        }
    }

    /// Appends the line, compact, and its `\n`: the bytes serde_json writes for
    /// it, the keys put as constants and the strings copied whole when they need
    /// no escape. Through serde, every key and string was escaped byte by byte:
    /// 4% of a million users' run, and a line took 2-4% more CPU in all.
    pub fn write(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(b"{\"line\":");
        out.extend_from_slice(itoa::Buffer::new().format(self.line).as_bytes());
        out.extend_from_slice(b",\"organization\":");
        json_str(self.organization, out)?;
        out.extend_from_slice(b",\"user\":");
        json_str(self.user, out)?;
        out.extend_from_slice(b",\"method\":");
        json_str(self.method, out)?;
        out.extend_from_slice(b",\"url\":");
        json_str(self.url, out)?;
        out.extend_from_slice(b",\"body\":");
        out.extend_from_slice(self.body.get().as_bytes());
        out.extend_from_slice(b",\"before\":");
        out.extend_from_slice(self.before.get().as_bytes());
        out.extend_from_slice(b",\"after\":");
        out.extend_from_slice(self.after.get().as_bytes());
        out.extend_from_slice(b"}\n");
        Ok(())
    }
}

/// Appends `text` as a JSON string: copied between quotes when serde_json would
/// escape none of its bytes (a quote, a backslash, a control character), else
/// as serde_json writes it.
fn json_str(text: &str, out: &mut Vec<u8>) -> serde_json::Result<()> {
    // A fold, not `any`: without an early exit the loop is vectorized.
    let plain = !text.bytes().fold(false, |escape, b| {
        escape | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(&mut *out, text)
    }
}

/// A request's `body`, `before` and `after`, as JSON.
pub struct Tail {
    body: Box<RawValue>,
    before: Box<RawValue>,
    after: Box<RawValue>,
}

impl Tail {
    pub fn of(request: &Request) -> serde_json::Result<Tail> {
        Ok(Tail {
            body: serde_json::value::to_raw_value(&Body(request))?,
            before: serde_json::value::to_raw_value(&request.before)?,
            after: serde_json::value::to_raw_value(&request.after)?,
        })
    }
}

/// The [`Tail`]s of the requests met so far. A tenant's requests repeat a few
/// changes (a million users, a few hundred distinct requests): each is
/// serialized once, and a line serializes only its own fields (writing
/// graph-requests.jsonl took a quarter of a run's instructions, a sixth so). The
/// map is emptied when it grows past [`Tails::MAX`]: requests that all differ
/// cost a hash each, not memory.
#[derive(Default)]
pub struct Tails(HashMap<Request, Tail>);

impl Tails {
    const MAX: usize = 4096;

    /// The tail of `request`.
    pub fn get(&mut self, request: &Request) -> serde_json::Result<&Tail> {
        if !self.0.contains_key(request) {
            if self.0.len() >= Tails::MAX {
                self.0.clear();
            }
            self.0.insert(request.clone(), Tail::of(request)?);
        }
        self.0
            .get(request)
            .ok_or_else(|| serde::ser::Error::custom("a tail just stored"))
    }
}

/// Graph's assignLicense body.
pub struct Body<'a>(&'a Request);

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("addLicenses", &Added(self.0))?;
        map.serialize_entry("removeLicenses", &self.0.remove)?;
        map.end()
    }
}

struct Added<'a>(&'a Request);

#[derive(Serialize)]
struct Add<'a> {
    #[serde(rename = "skuId")]
    sku_id: Guid,
    #[serde(rename = "disabledPlans")]
    disabled_plans: &'a [Guid],
}

impl Serialize for Added<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let request = self.0;
        let mut seq = s.serialize_seq(Some(request.add.len()))?;
        for (sku, plans) in &request.add {
            let disabled_plans = request.plans.get(plans.clone()).unwrap_or_default();
            seq.serialize_element(&Add {
                sku_id: *sku,
                disabled_plans,
            })?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Products 'A'…, service plans 1…; a product contains the plans listed here.
    struct Table(&'static [(char, &'static [u8])]);

    impl ServicePlans<char, u8> for Table {
        fn contains(&self, product: char, plan: u8) -> bool {
            self.0
                .iter()
                .any(|(p, plans)| *p == product && plans.contains(&plan))
        }
        fn id(&self, plan: u8) -> Guid {
            plan_id(plan)
        }
    }

    const TABLE: Table = Table(&[
        ('A', &[1, 2, 3]),
        ('B', &[2, 4]),
        ('C', &[5]),
        ('D', &[1, 4]),
    ]);

    fn sku(product: char) -> Guid {
        Guid::parse(&format!(
            "{:08x}-0000-4000-8000-000000000000",
            product as u32
        ))
        .unwrap()
    }

    fn plan_id(plan: u8) -> Guid {
        Guid::parse(&format!("00000000-0000-4000-8000-{plan:012x}")).unwrap()
    }

    fn direct(product: char) -> License<char> {
        License {
            product,
            sku: Some(sku(product)),
            via_group: false,
        }
    }

    fn group(product: char) -> License<char> {
        License {
            via_group: true,
            ..direct(product)
        }
    }

    fn unknown(product: char) -> License<char> {
        License {
            sku: None,
            ..direct(product)
        }
    }

    /// The request's body and before/after as JSON, or what build said.
    fn built(
        before: &[License<char>],
        after: &[License<char>],
        disabled: (&[u8], &[u8]),
    ) -> Result<serde_json::Value, Built<char>> {
        let change = Change {
            before,
            after,
            disabled_before: disabled.0,
            disabled_after: disabled.1,
        };
        let mut request = Request::default();
        match build(&change, &TABLE, &mut request) {
            Built::Request => {
                let tail = Tail::of(&request).unwrap();
                let line = Line::new(2, "", "", "", &tail);
                Ok(serde_json::json!({
                    "body": serde_json::from_str::<serde_json::Value>(line.body.get()).unwrap(),
                    "before": serde_json::from_str::<serde_json::Value>(line.before.get()).unwrap(),
                    "after": serde_json::from_str::<serde_json::Value>(line.after.get()).unwrap(),
                }))
            }
            other => Err(other),
        }
    }

    fn add(product: char, plans: &[u8]) -> serde_json::Value {
        let plans: Vec<Guid> = plans.iter().map(|&p| plan_id(p)).collect();
        serde_json::json!({"skuId": sku(product), "disabledPlans": plans})
    }

    fn ids(products: &[char]) -> serde_json::Value {
        serde_json::json!(products.iter().map(|&p| sku(p)).collect::<Vec<_>>())
    }

    #[test]
    fn a_swap_adds_the_new_and_removes_the_old_in_one_body() {
        let got = built(
            &[direct('A'), direct('C')],
            &[direct('C'), direct('B')],
            (&[], &[]),
        )
        .unwrap();
        assert_eq!(
            got["body"]["addLicenses"],
            serde_json::json!([add('B', &[])])
        );
        assert_eq!(got["body"]["removeLicenses"], ids(&['A']));
        assert_eq!(got["before"], ids(&['A', 'C']));
        assert_eq!(got["after"], ids(&['C', 'B']));
    }

    #[test]
    fn a_new_license_gets_the_disabled_plans_after_that_are_its_own_in_order() {
        // 3 belongs to A only, 5 to C only: neither is B's.
        let got = built(&[direct('A')], &[direct('B')], (&[3, 4], &[4, 5, 2])).unwrap();
        assert_eq!(
            got["body"]["addLicenses"],
            serde_json::json!([add('B', &[4, 2])])
        );
    }

    #[test]
    fn a_kept_direct_license_is_sent_whole_when_its_disabled_plans_change() {
        // Plan 4 disabled: D contains it, so D's list changes; C's does not.
        let got = built(
            &[direct('D'), direct('C'), direct('A')],
            &[direct('D'), direct('C'), direct('B')],
            (&[1], &[1, 4]),
        )
        .unwrap();
        assert_eq!(
            got["body"]["addLicenses"],
            serde_json::json!([add('D', &[1, 4]), add('B', &[4])])
        );
        assert_eq!(got["body"]["removeLicenses"], ids(&['A']));
    }

    #[test]
    fn group_licenses_are_never_added_nor_removed() {
        // D through a group: its plans change only in its group.
        let got = built(
            &[group('D'), direct('A'), group('C')],
            &[group('D'), direct('B')],
            (&[], &[4]),
        )
        .unwrap();
        assert_eq!(
            got["body"]["addLicenses"],
            serde_json::json!([add('B', &[4])])
        );
        assert_eq!(got["body"]["removeLicenses"], ids(&['A']));
        assert_eq!(got["after"], ids(&['D', 'B']));
    }

    #[test]
    fn the_same_licenses_with_the_same_plans_are_no_request() {
        // The same set in another order (From = To) changes nothing.
        assert_eq!(
            built(
                &[direct('A'), direct('B')],
                &[direct('B'), direct('A')],
                (&[2], &[2])
            ),
            Err(Built::Nothing)
        );
        // Another order of the same disabled plans is the same set.
        assert_eq!(
            built(&[direct('A')], &[direct('A')], (&[1, 2], &[2, 1])),
            Err(Built::Nothing)
        );
        let got = built(&[direct('A')], &[direct('A')], (&[2], &[2, 3])).unwrap();
        assert_eq!(
            got["body"]["addLicenses"],
            serde_json::json!([add('A', &[2, 3])])
        );
        assert_eq!(got["body"]["removeLicenses"], serde_json::json!([]));
    }

    #[test]
    fn an_unknown_sku_id_matters_only_where_the_request_names_the_license() {
        assert_eq!(
            built(&[unknown('A')], &[direct('B')], (&[], &[])),
            Err(Built::UnknownSku('A'))
        );
        assert_eq!(
            built(&[direct('A')], &[unknown('B')], (&[], &[])),
            Err(Built::UnknownSku('B'))
        );
        // Kept unchanged: left out of before and after, no harm.
        let got = built(
            &[unknown('C'), direct('A')],
            &[unknown('C'), direct('B')],
            (&[], &[]),
        )
        .unwrap();
        assert_eq!(got["before"], ids(&['A']));
        assert_eq!(got["after"], ids(&['B']));
    }

    #[test]
    fn urls_name_the_object_id_or_the_encoded_principal_name() {
        let url_of = |id: Option<&str>, upn: &str| {
            let mut s = String::new();
            url(id.map(|i| Guid::parse(i).unwrap()), upn, &mut s);
            s
        };
        assert_eq!(
            url_of(
                Some("6E2A5D30-4BD1-4F5B-9C2E-7D1F0A3B8C41"),
                "a@contoso.com"
            ),
            "/users/6e2a5d30-4bd1-4f5b-9c2e-7d1f0a3b8c41/assignLicense"
        );
        assert_eq!(
            url_of(None, "adele_fabrikam.com#EXT#@contoso.onmicrosoft.com"),
            "/users/adele_fabrikam.com%23EXT%23@contoso.onmicrosoft.com/assignLicense"
        );
        assert_eq!(
            url_of(None, "zoë+x y/z@contoso.com"),
            "/users/zo%C3%AB%2Bx%20y%2Fz@contoso.com/assignLicense"
        );
        assert_eq!(
            url_of(None, "$admin@contoso.com"),
            "/users('%24admin@contoso.com')/assignLicense"
        );
        assert_eq!(
            url_of(None, "o'brien'@contoso.com"),
            "/users('o%27%27brien%27%27@contoso.com')/assignLicense"
        );
    }

    #[test]
    fn a_line_is_compact_json_with_keys_in_order() {
        let mut request = Request::default();
        let change = Change {
            before: &[direct('A')],
            after: &[direct('B')],
            disabled_before: &[],
            disabled_after: &[2u8],
        };
        assert_eq!(build(&change, &TABLE, &mut request), Built::Request);
        let mut out = Vec::new();
        Line::new(
            7,
            "Contoso \"Ltd\"",
            "=a@contoso.com",
            "/users/x/assignLicense",
            &Tail::of(&request).unwrap(),
        )
        .write(&mut out)
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "{{\"line\":7,\"organization\":\"Contoso \\\"Ltd\\\"\",\"user\":\"=a@contoso.com\",\"method\":\"POST\",\"url\":\"/users/x/assignLicense\",\"body\":{{\"addLicenses\":[{{\"skuId\":\"{}\",\"disabledPlans\":[\"{}\"]}}],\"removeLicenses\":[\"{}\"]}},\"before\":[\"{}\"],\"after\":[\"{}\"]}}\n",
                sku('B'),
                plan_id(2),
                sku('A'),
                sku('A'),
                sku('B')
            )
        );
    }

    proptest::proptest! {
        #[test]
        fn a_line_is_the_bytes_serde_json_writes_for_it(
            line: u64,
            organization: String,
            user: String,
            url in "[ -~\u{0}-\u{1f}\u{7f}\u{80}-\u{2fff}]{0,40}",
        ) {
            let mut request = Request::default();
            let change = Change {
                before: &[direct('A')],
                after: &[direct('B')],
                disabled_before: &[],
                disabled_after: &[],
            };
            proptest::prop_assert_eq!(build(&change, &TABLE, &mut request), Built::Request);
            let tail = Tail::of(&request).unwrap();
            let line = Line::new(line, &organization, &user, &url, &tail);
            let mut written = Vec::new();
            line.write(&mut written).unwrap();
            let mut serde = serde_json::to_vec(&line).unwrap();
            serde.push(b'\n');
            proptest::prop_assert_eq!(String::from_utf8(written).unwrap(), String::from_utf8(serde).unwrap());
        }
    }

    #[test]
    fn tails_give_each_request_its_own_json_also_past_their_limit() {
        let request = |n: usize| Request {
            before: vec![Guid::parse(&format!("00000000-0000-4000-8000-{n:012x}")).unwrap()],
            ..Request::default()
        };
        let json = |tail: &Tail| {
            format!(
                "{}{}{}",
                tail.body.get(),
                tail.before.get(),
                tail.after.get()
            )
        };
        let mut tails = Tails::default();
        for round in 0..2 {
            for n in (0..Tails::MAX + 3).rev() {
                let expected = json(&Tail::of(&request(n)).unwrap());
                assert_eq!(
                    json(tails.get(&request(n)).unwrap()),
                    expected,
                    "{round} {n}"
                );
            }
        }
        assert!(tails.0.len() <= Tails::MAX);
    }
}

//! The users of users.csv, in one arena, and the index of their principal names.

use rayon::prelude::*;

use crate::guid::Guid;
use crate::model::{OrgId, ProductId, ServicePlanRef};

/// A license a user holds: the product, whether it comes through a group (then
/// it cannot be removed from the user directly), and which of the catalog's SKU
/// ids for the product the Licenses cell named it by, if it named it by one
/// (what the user holds, for Graph requests). 4 bytes: the flag in the top bit,
/// the id's index in the next three, the product's id in the 28 below: ten
/// million users hold some 17 million licenses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Held(u32);

const VIA_GROUP: u32 = 1 << 31;
const NAMED_SHIFT: u32 = 28;
const NAMED: u32 = 0b111 << NAMED_SHIFT;
const PRODUCT: u32 = (1 << NAMED_SHIFT) - 1;

impl Held {
    /// Products a license can name: each needs a distinct text in the inputs,
    /// so a file of fewer than 2^28 distinct license names fits.
    pub const MAX_PRODUCTS: u32 = PRODUCT - 1;
    /// How many of a product's ids [`Held::named_by`] tells apart (the catalog
    /// lists two at most for one SKU part number).
    pub const MAX_NAMED: u8 = 7;

    /// A license of `product`, whose index is below [`Held::MAX_PRODUCTS`].
    pub fn new(product: ProductId, via_group: bool) -> Held {
        Held((product.index() + 1) & PRODUCT | if via_group { VIA_GROUP } else { 0 })
    }

    /// Whether [`Held::new`] can hold `product`.
    pub fn fits(product: ProductId) -> bool {
        product.index() < Self::MAX_PRODUCTS
    }

    /// The same license, named in users.csv by the catalog's `index`-th id for
    /// its product (kept when below [`Held::MAX_NAMED`]).
    pub fn named_by(self, index: Option<u8>) -> Held {
        let named = match index {
            Some(i) if i < Self::MAX_NAMED => u32::from(i) + 1,
            _ => 0,
        };
        Held(self.0 & !NAMED | named << NAMED_SHIFT)
    }

    pub fn product(self) -> ProductId {
        ProductId::at((self.0 & PRODUCT) - 1)
    }

    pub fn via_group(self) -> bool {
        self.0 & VIA_GROUP != 0
    }

    /// Which of the catalog's ids for the product the Licenses cell named it by.
    pub fn named(self) -> Option<u8> {
        ((self.0 & NAMED) >> NAMED_SHIFT)
            .checked_sub(1)
            .map(|i| i as u8)
    }
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("product", &self.product())
            .field("via_group", &self.via_group())
            .field("named", &self.named())
            .finish()
    }
}

/// One user of users.csv, as a view into [`Users`]. The principal name is not
/// in the view: the rules never read it ([`Users::upn`] gives it).
#[derive(Clone, Copy, Debug)]
pub struct User<'a> {
    pub org: Option<OrgId>,
    /// Every license, those from groups included, in the order of the export.
    pub licenses: &'a [Held],
    pub disabled: &'a [ServicePlanRef],
    pub usage_location: bool,
    pub blocked: bool,
}

impl User<'_> {
    pub fn holds(&self, product: ProductId) -> Option<Held> {
        self.licenses
            .iter()
            .copied()
            .find(|h| h.product() == product)
    }
}

const NO_ORG: u32 = u32::MAX;
/// How many users [`Users::warm_ahead`] brings into the cache at once: enough
/// for their loads to overlap, few enough to stay in the cache until visited.
const WARM: usize = 256;
/// Users are in blocks of 2^`BLOCK_SHIFT`: a slot keeps its name's offset from
/// the block's start, which fits in 30 bits as a cell holds at most 64 KiB, and
/// the flags in the word's two other bits.
const BLOCK_SHIFT: u32 = 14;
const OFFSET: u32 = (1 << 30) - 1;
const _: () = assert!(((1u64 << BLOCK_SHIFT) * crate::input::table::MAX_CELL as u64) <= 1 << 30);
const USAGE_LOCATION: u32 = 1 << 30;
const BLOCKED: u32 = 1 << 31;

/// The users, in users.csv order: a fixed-size slot per user pointing into three
/// shared arenas, so a million users are a few flat vectors, not a million small
/// allocations. Later stages visit users in plan order, not file order: a slot
/// holds everything but the variable-length parts, so a visit costs few cache misses.
#[derive(Debug, Default)]
pub struct Users {
    slots: Vec<Slot>,
    /// Where the names of each run of 2^[`BLOCK_SHIFT`] users start in `upns`.
    blocks: Vec<usize>,
    upns: String,
    held: Vec<Held>,
    disabled: Vec<ServicePlanRef>,
    /// Object ids by user, the nil GUID for none; empty until a user has one,
    /// and as long as the users up to the last who has one: 16 bytes a user
    /// only where the export gives them.
    object_ids: Vec<Guid>,
    /// (hash of the lowercased principal name, user) in file order, until
    /// [`Users::seal`] sorts it into [`Names`].
    index: Vec<(u32, u32)>,
}

/// Where a user's parts start in the arenas (they end where the next user's
/// start): 16 bytes, as ten million users keep one each.
#[derive(Clone, Copy, Debug)]
struct Slot {
    /// The name's offset from its block's start (low 30 bits), and the flags.
    upn: u32,
    held: u32,
    disabled: u32,
    org: u32,
}

const _: () = assert!(std::mem::size_of::<Slot>() == 16);
const _: () = assert!(std::mem::size_of::<Held>() == 4);

/// Two users of the same principal name (ignoring case), by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duplicate {
    pub earlier: u32,
    pub later: u32,
}

impl Users {
    /// Room for about `n` users.
    pub fn with_capacity(n: usize) -> Users {
        Users {
            slots: Vec::with_capacity(n),
            blocks: Vec::new(),
            upns: String::with_capacity(n * 32),
            held: Vec::with_capacity(n * 2),
            disabled: Vec::new(),
            object_ids: Vec::new(),
            index: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Adds a user. Principal names are checked for duplicates by [`Users::seal`].
    /// The nil GUID is no object id.
    pub fn add(&mut self, upn: &str, object_id: Option<Guid>, user: User<'_>) {
        if let Some(id) = object_id.filter(|id| !id.is_nil()) {
            self.object_ids.resize(self.len(), Guid::NIL);
            self.object_ids.push(id);
        }
        self.index.push((upn_hash(upn), self.len() as u32));
        if self.len().is_multiple_of(1 << BLOCK_SHIFT) {
            self.blocks.push(self.upns.len());
        }
        let start = self.blocks.last().copied().unwrap_or(0);
        let flags = if user.usage_location {
            USAGE_LOCATION
        } else {
            0
        } | if user.blocked { BLOCKED } else { 0 };
        self.slots.push(Slot {
            upn: (self.upns.len() - start) as u32 | flags,
            held: self.held.len() as u32,
            disabled: self.disabled.len() as u32,
            org: user.org.map_or(NO_ORG, |o| o.0),
        });
        self.upns.push_str(upn);
        self.held.extend_from_slice(user.licenses);
        self.disabled.extend_from_slice(user.disabled);
    }

    /// Indexes the users by principal name once all are added; finds the first
    /// principal name (in file order) that is listed twice, ignoring case.
    pub fn seal(mut self) -> (Users, Result<Names, Duplicate>) {
        let mut index = std::mem::take(&mut self.index);
        index.par_sort_unstable();
        let mut first: Option<Duplicate> = None;
        for group in index.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            // Same hash: compare the names themselves, earlier users first.
            for (n, &(_, later)) in group.iter().enumerate() {
                let earlier = group[..n]
                    .iter()
                    .find(|(_, e)| same_upn(self.upn(*e), self.upn(later)));
                if let Some(&(_, earlier)) = earlier
                    && first.is_none_or(|d| later < d.later)
                {
                    first = Some(Duplicate { earlier, later });
                }
            }
        }
        let names = first.map_or(Ok(Names { index }), Err);
        (self, names)
    }

    /// The principal name of user `i`, as spelled in users.csv.
    pub fn upn(&self, i: u32) -> &str {
        let i = i as usize;
        let end = if i + 1 < self.len() {
            self.upn_start(i + 1)
        } else {
            self.upns.len()
        };
        &self.upns[self.upn_start(i)..end]
    }

    /// Where user `i`'s name starts in `upns`.
    fn upn_start(&self, i: usize) -> usize {
        self.blocks[i >> BLOCK_SHIFT] + (self.slots[i].upn & OFFSET) as usize
    }

    /// User `i`, in users.csv order.
    pub fn get(&self, i: u32) -> User<'_> {
        let i = i as usize;
        let slot = self.slots[i];
        let next = self.slots.get(i + 1);
        let held = slot.held as usize..next.map_or(self.held.len(), |s| s.held as usize);
        let disabled =
            slot.disabled as usize..next.map_or(self.disabled.len(), |s| s.disabled as usize);
        User {
            org: (slot.org != NO_ORG).then_some(OrgId(slot.org)),
            licenses: &self.held[held],
            disabled: &self.disabled[disabled],
            usage_location: slot.upn & USAGE_LOCATION != 0,
            blocked: slot.upn & BLOCKED != 0,
        }
    }

    /// Before `items[i]` is visited, in order, by a loop that visits users in
    /// the order of `items` (plan order, all over memory): at the start of each
    /// run of [`WARM`] items, brings the users they name into the cache at once.
    /// One by one, each visit waits for its cache misses, while loads in a tight
    /// loop that do not depend on each other overlap. Checking and writing
    /// result.csv each visit every planned user: without this, a run of 1M
    /// users takes about a third longer.
    #[inline]
    pub fn warm_ahead<T>(&self, items: &[T], i: usize, user: impl Fn(&T) -> Option<u32>) {
        if i.is_multiple_of(WARM) {
            self.warm(
                items.get(i..(i + WARM).min(items.len())).unwrap_or(&[]),
                user,
            );
        }
    }

    /// Brings the users that `run` names into the cache ([`Users::warm_ahead`]).
    fn warm<T>(&self, run: &[T], user: impl Fn(&T) -> Option<u32>) {
        let users = || run.iter().filter_map(&user);
        let mut touched = 0u32;
        for u in users() {
            touched ^= self.slots.get(u as usize).map_or(0, |s| s.held);
        }
        for u in users() {
            if let Some(slot) = self.slots.get(u as usize) {
                let start = self.upn_start(u as usize);
                let first = self.upns.as_bytes().get(start).copied().unwrap_or(0);
                let held = self
                    .held
                    .get(slot.held as usize)
                    .map_or(0, |h| h.product().index());
                touched ^= u32::from(first) ^ held;
            }
        }
        std::hint::black_box(touched);
    }

    /// The object id of user `i`, when users.csv gives one.
    pub fn object_id(&self, i: u32) -> Option<Guid> {
        self.object_ids
            .get(i as usize)
            .copied()
            .filter(|id| !id.is_nil())
    }

    /// The organization of user `i`, without building the whole view.
    pub fn org(&self, i: u32) -> Option<OrgId> {
        let org = self.slots[i as usize].org;
        (org != NO_ORG).then_some(OrgId(org))
    }
}

/// The users by principal name, ignoring case: needed to expand the plan, and
/// dropped after, so that its memory serves the later stages.
#[derive(Debug)]
pub struct Names {
    /// (hash of the lowercased principal name, user), sorted: filled in file order
    /// and sorted once, it costs no cache miss per user as a hash table would. 32
    /// bits of hash are plenty: names of equal hash are compared anyway, and 8 bytes
    /// a user instead of 16 is 80 MB less at 10M.
    index: Vec<(u32, u32)>,
}

impl Names {
    /// The user of `users` of this principal name, ignoring case.
    pub fn find(&self, users: &Users, upn: &str) -> Option<u32> {
        let hash = upn_hash(upn);
        let start = self.index.partition_point(|&(h, _)| h < hash);
        self.index[start..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .map(|&(_, i)| i)
            .find(|&i| same_upn(users.upn(i), upn))
    }
}

/// Principal names compare ignoring case: hash them lowercased, without allocating.
fn upn_hash(upn: &str) -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    if upn.is_ascii() {
        let mut buf = [0u8; 64];
        for chunk in upn.as_bytes().chunks(buf.len()) {
            let lower = &mut buf[..chunk.len()];
            lower.copy_from_slice(chunk);
            lower.make_ascii_lowercase();
            h.write(lower);
        }
    } else {
        for c in upn.chars().flat_map(char::to_lowercase) {
            h.write_u32(c as u32);
        }
    }
    // FxHash mixes its high bits best.
    (h.finish() >> 32) as u32
}

fn same_upn(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxHashMap as HashMap;

    fn user() -> User<'static> {
        User {
            org: None,
            licenses: &[],
            disabled: &[],
            usage_location: true,
            blocked: false,
        }
    }

    #[test]
    fn finds_every_user_ignoring_case_among_many() {
        let mut users = Users::with_capacity(0);
        let names: Vec<String> = (0..20_000)
            .map(|i| format!("User.{i}@Contoso.com"))
            .collect();
        for name in &names {
            users.add(name, None, user());
        }
        let (users, index) = users.seal();
        let index = index.unwrap();
        for (i, name) in names.iter().enumerate() {
            let found = |upn: &str| index.find(&users, upn);
            assert_eq!(found(&name.to_lowercase()), Some(i as u32), "{name}");
            assert_eq!(found(&name.to_uppercase()), Some(i as u32), "{name}");
        }
        assert_eq!(index.find(&users, "nobody@contoso.com"), None);
        assert_eq!(users.upn(7), "User.7@Contoso.com");
    }

    /// Slots keep a name's offset from its block of users and two flags in one
    /// word: every part must come back whole across the blocks' edges.
    #[test]
    fn every_part_of_every_user_comes_back_across_blocks() {
        let mut users = Users::with_capacity(0);
        let n = (1usize << BLOCK_SHIFT) * 2 + 5;
        let name = |i: usize| format!("{}{i}@contoso.com", "u".repeat(i % 37));
        let held = |i: usize| {
            let named = (i % 7 == 1).then_some((i % 9) as u8);
            Held::new(ProductId::at(i as u32 % 5), i.is_multiple_of(3)).named_by(named)
        };
        // Object ids for some users only, none for the first nor the last.
        let object_id = |i: usize| {
            (i % 5 == 2 && i + 1 < n)
                .then(|| Guid::parse(&format!("{i:08x}-0000-4000-8000-00000000abcd")).unwrap())
        };
        for i in 0..n {
            let licenses = vec![held(i); i % 3];
            users.add(
                &name(i),
                object_id(i),
                User {
                    org: (i % 4 != 0).then_some(OrgId(i as u32)),
                    licenses: &licenses,
                    disabled: &[],
                    usage_location: i.is_multiple_of(2),
                    blocked: i.is_multiple_of(5),
                },
            );
        }
        for i in 0..n {
            let (upn, user) = (users.upn(i as u32), users.get(i as u32));
            assert_eq!(upn, name(i), "user {i}");
            assert_eq!(user.licenses, vec![held(i); i % 3], "user {i}");
            assert_eq!(
                user.org,
                (i % 4 != 0).then_some(OrgId(i as u32)),
                "user {i}"
            );
            assert_eq!(user.usage_location, i.is_multiple_of(2), "user {i}");
            assert_eq!(user.blocked, i.is_multiple_of(5), "user {i}");
            assert_eq!(users.object_id(i as u32), object_id(i), "user {i}");
            let named = (i % 7 == 1 && i % 9 < 7).then_some((i % 9) as u8);
            if let Some(license) = user.licenses.first() {
                assert_eq!(license.named(), named, "user {i}");
                assert_eq!(license.product(), ProductId::at(i as u32 % 5), "user {i}");
                assert_eq!(license.via_group(), i.is_multiple_of(3), "user {i}");
            }
        }
    }

    fn sealed(names: &[&str]) -> (Users, Result<Names, Duplicate>) {
        let mut users = Users::with_capacity(0);
        for name in names {
            users.add(name, None, user());
        }
        users.seal()
    }

    #[test]
    fn names_of_equal_hash_are_told_apart() {
        // 32-bit hashes collide among some 80,000 names: find two that do.
        let mut seen = HashMap::default();
        let (first, second) = (0..1_000_000)
            .map(|i| format!("user{i}@contoso.com"))
            .find_map(|name| {
                let earlier = seen.insert(upn_hash(&name), name.clone())?;
                Some((earlier, name))
            })
            .unwrap();
        let (users, index) = sealed(&[&first, "other@contoso.com", &second]);
        let index = index.expect("two names of one hash are not a duplicate");
        assert_eq!(index.find(&users, &first), Some(0));
        assert_eq!(index.find(&users, &second.to_uppercase()), Some(2));
        let upper = first.to_uppercase();
        let (_, index) = sealed(&[&first, "other@contoso.com", &second, &upper]);
        assert_eq!(
            index.err(),
            Some(Duplicate {
                earlier: 0,
                later: 3
            })
        );
    }

    #[test]
    fn seal_reports_the_first_name_listed_twice_in_file_order() {
        let names = [
            "a@x.com", "b@x.com", "Ä@x.com", "B@X.COM", "ä@x.com", "A@x.com",
        ];
        assert_eq!(
            sealed(&names).1.err(),
            Some(Duplicate {
                earlier: 1,
                later: 3
            })
        );
    }
}

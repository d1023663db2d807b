//! The users of users.csv, in one arena, and the index of their principal names.

use rayon::prelude::*;

use crate::model::{OrgId, ProductId, ServicePlanRef};

/// A license a user holds: the product, and whether it comes through a group
/// (then it cannot be removed from the user directly). 4 bytes, the flag in the
/// top bit of the product's id: ten million users hold some 17 million licenses.
/// (Products are fewer than 2^31: each needs a distinct text in the inputs.)
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Held(u32);

const VIA_GROUP: u32 = 1 << 31;

impl Held {
    pub fn new(product: ProductId, via_group: bool) -> Held {
        Held((product.index() + 1) | if via_group { VIA_GROUP } else { 0 })
    }

    pub fn product(self) -> ProductId {
        ProductId::at((self.0 & !VIA_GROUP) - 1)
    }

    pub fn via_group(self) -> bool {
        self.0 & VIA_GROUP != 0
    }
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("product", &self.product())
            .field("via_group", &self.via_group())
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
    pub fn add(&mut self, upn: &str, user: User<'_>) {
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

    /// How many users [`Users::warm`] is best given at once: enough for their loads
    /// to overlap, few enough to stay in the cache until visited.
    pub const WARM: usize = 256;

    /// Brings `users` into the cache, all at once. Later stages visit users in plan
    /// order, all over memory; one by one, each visit waits for its cache misses,
    /// while loads in a tight loop that do not depend on each other overlap.
    pub fn warm(&self, users: impl Iterator<Item = u32> + Clone) {
        let mut touched = 0u32;
        for u in users.clone() {
            touched ^= self.slots.get(u as usize).map_or(0, |s| s.held);
        }
        for u in users {
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
    /// The first position in the sorted index whose hash is not below `hash`.
    /// Hashes are spread evenly over `u32`, so the position is about
    /// `hash / 2^32 * len`: search a window around that guess, widened until it
    /// holds the answer, instead of the whole index (a cache miss per step).
    fn lower_bound(&self, hash: u32) -> usize {
        let index = &self.index;
        let len = index.len();
        let guess = ((u64::from(hash) * len as u64) >> 32) as usize;
        let (mut lo, mut hi, mut step) = (guess.saturating_sub(32), (guess + 32).min(len), 32);
        while lo > 0 && index[lo].0 >= hash {
            step *= 2;
            lo = lo.saturating_sub(step);
        }
        step = 32;
        while hi < len && index[hi - 1].0 < hash {
            step *= 2;
            hi = (hi + step).min(len);
        }
        lo + index[lo..hi].partition_point(|&(h, _)| h < hash)
    }

    /// The user of `users` of this principal name, ignoring case.
    pub fn find(&self, users: &Users, upn: &str) -> Option<u32> {
        self.find_hashed(users, upn, upn_hash(upn))
    }

    /// The users of these principal names (`None` where none is asked), as
    /// [`Names::find`] finds each. Looked up in the order of their hashes, so
    /// that the index is read from start to end: at ten million users it is
    /// 80 MB, and looked up in plan order each name waited for its cache misses.
    pub fn find_all(&self, users: &Users, upns: &[Option<&str>]) -> Vec<Option<u32>> {
        let mut order: Vec<(u32, u32)> = upns
            .par_iter()
            .enumerate()
            .filter_map(|(i, upn)| upn.map(|upn| (upn_hash(upn), i as u32)))
            .collect();
        order.par_sort_unstable();
        let found: Vec<Option<u32>> = order
            .par_iter()
            .map(|&(hash, i)| {
                let upn = upns[i as usize]?;
                self.find_hashed(users, upn, hash)
            })
            .collect();
        let mut all = vec![None; upns.len()];
        for (&(_, i), user) in order.iter().zip(found) {
            all[i as usize] = user;
        }
        all
    }

    fn find_hashed(&self, users: &Users, upn: &str, hash: u32) -> Option<u32> {
        let start = self.lower_bound(hash);
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
            users.add(name, user());
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

    /// Names asked all at once come back in the order asked, as one by one.
    #[test]
    fn finds_many_names_at_once_in_the_order_asked() {
        let mut users = Users::with_capacity(0);
        for i in 0..5_000 {
            users.add(&format!("user.{i}@contoso.com"), user());
        }
        let (users, index) = users.seal();
        let index = index.unwrap();
        // Backwards and mixed case, with rows that ask nothing and names nobody has.
        let asked: Vec<String> = (0..6_000)
            .rev()
            .map(|i| format!("USER.{i}@contoso.COM"))
            .collect();
        let asked: Vec<Option<&str>> = asked
            .iter()
            .enumerate()
            .map(|(n, name)| (n % 7 != 0).then_some(name.as_str()))
            .collect();
        let found = index.find_all(&users, &asked);
        assert_eq!(found.len(), asked.len());
        for (upn, user) in asked.iter().zip(&found) {
            assert_eq!(
                *user,
                upn.and_then(|upn| index.find(&users, upn)),
                "{upn:?}"
            );
        }
        assert_eq!(
            found[1000],
            Some(4_999),
            "the 1001st name asked is user.4999"
        );
        assert_eq!(found[0], None, "the first row asks nothing");
        assert_eq!(found[1], None, "nobody is user.5998");
    }

    /// Slots keep a name's offset from its block of users and two flags in one
    /// word: every part must come back whole across the blocks' edges.
    #[test]
    fn every_part_of_every_user_comes_back_across_blocks() {
        let mut users = Users::with_capacity(0);
        let n = (1usize << BLOCK_SHIFT) * 2 + 5;
        let name = |i: usize| format!("{}{i}@contoso.com", "u".repeat(i % 37));
        let held = |i: usize| Held::new(ProductId::at(i as u32 % 5), i.is_multiple_of(3));
        for i in 0..n {
            let licenses = vec![held(i); i % 3];
            users.add(
                &name(i),
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
        }
    }

    fn sealed(names: &[&str]) -> (Users, Result<Names, Duplicate>) {
        let mut users = Users::with_capacity(0);
        for name in names {
            users.add(name, user());
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
